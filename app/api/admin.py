"""POST /api/v1/admin/clock: move the one clock of a running demo or test server."""

from __future__ import annotations

from flask import current_app

from app import clock
from app.access import require
from app.api import api_user, bp
from app.api.schemas import ClockInput, ClockOut
from app.audit.writer import record
from app.clock import parse_moment
from app.errors import NotFound, ValidationFailed
from app.extensions import db


@bp.post("/admin/clock", tags=["管理"])
@bp.arguments(ClockInput)
@bp.response(200, ClockOut)
def set_clock(body: dict):
    """冻结时钟到 now（null 恢复走时）；仅测试/演示环境可用"""
    if not current_app.config.get("ALLOW_CLOCK_OVERRIDE"):
        raise NotFound("未启用时钟调整")
    user = api_user()
    require(user, "clock.set")
    before = clock.now()
    if body["now"] is None:
        clock.unfreeze()
    else:
        try:
            clock.freeze(parse_moment(body["now"]))
        except ValueError:
            raise ValidationFailed("时间格式有误", fields={"now": "应为 ISO 8601 时间"}) from None
    # Deadlines and the §26 figures are reasoned from this clock: who moved it, from when to when, is kept.
    record(
        "clock.set",
        actor=user,
        data={"from": before.isoformat(), "to": body["now"], "frozen": clock.is_frozen()},
    )
    db.session.commit()
    return {"now": clock.now().isoformat(), "frozen": clock.is_frozen()}
