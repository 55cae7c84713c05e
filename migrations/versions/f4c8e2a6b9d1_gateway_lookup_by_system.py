"""the gateway's one lookup (#30): each authorization's business system kept as compared (system_key,
backfilled), one index with the caller, resource, system and state

Revision ID: f4c8e2a6b9d1
Revises: e2f5c7a9b3d4
Create Date: 2026-12-06 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f4c8e2a6b9d1"
down_revision = "e2f5c7a9b3d4"
branch_labels = None
depends_on = None

GATEWAY_COLUMNS = [
    "applicant_department_id",
    "resource_id",
    "system_key",
    "revoked_at",
    "valid_from",
    "valid_to",
    "id",
]


def upgrade():
    with op.batch_alter_table("share_authorization") as batch:
        batch.add_column(sa.Column("system_key", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    table = sa.table("share_authorization", sa.column("id"), sa.column("business_system"), sa.column("system_key"))
    rows = bind.execute(sa.select(table.c.id, table.c.business_system)).all()
    update = sa.update(table).where(table.c.id == sa.bindparam("row")).values(system_key=sa.bindparam("key"))
    for begin in range(0, len(rows), 5000):  # as app.sharing.models.system_key() writes it
        bind.execute(
            update,
            [{"row": i, "key": " ".join((name or "").split()).casefold()} for i, name in rows[begin : begin + 5000]],
        )
    with op.batch_alter_table("share_authorization") as batch:
        batch.drop_index("ix_share_authorization_department_resource")
        batch.create_index("ix_share_authorization_gateway", GATEWAY_COLUMNS)


def downgrade():
    with op.batch_alter_table("share_authorization") as batch:
        batch.drop_index("ix_share_authorization_gateway")
        batch.create_index(
            "ix_share_authorization_department_resource", ["applicant_department_id", "resource_id"]
        )
        batch.drop_column("system_key")
