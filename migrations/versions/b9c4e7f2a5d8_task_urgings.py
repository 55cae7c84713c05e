"""催办: urgings of open tasks by hand (#15)

Revision ID: b9c4e7f2a5d8
Revises: a8b3d6e1f4c7
Create Date: 2026-12-03 10:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "b9c4e7f2a5d8"
down_revision = "a8b3d6e1f4c7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_urging",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("urged_by_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("urged_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"], name="fk_task_urging_task_id_human_task"),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name="fk_task_urging_instance_id_process_instance"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name="fk_task_urging_department_id_department"),
        sa.ForeignKeyConstraint(["urged_by_id"], ["user_account.id"], name="fk_task_urging_urged_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_task_urging"),
    )
    op.create_index("ix_task_urging_task_id", "task_urging", ["task_id"])
    op.create_index("ix_task_urging_instance_id", "task_urging", ["instance_id"])
    op.create_index("ix_task_urging_department_id", "task_urging", ["department_id"])
    op.create_index("ix_task_urging_urged_at", "task_urging", ["urged_at"])


def downgrade():
    op.drop_table("task_urging")
