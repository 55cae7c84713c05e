"""GET /api/v1/calendar/deadline: the same JSON as `govshare calendar deadline --json`."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.api import bp
from app.api.schemas import DeadlineOut
from app.calendar.deadlines import Rule, parse_close_time
from app.calendar.services import deadline
from app.clock import parse_moment
from app.errors import ValidationFailed


class DeadlineQuery(Schema):
    """Query parameters of the deadline endpoint."""

    from_ = fields.String(data_key="from", required=True, error_messages={"required": "缺少起算时间 from"})
    days = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=366, error="工作日数必须在 1–366 之间"),
        error_messages={"required": "缺少工作日数 days", "invalid": "工作日数必须是整数"},
    )
    rule = fields.String(
        load_default=Rule.STRICT.value,
        validate=validate.OneOf(
            [r.value for r in Rule], error="起算规则只能是 strict 或 next-working-day-after-hours"
        ),
    )
    close_time = fields.String(load_default=None)

    @validates("from_")
    def _check_from(self, value: str, **_kw) -> None:
        try:
            parse_moment(value)
        except ValueError:
            raise ValidationError("起算时间格式应为 ISO 8601，例如 2026-09-30T10:00:00+08:00") from None

    @validates("close_time")
    def _check_close(self, value: str | None, **_kw) -> None:
        if value:
            try:
                parse_close_time(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


@bp.get("/calendar/deadline", tags=["工作日历"])
@bp.arguments(DeadlineQuery, location="query")
@bp.response(200, DeadlineOut)
def calendar_deadline(query: dict):
    """按法定工作日计算期限（事件当日不计，第 N 个工作日 24:00 截止）"""
    try:
        result = deadline(parse_moment(query["from_"]), query["days"], query["rule"], query["close_time"])
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    return result.as_json()
