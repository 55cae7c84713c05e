"""model drafts edited in the browser, with their revisions

Revision ID: c9d4e6f1a2b3
Revises: b7e3f2a8c5d1
Create Date: 2026-12-03 07:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "c9d4e6f1a2b3"
down_revision = "b7e3f2a8c5d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_upload_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"], name=op.f("fk_model_draft_owner_id_user_account")),
        sa.ForeignKeyConstraint(
            ["base_version_id"], ["process_version.id"], name=op.f("fk_model_draft_base_version_id_process_version")
        ),
        sa.ForeignKeyConstraint(
            ["last_upload_id"], ["model_upload.id"], name=op.f("fk_model_draft_last_upload_id_model_upload")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_draft")),
    )
    with op.batch_alter_table("model_draft") as batch_op:
        batch_op.create_index(batch_op.f("ix_model_draft_process_id"), ["process_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_model_draft_owner_id"), ["owner_id"], unique=False)
    op.create_table(
        "model_draft_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["model_draft.id"], name=op.f("fk_model_draft_revision_draft_id_model_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_draft_revision")),
    )
    with op.batch_alter_table("model_draft_revision") as batch_op:
        batch_op.create_index(batch_op.f("ix_model_draft_revision_draft_id"), ["draft_id"], unique=False)


def downgrade():
    op.drop_table("model_draft_revision")
    op.drop_table("model_draft")
