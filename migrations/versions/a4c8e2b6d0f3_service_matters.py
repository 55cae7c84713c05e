"""复用核验 (#33): 政务服务事项 and the materials they ask for, mapped to catalog resources

Revision ID: a4c8e2b6d0f3
Revises: f3b9d5a1c7e4
Create Date: 2026-12-07 02:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "a4c8e2b6d0f3"
down_revision = "f3b9d5a1c7e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_matter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_service_matter_department_id_department"),
        sa.PrimaryKeyConstraint("id", name="pk_service_matter"),
        sa.UniqueConstraint("code", name="uq_service_matter_code"),
    )
    op.create_index("ix_service_matter_department_id", "service_matter", ["department_id"])
    op.create_table(
        "matter_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=True),
        sa.Column("still_required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["service_matter.id"], name="fk_matter_material_matter_id_service_matter", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], name="fk_matter_material_resource_id_resource"),
        sa.PrimaryKeyConstraint("id", name="pk_matter_material"),
        sa.UniqueConstraint("matter_id", "name", name="uq_matter_material_matter_id"),
    )
    op.create_index("ix_matter_material_matter_id", "matter_material", ["matter_id"])
    op.create_index("ix_matter_material_resource_id", "matter_material", ["resource_id"])


def downgrade():
    op.drop_table("matter_material")
    op.drop_table("service_matter")
