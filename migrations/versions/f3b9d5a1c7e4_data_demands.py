"""供需对接 (#33): demands for data nobody has catalogued, routed to the holder and answered

Revision ID: f3b9d5a1c7e4
Revises: e1a7c3f9b5d8
Create Date: 2026-12-07 02:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "f3b9d5a1c7e4"
down_revision = "e1a7c3f9b5d8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_demand",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("demander_department_id", sa.Integer(), nullable=False),
        sa.Column("demander_user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("business_system", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("holder_department_id", sa.Integer(), nullable=True),
        sa.Column("routed_at", sa.DateTime(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["demander_department_id"], ["department.id"], name="fk_data_demand_demander_department_id_department"),
        sa.ForeignKeyConstraint(["demander_user_id"], ["user_account.id"], name="fk_data_demand_demander_user_id_user_account"),
        sa.ForeignKeyConstraint(["holder_department_id"], ["department.id"], name="fk_data_demand_holder_department_id_department"),
        sa.ForeignKeyConstraint(["merged_into_id"], ["data_demand.id"], name="fk_data_demand_merged_into_id_data_demand"),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], name="fk_data_demand_resource_id_resource"),
        sa.PrimaryKeyConstraint("id", name="pk_data_demand"),
        sa.UniqueConstraint("number", name="uq_data_demand_number"),
    )
    op.create_index("ix_data_demand_demander_department_id", "data_demand", ["demander_department_id"])
    op.create_index("ix_data_demand_status", "data_demand", ["status"])
    op.create_index("ix_data_demand_holder_department_id", "data_demand", ["holder_department_id"])
    op.create_index("ix_data_demand_merged_into_id", "data_demand", ["merged_into_id"])


def downgrade():
    op.drop_table("data_demand")
