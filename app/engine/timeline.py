"""A case's timeline: the audit events of its process instance and of the case object itself."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.engine.models import ProcessInstance
from app.extensions import db


def case_timeline(business_key: str) -> list[AuditEvent]:
    """Events about the case (object id = its number) and of the instance started for it, oldest first."""
    instance_ids = select(ProcessInstance.id).where(ProcessInstance.business_key == business_key)
    query = (
        select(AuditEvent)
        .where((AuditEvent.object_id == business_key) | AuditEvent.instance_id.in_(instance_ids))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(db.session.scalars(query))
