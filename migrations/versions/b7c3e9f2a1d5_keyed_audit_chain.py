"""keyed audit chain (#27): key id and request origin on each row, the MAC'd head, checkpoints in the database

Revision ID: b7c3e9f2a1d5
Revises: a2b6d8f1c4e7
Create Date: 2026-12-06 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7c3e9f2a1d5"
down_revision = "a2b6d8f1c4e7"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch rebuild): SQLite keeps the append-only trigger of audit_event.
    op.add_column("audit_event", sa.Column("key_id", sa.String(length=32), nullable=True))
    op.add_column("audit_event", sa.Column("client_ip", sa.String(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("user_agent", sa.String(length=256), nullable=True))
    op.add_column("audit_event", sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index(op.f("ix_audit_checkpoint_seq"), "audit_checkpoint", ["seq"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_audit_checkpoint_seq"), table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_head")
    for column in ("request_id", "user_agent", "client_ip", "key_id"):
        op.drop_column("audit_event", column)
