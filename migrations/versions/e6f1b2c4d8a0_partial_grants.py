"""partial grants (§20, §21, §24): the data items refused on an otherwise granted line

Revision ID: e6f1b2c4d8a0
Revises: d2e5a7c3f9b1
Create Date: 2026-12-03 09:00:00

"""

import sqlalchemy as sa
from alembic import op


revision = "e6f1b2c4d8a0"
down_revision = "d2e5a7c3f9b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.add_column(sa.Column("refused_items", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("application_line") as batch:
        batch.drop_column("refused_items")
