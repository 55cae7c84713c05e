"""notices by e-mail: each user's address and choice, the outbox with retries (#15)

Revision ID: e8f2b4d6a9c3
Revises: d3e7a9c5b2f1
Create Date: 2026-12-03 12:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "e8f2b4d6a9c3"
down_revision = "d3e7a9c5b2f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("notice_channel", sa.String(length=8), server_default="inapp", nullable=False))
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
        sa.UniqueConstraint("key", name="uq_mail_outbox_key"),
    )
    op.create_index("ix_mail_outbox_next_attempt_at", "mail_outbox", ["next_attempt_at"])
    op.create_index("ix_mail_outbox_sent_at", "mail_outbox", ["sent_at"])


def downgrade():
    op.drop_table("mail_outbox")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("notice_channel")
        batch.drop_column("email")
