"""POST /api/v1/admin/clock: move the one clock of a running demo or test server."""

from __future__ import annotations

from flask import current_app, jsonify, request

from app import clock
from app.access import require
from app.api import api_user, bp
from app.api.calendar import parse_moment
from app.errors import NotFound, ValidationFailed


@bp.post("/admin/clock")
def set_clock():
    """{"now": ISO} freezes the clock there; {"now": null} lets it run again. Off in production."""
    if not current_app.config.get("ALLOW_CLOCK_OVERRIDE"):
        raise NotFound("未启用时钟调整")
    require(api_user(), "clock.set")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "now" not in body:
        raise ValidationFailed(
            '请求体应为 JSON：{"now": "2026-09-30T10:00:00+08:00"}', fields={"now": "必填"}
        )
    if body["now"] is None:
        clock.unfreeze()
    else:
        try:
            clock.freeze(parse_moment(str(body["now"])))
        except ValueError:
            raise ValidationFailed("时间格式有误", fields={"now": "应为 ISO 8601 时间"}) from None
    return jsonify(now=clock.now().isoformat(), frozen=clock.is_frozen())
