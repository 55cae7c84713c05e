"""Disputes (办法§25): over share conditions, an application's reasons or an authorization result, the provider,
the platform and the applicant negotiate (协商); if they cannot agree, the leadership office of that level
(the same-level government's coordinating department) decides. Positions, minutes, decision and decider are
recorded; the outcome is applied and every party is told."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.access import oversees_everything, require
from app.audit.writer import record
from app.engine.runtime import start_instance
from app.errors import NotFound, ValidationFailed
from app.extensions import db, stored
from app.numbering import next_in_sequence
from app.org.models import Department, DepartmentKind, Level, Platform, User
from app.sharing.models import (
    ApplicationLine,
    Authorization,
    Decision,
    Dispute,
    DisputeStatus,
    Objection,
    ObjectionStatus,
)
from app.texts import too_long

PROCESS = "dispute"
TOPICS = {"conditions": "共享条件", "reasons": "申请理由", "result": "授权结果"}
PARTIES = {"applicant": "使用部门", "provider": "提供部门", "platform": "共享平台"}


def leadership_office_for(platform: Platform) -> Department | None:
    """The leadership office of the platform's level: the province's 数字政府建设领导小组办公室 decides for
    provincial matters; a city's own coordinating department when one is registered, else the province's."""
    current: Platform | None = platform
    while current is not None and current.level != Level.NATIONAL:
        office = db.session.scalar(
            select(Department).where(
                Department.kind == DepartmentKind.LEADERSHIP_OFFICE, Department.region_id == current.region_id
            )
        )
        if office is not None:
            return office
        current = current.parent
    return None


def next_number() -> str:
    """FQ-2026-000001."""
    return next_in_sequence(Dispute.number, f"FQ-{clock.local_now().year}-")


def raise_dispute(
    actor: User,
    *,
    topic: str,
    description: str,
    line: ApplicationLine | None = None,
    objection: Objection | None = None,
) -> Dispute:
    """Any party raises a dispute about one application line (or a disputed objection); negotiation starts."""
    errors: dict[str, str] = {}
    if topic not in TOPICS:
        errors["topic"] = "分歧事项应为：" + "、".join(TOPICS.values())
    if not (description or "").strip():
        errors["description"] = "请说明分歧内容"
    elif problem := too_long(description, "分歧内容"):
        errors["description"] = problem
    if (line is None) == (objection is None):
        errors["subject"] = "请指定一个申请资源或一条数据异议"
    if errors:
        raise ValidationFailed(_("分歧填写有误"), fields=errors)
    if line is not None:
        require(actor, "dispute.raise", line)
        applicant_id, provider = line.application.applicant_department_id, line.provider
        resource_id = line.resource_id
        if line.decision == Decision.PENDING:
            raise ValidationFailed(_("尚未作出决定，暂不能申请协调"), fields={"subject": "该资源仍在办理中"})
    elif objection is not None:
        require(actor, "dispute.raise_objection", objection)
        if objection.status != ObjectionStatus.DISPUTED:
            raise ValidationFailed(
                _("只有使用部门不认可校核结果的异议才能申请协调"), fields={"subject": "异议未转为分歧"}
            )
        applicant_id, provider, resource_id = (
            objection.applicant_department_id,
            objection.provider,
            objection.resource_id,
        )
    applicant_platform = stored(Department, applicant_id).platform
    operator = applicant_platform.operator
    office = leadership_office_for(applicant_platform)
    if operator is None or office is None:
        raise ValidationFailed(
            _("未找到共享平台运维部门或领导小组办公室"), fields={"subject": "组织机构数据不完整"}
        )
    dispute = Dispute(
        number=next_number(),
        topic=topic,
        line_id=line.id if line else None,
        objection_id=objection.id if objection else None,
        resource_id=resource_id,
        applicant_department_id=applicant_id,
        provider_department_id=provider.id,
        platform_operator_id=operator.id,
        leadership_office_id=office.id,
        raised_by_id=actor.id,
        raised_at=clock.now(),
        description=description.strip(),
        status=DisputeStatus.NEGOTIATING,
        positions={},
    )
    db.session.add(dispute)
    db.session.flush()
    record(
        "dispute.raised",
        actor=actor,
        object_type="dispute",
        object_id=dispute.number,
        data={"topic": topic, "line": dispute.line_id, "objection": dispute.objection_id},
    )
    start_instance(
        PROCESS,
        business_key=dispute.number,
        actor=actor,
        data={
            "dispute_id": dispute.id,
            "dispute_number": dispute.number,
            "topic_label": TOPICS[topic],
            "resource_name": dispute.resource.name,
            "applicant_department_id": applicant_id,
            "provider_department_id": provider.id,
            "platform_operator_id": operator.id,
            "leadership_office_id": office.id,
            "raised_at": dispute.raised_at.isoformat(),
        },
    )
    return dispute


def _dispute(dispute_id: int) -> Dispute:
    dispute = stored(Dispute, int(dispute_id))
    if dispute is None:
        raise LookupError(f"dispute {dispute_id} does not exist")
    return dispute


def record_position(dispute_id: int, party: str, text: str, user_id: int | None) -> Dispute:
    """A party's position (called by dispute.bpmn)."""
    dispute = _dispute(dispute_id)
    author = db.session.get(User, user_id) if user_id else None
    dispute.positions = {
        **(dispute.positions or {}),
        party: {"text": text, "by": author.display_name if author else None, "at": clock.now().isoformat()},
    }
    record(
        "dispute.position",
        actor=author,
        object_type="dispute",
        object_id=dispute.number,
        data={"party": party, "text": text},
    )
    return dispute


