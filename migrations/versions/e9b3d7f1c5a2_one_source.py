"""一数一源 (#34): lead departments of base classes and topics; probable duplicate items of a submitted version

Revision ID: e9b3d7f1c5a2
Revises: d7f1b5e9a3c8
Create Date: 2026-12-07 04:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "e9b3d7f1c5a2"
down_revision = "d7f1b5e9a3c8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_class", sa.String(length=16), nullable=False),
        sa.Column("subcategory", sa.String(length=4), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_catalog_lead_department_id_department"),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"], name="fk_catalog_lead_set_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_lead"),
        sa.UniqueConstraint("resource_class", "subcategory", name="uq_catalog_lead_resource_class"),
    )
    with op.batch_alter_table("resource_version") as batch:
        batch.add_column(sa.Column("duplicates", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("resource_version") as batch:
        batch.drop_column("duplicates")
    op.drop_table("catalog_lead")
