"""Offline exchange approval (办法§16) and data quality issues (办法§17)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog.models import Resource
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.numbering import next_in_sequence
from app.org.models import User
from app.sharing.models import Authorization, OfflineExchange, QualityIssue

OFFLINE_PROCESS = "offline_exchange"
QUALITY_PROCESS = "quality_issue"


def _number(model, prefix: str) -> str:
    return next_in_sequence(model.number, f"{prefix}-{clock.local_now().year}-")


def request_offline_exchange(
    actor: User, authorization: Authorization, method: str, reason: str
) -> OfflineExchange:
    """The provider asks the 大数据管理机构 to approve offline exchange for an authorization (§16)."""
    from app.engine.runtime import start_instance

    require(actor, "offline.request", authorization)
    errors = {}
    if not (method or "").strip():
        errors["method"] = "请填写线下交换方式（如：加密移动介质、专用邮件）"
    if not (reason or "").strip():
        errors["reason"] = "请说明不能在线提供的原因"
    if errors:
        raise ValidationFailed(_("线下交换申请有误"), fields=errors)
    exchange = OfflineExchange(
        number=_number(OfflineExchange, "XX"), authorization_id=authorization.id,
        provider_department_id=authorization.resource.provider_department_id, requested_by_id=actor.id,
        requested_at=clock.now(), method=method.strip(), reason=reason.strip(), status="pending",
    )  # fmt: skip
    db.session.add(exchange)
    db.session.flush()
    record("offline.requested", actor=actor, object_type="offline_exchange", object_id=exchange.number,
           data={"authorization": authorization.id, "method": exchange.method})  # fmt: skip
    start_instance(OFFLINE_PROCESS, business_key=exchange.number, actor=actor, data={
        "exchange_id": exchange.id, "exchange_number": exchange.number, "resource_name": authorization.resource.name,
        "provider_department_id": exchange.provider_department_id, "requested_at": exchange.requested_at.isoformat(),
    })  # fmt: skip
    return exchange


def record_offline_decision(
    exchange_id: int, user_id: int | None, approved: bool, reasons: str | None
) -> OfflineExchange:
    """The 大数据管理机构's decision (called by offline_exchange.bpmn)."""
    exchange = db.session.get(OfflineExchange, int(exchange_id))
    exchange.status = "approved" if approved else "refused"
    exchange.decided_by_id, exchange.decided_at, exchange.decision_reasons = user_id, clock.now(), reasons
    decider = db.session.get(User, user_id) if user_id else None
    record("offline.decided", actor=decider, object_type="offline_exchange", object_id=exchange.number,
           data={"approved": approved, "reasons": reasons})  # fmt: skip
    return exchange


def raise_quality_issue(
    actor: User, resource: Resource, description: str, other: Resource | None = None
) -> QualityIssue:
    """The platform notifies the provider to correct bad data; with `other`, two providers' data disagree and
    both verify together with the platform (§17)."""
    from app.engine.runtime import start_instance

    require(actor, "quality.raise", resource)
    if not (description or "").strip():
        raise ValidationFailed(_("请说明数据质量问题"), fields={"description": "请说明数据质量问题"})
    if other is not None and other.provider_department_id == resource.provider_department_id:
        raise ValidationFailed(
            _("比对的两个资源须来自不同提供部门"), fields={"other": "须为另一提供部门的资源"}
        )
    issue = QualityIssue(
        number=_number(QualityIssue, "ZL"), resource_id=resource.id, other_resource_id=other.id if other else None,
        raised_by_id=actor.id, raised_at=clock.now(), description=description.strip(), status="open", responses={},
    )  # fmt: skip
    db.session.add(issue)
    db.session.flush()
    record("quality.raised", actor=actor, object_type="quality_issue", object_id=issue.number,
           data={"resource": resource.code, "other": other.code if other else None})  # fmt: skip
    start_instance(QUALITY_PROCESS, business_key=issue.number, actor=actor, data={
        "issue_id": issue.id, "issue_number": issue.number, "resource_name": resource.name,
        "provider_department_id": resource.provider_department_id, "joint": other is not None,
        "other_provider_department_id": other.provider_department_id if other else None,
        "operator_department_id": actor.department_id, "raised_at": issue.raised_at.isoformat(),
    })  # fmt: skip
    return issue


def record_quality_response(
    issue_id: int, department_id: int, user_id: int | None, text: str
) -> QualityIssue:
    """A provider's correction or verification result (called by quality_issue.bpmn)."""
    issue = db.session.get(QualityIssue, int(issue_id))
    author = db.session.get(User, user_id) if user_id else None
    issue.responses = {**(issue.responses or {}), str(department_id): {
        "text": text, "by": author.display_name if author else None, "at": clock.now().isoformat()}}  # fmt: skip
    record(
        "quality.responded",
        actor=author,
        object_type="quality_issue",
        object_id=issue.number,
        data={"text": text},
    )
    return issue


def resolve_quality_issue(issue_id: int, user_id: int | None, conclusion: str) -> QualityIssue:
    """The platform's conclusion closes the issue."""
    issue = db.session.get(QualityIssue, int(issue_id))
    issue.status, issue.conclusion, issue.resolved_at = "resolved", conclusion, clock.now()
    author = db.session.get(User, user_id) if user_id else None
    record("quality.resolved", actor=author, object_type="quality_issue", object_id=issue.number,
           data={"conclusion": conclusion})  # fmt: skip
    return issue


def find(model, number: str):
    """A record by number, or NotFound."""
    item = db.session.scalar(select(model).where(model.number == number))
    if item is None:
        raise NotFound(_("记录不存在"))
    return item
