"""共享评价 (#34): a using department's rating of a resource, one per authorization

Revision ID: c6e0a4d8f2b7
Revises: b5d9f3c7e1a6
Create Date: 2026-12-07 03:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "c6e0a4d8f2b7"
down_revision = "b5d9f3c7e1a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "resource_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("timeliness", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Integer(), nullable=False),
        sa.Column("completeness", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"], ["share_authorization.id"], name="fk_resource_rating_authorization_id_share_authorization"
        ),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_resource_rating_department_id_department"),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], name="fk_resource_rating_resource_id_resource"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_resource_rating_user_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_resource_rating"),
        sa.UniqueConstraint("authorization_id", name="uq_resource_rating_authorization_id"),
    )
    op.create_index("ix_resource_rating_resource_id", "resource_rating", ["resource_id"])


def downgrade():
    op.drop_table("resource_rating")
