"""catalog upkeep clock (#17, 办法§6): recorded changes of law or duties

Revision ID: a2b6d8f1c4e7
Revises: f9a4c6e8b1d2
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "a2b6d8f1c4e7"
down_revision = "f9a4c6e8b1d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "duty_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_duty_change_department_id_department"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_duty_change_recorded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_duty_change"),
        sa.UniqueConstraint("number", name="uq_duty_change_number"),
    )
    op.create_index("ix_duty_change_department_id", "duty_change", ["department_id"])
    op.create_index("ix_duty_change_status", "duty_change", ["status"])


def downgrade():
    op.drop_table("duty_change")
