"""Offline exchange of shared data, approved by the 大数据管理机构 (办法§16)."""

from __future__ import annotations

from flask_babel import gettext as _

from app import clock
from app.access import require
from app.audit.writer import record
from app.engine.runtime import start_instance
from app.errors import ValidationFailed
from app.extensions import db, stored
from app.numbering import next_in_sequence
from app.org.models import User
from app.sharing.models import Authorization, OfflineExchange

PROCESS = "offline_exchange"


def _number() -> str:
    return next_in_sequence(OfflineExchange.number, f"XX-{clock.local_now().year}-")


def request_offline_exchange(
    actor: User, authorization: Authorization, method: str, reason: str
) -> OfflineExchange:
    """The provider asks the 大数据管理机构 to approve offline exchange for an authorization (§16)."""
    require(actor, "offline.request", authorization)
    errors = {}
    if not (method or "").strip():
        errors["method"] = "请填写线下交换方式（如：加密移动介质、专用邮件）"
    if not (reason or "").strip():
        errors["reason"] = "请说明不能在线提供的原因"
    if errors:
        raise ValidationFailed(_("线下交换申请有误"), fields=errors)
    exchange = OfflineExchange(
        number=_number(),
        authorization_id=authorization.id,
        provider_department_id=authorization.resource.provider_department_id,
        requested_by_id=actor.id,
        requested_at=clock.now(),
        method=method.strip(),
        reason=reason.strip(),
        status="pending",
    )
    db.session.add(exchange)
    db.session.flush()
    record(
        "offline.requested",
        actor=actor,
        object_type="offline_exchange",
        object_id=exchange.number,
        data={"authorization": authorization.id, "method": exchange.method},
    )
    start_instance(
        PROCESS,
        business_key=exchange.number,
        actor=actor,
        data={
            "exchange_id": exchange.id,
            "exchange_number": exchange.number,
            "resource_name": authorization.resource.name,
            "provider_department_id": exchange.provider_department_id,
            "requested_at": exchange.requested_at.isoformat(),
        },
    )
    return exchange


def record_offline_decision(
    exchange_id: int, user_id: int | None, approved: bool, reasons: str | None
) -> OfflineExchange:
    """The 大数据管理机构's decision (called by offline_exchange.bpmn)."""
    exchange = stored(OfflineExchange, int(exchange_id))
    exchange.status = "approved" if approved else "refused"
    exchange.decided_by_id, exchange.decided_at, exchange.decision_reasons = user_id, clock.now(), reasons
    decider = db.session.get(User, user_id) if user_id else None
    record(
        "offline.decided",
        actor=decider,
        object_type="offline_exchange",
        object_id=exchange.number,
        data={"approved": approved, "reasons": reasons},
    )
    return exchange
