"""application lines are routed by the procedure's decision table (share_route.dmn): route unknown until then

Revision ID: d2e5a7c3f9b1
Revises: c9d4e6f1a2b3
Create Date: 2026-12-03 08:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "d2e5a7c3f9b1"
down_revision = "c9d4e6f1a2b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.alter_column("route", existing_type=sa.String(length=16), nullable=True)


def downgrade():
    op.execute("UPDATE application_line SET route = 'provider' WHERE route IS NULL")
    with op.batch_alter_table("application_line") as batch:
        batch.alter_column("route", existing_type=sa.String(length=16), nullable=False)
