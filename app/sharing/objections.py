"""Objection and correction (办法§23): the applicant reports doubtful or wrong data it received; the provider
verifies (校核) and corrects or explains; the applicant accepts or turns it into a dispute (§25).

While verification runs, a person or company that shows valid proof must be served normally (§23): the case
page and the notifications say so to everyone involved.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.access import require
from app.audit.writer import record
from app.engine.runtime import start_instance
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db, stored
from app.numbering import next_in_sequence
from app.org.models import User
from app.sharing.models import Authorization, Objection, ObjectionStatus
from app.texts import too_long

PROCESS = "objection"
SERVE_NORMALLY = (
    "核实期间，对能够提供合法有效证明材料的自然人、法人和其他组织，应当正常办理相关业务（办法§23）。"
)


def next_number() -> str:
    """YY-2026-000001."""
    return next_in_sequence(Objection.number, f"YY-{clock.local_now().year}-")


def raise_objection(actor: User, authorization: Authorization, data: dict[str, Any]) -> Objection:
    """The applicant clerk reports an objection on data received under an authorization; verification starts."""
    require(actor, "objection.raise", authorization)
    errors: dict[str, str] = {}
    if not str(data.get("description") or "").strip():
        errors["description"] = "请说明异议内容（哪些数据有误或存疑）"
    for field, title in (("description", "异议内容"), ("evidence", "证明材料说明")):
        if field not in errors and (problem := too_long(data.get(field), title)):
            errors[field] = problem
    items = [i for i in (data.get("items") or []) if i]
    unknown = [i for i in items if i not in authorization.items]
    if unknown:
        errors["items"] = f"信息项“{'、'.join(unknown)}”不在授权范围内"
    if errors:
        raise ValidationFailed(_("异议填写有误"), fields=errors)
    objection = Objection(
        number=next_number(),
        authorization_id=authorization.id,
        resource_id=authorization.resource_id,
        applicant_department_id=authorization.applicant_department_id,
        provider_department_id=authorization.resource.provider_department_id,
        raised_by_id=actor.id,
        items=items or list(authorization.items),
        description=str(data["description"]).strip(),
        evidence=str(data.get("evidence") or "").strip() or None,
        status=ObjectionStatus.VERIFYING,
        raised_at=clock.now(),
    )
    db.session.add(objection)
    db.session.flush()
    record(
        "objection.raised",
        actor=actor,
        object_type="objection",
        object_id=objection.number,
        data={"resource": authorization.resource.code, "items": objection.items},
    )
    start_instance(
        PROCESS,
        business_key=objection.number,
        data={
            "objection_id": objection.id,
            "objection_number": objection.number,
            "resource_name": authorization.resource.name,
            "applicant_department_id": objection.applicant_department_id,
            "provider_department_id": objection.provider_department_id,
            "raised_at": objection.raised_at.isoformat(),
        },
        actor=actor,
    )
    return objection


def record_answer(
    objection_id: int,
    answered_by_id: int | None,
    outcome: str,
    correction: str | None,
    explanation: str | None,
) -> Objection:
    """The provider's verification result (called by objection.bpmn)."""
    objection = stored(Objection, int(objection_id))
    if objection.status != ObjectionStatus.VERIFYING:
        raise RuntimeError(f"objection {objection.number} is {objection.status}")
    objection.outcome, objection.correction, objection.explanation = outcome, correction, explanation
    objection.answered_at, objection.answered_by_id = clock.now(), answered_by_id
    objection.status = ObjectionStatus.ANSWERED
    answered_by = db.session.get(User, answered_by_id) if answered_by_id else None
    record(
        "objection.answered",
        actor=answered_by,
        object_type="objection",
        object_id=objection.number,
        data={"outcome": outcome, "correction": correction, "explanation": explanation},
    )
    return objection


def record_review(
    objection_id: int, reviewer_id: int | None, accepted: bool, comment: str | None
) -> Objection:
    """The applicant accepts the answer, or does not (a dispute under §25)."""
    objection = stored(Objection, int(objection_id))
    if objection.status != ObjectionStatus.ANSWERED:
        raise RuntimeError(f"objection {objection.number} is {objection.status}")
    objection.status = ObjectionStatus.ACCEPTED if accepted else ObjectionStatus.DISPUTED
    objection.review_comment = comment
    objection.closed_at = clock.now()
    reviewer = db.session.get(User, reviewer_id) if reviewer_id else None
    record(
        "objection.reviewed",
        actor=reviewer,
        object_type="objection",
        object_id=objection.number,
        data={"accepted": accepted, "comment": comment},
    )
    return objection


def get_objection(actor: User, number: str) -> Objection:
    """An objection the user may see."""
    objection = db.session.scalar(select(Objection).where(Objection.number == number))
    if objection is None:
        raise NotFound(_("异议不存在"))
    require(actor, "objection.view", objection)
    return objection


def objections_of(department_id: int) -> list[Objection]:
    """Objections a department raised or must answer, newest first."""
    return list(
        db.session.scalars(
            select(Objection)
            .where(
                (Objection.applicant_department_id == department_id)
                | (Objection.provider_department_id == department_id)
            )
            .order_by(Objection.id.desc())
        )
    )


def ensure_open(objection: Objection) -> None:
    """Raise Conflict when the objection is closed."""
    if objection.closed_at is not None:
        raise Conflict(_("异议已办结"))
