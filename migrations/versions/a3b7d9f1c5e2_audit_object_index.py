"""a case's own audit events found by index (#30): the case page and the audit viewer's case filter

Revision ID: a3b7d9f1c5e2
Revises: f2a6c8e4b1d7
Create Date: 2026-12-06 16:20:00

"""

from alembic import op

revision = "a3b7d9f1c5e2"
down_revision = "f2a6c8e4b1d7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_object_id", "audit_event", ["object_id"])


def downgrade():
    op.drop_index("ix_audit_event_object_id", table_name="audit_event")
