"""exchange-gateway credentials (POST /api/v1/authorizations/check), the 管控参数 values an authorization
binds (§11, §14, §24), and when the applicant was told an authorization expires

Revision ID: f7a2c5d9e3b4
Revises: e6f1b2c4d8a0
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "f7a2c5d9e3b4"
down_revision = "e6f1b2c4d8a0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gateway_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name="fk_gateway_credential_created_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_gateway_credential"),
        sa.UniqueConstraint("token_hash", name="uq_gateway_credential_token_hash"),
    )
    with op.batch_alter_table("share_authorization") as batch:
        batch.add_column(sa.Column("bound_parameters", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("expiry_notified_at", sa.DateTime(), nullable=True))
    op.create_index("ix_share_authorization_department_resource", "share_authorization",
                    ["applicant_department_id", "resource_id"])  # fmt: skip


def downgrade():
    op.drop_index("ix_share_authorization_department_resource", table_name="share_authorization")
    with op.batch_alter_table("share_authorization") as batch:
        batch.drop_column("bound_parameters")
        batch.drop_column("expiry_notified_at")
    op.drop_table("gateway_credential")
