"""Rectification (办法§26, §31): the leadership office orders it, the department reports, the 大数据管理机构
verifies; not rectified in time → reported to the leadership group. The procedure is bpmn/rectification.bpmn;
these functions are its service operations and the order itself."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.access import require, visible_department_ids
from app.audit.writer import record
from app.calendar.services import deadline
from app.engine.runtime import start_instance
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.numbering import next_in_sequence
from app.org.models import Department, User
from app.org.roles import Role
from app.supervision.models import FAILINGS, Rectification, RectificationStatus
from app.texts import too_long

PROCESS = "rectification"


def reporter_role(department: Department, failing: str) -> str:
    """Who reports on a rectification: the using department's clerks for misuse (§31(四)); a 市州 — ordered
    through its 大数据管理机构, the department that runs the city's platform (§26) — its platform operators;
    otherwise the providing department's clerks."""
    if failing == "misuse":
        return Role.APPLICANT_CLERK.value
    if department.operates_platform:
        return Role.PLATFORM_OPERATOR.value
    return Role.PROVIDER_CLERK.value


def verifier_department(department: Department) -> Department:
    """The 大数据管理机构 that verifies a rectification: the operator of the department's platform; for a
    市州's own 大数据管理机构, the operator of the platform above it (the province)."""
    platform = department.platform
    if department.operates_platform and platform.parent is not None:
        platform = platform.parent
    return platform.operator or department


def order_rectification(
    actor: User,
    department: Department,
    failing: str,
    description: str,
    deadline_days: int,
    basis: dict[str, Any] | None = None,
) -> Rectification:
    """The leadership office orders a department — or a 市州, through its 大数据管理机构 — to rectify within N
    working days (§26, §31)."""
    require(actor, "rectification.order")
    errors = {}
    if failing not in FAILINGS:
        errors["failing"] = _("请选择整改事项")
    if not (description or "").strip():
        errors["description"] = _("请写明存在的问题")
    elif problem := too_long(description, _("存在的问题")):
        errors["description"] = problem
    if not isinstance(deadline_days, int) or not 1 <= deadline_days <= 60:
        errors["deadline_days"] = _("整改期限应为 1–60 个工作日")
    if errors:
        raise ValidationFailed(_("整改通知有误"), fields=errors)
    now = clock.now()
    item = Rectification(
        number=next_in_sequence(Rectification.number, f"ZG-{clock.local_now().year}-"),
        department_id=department.id,
        failing=failing,
        description=description.strip(),
        deadline_days=deadline_days,
        due_date=deadline(now, deadline_days).due_date,
        status=RectificationStatus.NOTIFIED,
        ordered_by_id=actor.id,
        ordered_at=now,
        basis=basis,
    )
    db.session.add(item)
    db.session.flush()
    record(
        "rectification.ordered",
        actor=actor,
        object_type="rectification",
        object_id=item.number,
        data={"department_id": department.id, "failing": failing, "deadline_days": deadline_days},
    )
    start_instance(
        PROCESS,
        business_key=item.number,
        actor=actor,
        data={
            "rectification_id": item.id,
            "rectification_number": item.number,
            "department_id": department.id,
            "failing": failing,
            "failing_label": FAILINGS[failing],
            "deadline_days": deadline_days,
            "ordered_at": now.isoformat(),
            "reporter_role": reporter_role(department, failing),
            "verifier_department_id": verifier_department(department).id,
        },
    )
    return item


def _item(rectification_id: int) -> Rectification:
    item = db.session.get(Rectification, rectification_id)
    if item is None:
        raise NotFound(_("整改通知不存在"))
    return item


def record_report(rectification_id: int, actor_id: int | None, measures: str) -> Rectification:
    """The department's report (service operation of rectification.bpmn)."""
    item = _item(rectification_id)
    item.report, item.reported_at = measures, clock.now()
    if item.status != RectificationStatus.ESCALATED:
        item.status = RectificationStatus.REPORTED
    actor = db.session.get(User, actor_id) if actor_id else None
    record("rectification.reported", actor=actor, object_type="rectification", object_id=item.number)
    return item


def record_verification(
    rectification_id: int, actor_id: int | None, rectified: bool, text: str
) -> Rectification:
    """The 大数据管理机构's verification: rectified, or back to the department."""
    item = _item(rectification_id)
    item.verification, item.verified_at = text, clock.now()
    if rectified:
        item.status = RectificationStatus.RECTIFIED
    elif item.status != RectificationStatus.ESCALATED:
        item.status = RectificationStatus.NOTIFIED
    actor = db.session.get(User, actor_id) if actor_id else None
    record(
        "rectification.verified",
        actor=actor,
        object_type="rectification",
        object_id=item.number,
        data={"rectified": rectified},
    )
    send(
        message=_(
            "整改通知%(n)s：%(r)s",
            n=item.number,
            r=_("整改到位，已办结") if rectified else _("核实未到位，请继续整改"),
        ),
        role=reporter_role(item.department, item.failing),
        department_id=item.department_id,
        link=f"/supervision/rectifications/{item.number}",
    )
    return item


def escalate(rectification_id: int) -> Rectification:
    """Not rectified by the deadline: reported to the leadership group (§31). Once."""
    item = _item(rectification_id)
    if item.status in (RectificationStatus.RECTIFIED, RectificationStatus.ESCALATED):
        return item
    item.status, item.escalated_at = RectificationStatus.ESCALATED, clock.now()
    record("rectification.escalated", object_type="rectification", object_id=item.number)
    message = _(
        "整改通知%(n)s（%(d)s）逾期未完成整改，按办法§31上报领导小组", n=item.number, d=item.department.name
    )
    send(
        message=message, role=Role.LEADERSHIP_OFFICE.value, link=f"/supervision/rectifications/{item.number}"
    )
    send(message=message, role=Role.SUPERVISOR.value, link=f"/supervision/rectifications/{item.number}")
    return item


def rectifications_for(user: User, department_id: int | None = None) -> list[Rectification]:
    """Rectifications a user may see: all for the province's overseers, their platform's departments for a
    city's data bureau, else their own department's."""
    query = select(Rectification).order_by(Rectification.ordered_at.desc())
    if department_id is not None:
        query = query.where(Rectification.department_id == department_id)
    visible = visible_department_ids(user)
    if visible is not None:
        if not user.has_role(Role.SUPERVISOR):
            visible = [user.department_id]
        query = query.where(Rectification.department_id.in_(visible))
    return list(db.session.scalars(query))


def get_rectification(user: User, number: str) -> Rectification:
    """One rectification, if the user may see it."""
    item = db.session.scalar(select(Rectification).where(Rectification.number == number))
    if item is None:
        raise NotFound(_("整改通知不存在"))
    require(user, "rectification.view", item)
    return item
