"""资源订阅 (#33): watches of a resource, a resource class or a provider's catalog, and the events told

Revision ID: e1a7c3f9b5d8
Revises: d9f3b7c1e5a2
Create Date: 2026-12-07 01:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "e1a7c3f9b5d8"
down_revision = "d9f3b7c1e5a2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "watch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_watch_user_id_user_account", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_watch"),
        sa.UniqueConstraint("user_id", "target_type", "target", name="uq_watch_user_id"),
    )
    op.create_index("ix_watch_user_id", "watch", ["user_id"])
    op.create_index("ix_watch_target", "watch", ["target_type", "target"])
    op.create_table(
        "watch_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=120), nullable=False),
        sa.Column("told_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name="fk_watch_notice_user_id_user_account", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_watch_notice"),
        sa.UniqueConstraint("user_id", "event", name="uq_watch_notice_user_id"),
    )


def downgrade():
    op.drop_table("watch_notice")
    op.drop_table("watch")
