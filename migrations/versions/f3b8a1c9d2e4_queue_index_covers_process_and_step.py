"""queue index covers the process and step filters

The inbox's queue index gained process_id and label after revision 7a1c0e5d2b90 had been applied; that
revision keeps its first form, so the wider index comes here, where every database gets it.

Revision ID: f3b8a1c9d2e4
Revises: d021b619014e
Create Date: 2026-12-03 06:00:00

"""

from alembic import op

revision = "f3b8a1c9d2e4"
down_revision = "d021b619014e"
branch_labels = None
depends_on = None

BEFORE = ["status", "candidate_department_id", "candidate_role", "assignee_id", "due_at", "created_at", "business_key", "id"]
AFTER = [
    "status", "candidate_department_id", "candidate_role", "assignee_id", "due_at", "created_at",
    "business_key", "process_id", "label", "id",
]  # fmt: skip


def upgrade():
    op.drop_index("ix_human_task_queue", table_name="human_task")
    op.create_index("ix_human_task_queue", "human_task", AFTER)


def downgrade():
    op.drop_index("ix_human_task_queue", table_name="human_task")
    op.create_index("ix_human_task_queue", "human_task", BEFORE)
