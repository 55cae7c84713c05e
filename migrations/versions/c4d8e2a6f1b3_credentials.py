"""credentials (#27): enrolment codes, password history and change, second factor

Revision ID: c4d8e2a6f1b3
Revises: b7c3e9f2a1d5
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4d8e2a6f1b3"
down_revision = "b7c3e9f2a1d5"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_account", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                            server_default=sa.false()))  # fmt: skip
    op.add_column("user_account", sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    op.add_column("user_account", sa.Column("password_history", sa.JSON(), nullable=True))
    op.add_column("user_account", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("user_account", sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
    op.add_column("user_account", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.add_column("user_account", sa.Column("recovery_codes", sa.JSON(), nullable=True))
    op.create_table(
        "enrolment_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_enrolment_code_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name=op.f("fk_enrolment_code_requested_by_id_user_account")),
        sa.ForeignKeyConstraint(["approved_by_id"], ["user_account.id"],
                                name=op.f("fk_enrolment_code_approved_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_code")),
    )  # fmt: skip
    op.create_index(op.f("ix_enrolment_code_user_id"), "enrolment_code", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_enrolment_code_user_id"), table_name="enrolment_code")
    op.drop_table("enrolment_code")
    with op.batch_alter_table("user_account") as batch:
        for column in ("recovery_codes", "totp_last_step", "totp_enabled_at", "totp_secret", "password_history",
                       "password_changed_at", "must_change_password"):  # fmt: skip
            batch.drop_column(column)
