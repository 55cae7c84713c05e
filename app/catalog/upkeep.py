"""The catalog upkeep clock (#17, 办法§6): a provider (or a supervisor for it) records a change of law or duties;
the catalog must be updated within the period set in bpmn/catalog_upkeep.bpmn (default 15 working days); a
provider's submission of a catalog update within it closes the change, otherwise a §31(一) rectification is
proposed to the leadership office (and shown on the §26 report)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog.models import DutyChange
from app.engine.runtime import deliver_message, start_instance
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.numbering import next_in_sequence
from app.org.models import Department, User
from app.texts import TEXT_LIMIT, too_long

PROCESS = "catalog_upkeep"


def record_duty_change(actor: User, department: Department, description: str) -> DutyChange:
    """Record a change of law or duties of `department`; its catalog clock starts."""
    require(actor, "catalog.duty_change", department)
    text = (description or "").strip()
    if not text:
        raise ValidationFailed(
            _("请说明法律法规或职能的变化"), fields={"description": _("请说明变化内容和依据")}
        )
    if problem := too_long(text, "变化内容", TEXT_LIMIT):
        raise ValidationFailed(problem, fields={"description": problem})
    change = DutyChange(
        number=next_in_sequence(DutyChange.number, f"ZZ-{clock.local_now().year}-"),
        department_id=department.id,
        description=text,
        recorded_by_id=actor.id,
        recorded_at=clock.now(),
        status="open",
    )
    db.session.add(change)
    db.session.flush()
    record(
        "catalog.duty_change",
        actor=actor,
        object_type="duty_change",
        object_id=change.number,
        data={"department": department.short_name, "description": text},
    )
    start_instance(
        PROCESS,
        business_key=change.number,
        actor=actor,
        data={
            "change_id": change.id,
            "change_number": change.number,
            "department_id": department.id,
            "department_name": department.short_name,
            "recorded_at": change.recorded_at.isoformat(),
        },
    )
    return change


def catalog_updated(department_id: int, actor: User | None) -> int:
    """The department submitted a catalog update: its open changes are met (their clocks stop)."""
    met = 0
    for number in db.session.scalars(
        select(DutyChange.number).where(
            DutyChange.department_id == department_id, DutyChange.status == "open"
        )
    ).all():
        try:
            deliver_message(number, "catalog_updated", {"at": clock.now().isoformat()}, actor)
        except NotFound:
            continue  # its clock already ran out
        met += 1
    return met


def close_change(change_id: int, status: str) -> DutyChange:
    """The procedure's outcome: updated in time, or overdue (then a §31(一) rectification is proposed)."""
    change = db.session.get(DutyChange, int(change_id))
    if change is None:
        raise LookupError(f"duty change {change_id} does not exist")
    change.status, change.closed_at = status, clock.now()
    if status == "overdue":
        send(
            message=_(
                "%(d)s 在登记法律或职能变化（%(n)s）后未按时更新政务信息资源目录，建议按办法§31(一)责成整改",
                d=change.department.short_name,
                n=change.number,
            ),
            role="leadership_office",
            link="/supervision/report",
        )
    record(
        "catalog.duty_change_closed",
        object_type="duty_change",
        object_id=change.number,
        data={"status": status},
    )
    return change


def overdue_changes(department_ids=None) -> list[DutyChange]:
    """Changes whose catalog update came too late or not at all, not yet answered by a rectification."""
    query = select(DutyChange).where(DutyChange.status == "overdue").order_by(DutyChange.recorded_at)
    if department_ids is not None:
        query = query.where(DutyChange.department_id.in_(department_ids))
    return list(db.session.scalars(query))
