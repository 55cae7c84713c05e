"""inbox covering indexes

Revision ID: 7a1c0e5d2b90
Revises: 6824f3e631f5
Create Date: 2026-11-26 07:00:00

"""

from alembic import op

revision = "7a1c0e5d2b90"
down_revision = "6824f3e631f5"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_human_task_queue", table_name="human_task")
    op.drop_index("ix_human_task_assignee", table_name="human_task")
    op.create_index(
        "ix_human_task_queue",
        "human_task",
        ["status", "candidate_department_id", "candidate_role", "assignee_id", "due_at", "created_at", "business_key", "id"],
    )
    op.create_index(
        "ix_human_task_assignee", "human_task", ["assignee_id", "status", "due_at", "created_at", "business_key", "id"]
    )
    op.create_index("ix_human_task_done", "human_task", ["completed_by_id", "status", "completed_at", "id"])


def downgrade():
    op.drop_index("ix_human_task_done", table_name="human_task")
    op.drop_index("ix_human_task_assignee", table_name="human_task")
    op.drop_index("ix_human_task_queue", table_name="human_task")
    op.create_index("ix_human_task_assignee", "human_task", ["assignee_id", "status"])
    op.create_index("ix_human_task_queue", "human_task", ["status", "candidate_department_id", "candidate_role"])
