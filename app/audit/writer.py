"""The one audit writer: every audited change calls record() inside the same transaction as the change."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request

from app import clock
from app.audit.chain import track
from app.audit.models import AuditEvent
from app.extensions import db
from app.org.models import User

SYSTEM_ACTOR = "system"


def record(
    action: str,
    *,
    actor: User | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    data: dict | None = None,
    instance_id: int | None = None,
    task_id: str | None = None,
) -> None:
    """Add an audit event to the current transaction; it commits or rolls back with the change it records.

    At commit the row is sealed into the hash chain and inserted (or, if an autoflush wrote it earlier,
    updated with its seal): app.audit.chain. A rolled-back savepoint drops its events too.
    """
    entry = AuditEvent(
        at=clock.now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else SYSTEM_ACTOR,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        department_id=actor.department_id if actor is not None else None,
        instance_id=instance_id,
        task_id=task_id,
        data=data,
    )
    if has_request_context():
        entry.client_ip = (request.remote_addr or "")[:64] or None
        entry.user_agent = (request.user_agent.string or "")[:256] or None
        entry.request_id = g.get("request_id")
    db.session.add(entry)
    track(db.session(), entry)