def _apply(dispute: Dispute, outcome: str, decider: User | None) -> None:
    """Carry out an outcome: "grant" creates the authorization a refused line did not get."""
    if outcome != "grant" or dispute.line is None:
        return
    line = dispute.line
    existing = db.session.scalar(select(Authorization).where(Authorization.line_id == line.id))
    if existing is not None:  # a partial grant: the coordination grants the refused items too
        if line.refused_items:
            existing.items = list(line.items)
            line.refused_items = None
            line.decision_reasons = f"经协调（{dispute.number}）全部予以授权"
        return
    application = line.application
    line.decision = Decision.GRANTED
    line.decision_reasons = f"经协调（{dispute.number}）予以授权"
    db.session.add(
        Authorization(
            line=line,
            applicant_department_id=application.applicant_department_id,
            resource_id=line.resource_id,
            items=line.items,
            purpose=application.purpose,
            business_system=application.business_system,
            scope=application.scope,
            conditions=line.resource_version.share_conditions,
            valid_from=application.valid_from,
            valid_to=application.valid_to,
            decided_by_id=decider.id if decider else None,
            decided_at=clock.now(),
        )
    )


def record_negotiation(
    dispute_id: int,
    user_id: int | None,
    agreed: bool,
    minutes: str,
    outcome: str | None,
    outcome_text: str | None,
) -> Dispute:
    """The platform records the negotiation; agreed outcomes are applied, otherwise the case is escalated."""
    dispute = _dispute(dispute_id)
    operator = db.session.get(User, user_id) if user_id else None
    dispute.negotiation_record = minutes
    if agreed:
        dispute.status, dispute.outcome, dispute.outcome_text = DisputeStatus.AGREED, outcome, outcome_text
        dispute.decided_by_id, dispute.decided_at = user_id, clock.now()
        _apply(dispute, outcome or "other", operator)
    else:
        dispute.status = DisputeStatus.ESCALATED
    record(
        "dispute.negotiated",
        actor=operator,
        object_type="dispute",
        object_id=dispute.number,
        data={"agreed": agreed, "outcome": outcome, "minutes": minutes},
    )
    return dispute


def record_decision(dispute_id: int, user_id: int | None, outcome: str, reasons: str) -> Dispute:
    """The leadership office decides with reasons (§25); the decision is applied."""
    dispute = _dispute(dispute_id)
    decider = db.session.get(User, user_id) if user_id else None
    dispute.status, dispute.outcome, dispute.outcome_text = DisputeStatus.DECIDED, outcome, reasons
    dispute.decided_by_id, dispute.decided_at = user_id, clock.now()
    _apply(dispute, outcome, decider)
    record(
        "dispute.decided",
        actor=decider,
        object_type="dispute",
        object_id=dispute.number,
        data={"outcome": outcome, "reasons": reasons},
    )
    return dispute


def get_dispute(actor: User, number: str) -> Dispute:
    """A dispute the user may see."""
    dispute = db.session.scalar(select(Dispute).where(Dispute.number == number))
    if dispute is None:
        raise NotFound(_("分歧不存在"))
    require(actor, "dispute.view", dispute)
    return dispute


def disputes_for(actor: User) -> list[Dispute]:
    """Disputes the user's department is party to (all of them for the leadership office and supervisors)."""
    query = select(Dispute).order_by(Dispute.id.desc())
    if not oversees_everything(actor):
        dept = actor.department_id
        query = query.where(
            (Dispute.applicant_department_id == dept)
            | (Dispute.provider_department_id == dept)
            | (Dispute.platform_operator_id == dept)
            | (Dispute.leadership_office_id == dept)
        )
    return list(db.session.scalars(query))


def position_data(dispute: Dispute) -> dict[str, Any]:
    """Positions in party order with labels, for pages."""
    return {PARTIES[p]: dispute.positions[p] for p in PARTIES if p in (dispute.positions or {})}
