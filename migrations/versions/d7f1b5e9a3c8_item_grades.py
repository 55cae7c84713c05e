"""data classification (#34): each data item's grade (一般/重要/核心) and 敏感个人信息 flag; an application's
stated necessity; an authorization's grade; the 共享安全评估 of a line

Revision ID: d7f1b5e9a3c8
Revises: c6e0a4d8f2b7
Create Date: 2026-12-07 04:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "d7f1b5e9a3c8"
down_revision = "c6e0a4d8f2b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("data_item") as batch:
        batch.add_column(sa.Column("grade", sa.String(length=16), server_default="general", nullable=False))
        batch.add_column(sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("share_application") as batch:
        batch.add_column(sa.Column("necessity", sa.Text(), nullable=True))
    with op.batch_alter_table("share_authorization") as batch:
        batch.add_column(sa.Column("grade", sa.String(length=16), server_default="general", nullable=False))
        batch.add_column(sa.Column("sensitive", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("application_line") as batch:
        batch.add_column(sa.Column("assessment", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.drop_column("assessment")
    with op.batch_alter_table("share_authorization") as batch:
        batch.drop_column("sensitive")
        batch.drop_column("grade")
    with op.batch_alter_table("share_application") as batch:
        batch.drop_column("necessity")
    with op.batch_alter_table("data_item") as batch:
        batch.drop_column("sensitive")
        batch.drop_column("grade")
