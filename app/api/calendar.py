"""GET /api/v1/calendar/deadline: the same JSON as `govshare calendar deadline --json`."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from app.api import bp
from app.calendar.deadlines import Rule, parse_close_time
from app.calendar.services import deadline
from app.clock import SHANGHAI
from app.errors import ValidationFailed


def parse_moment(value: str):
    """An ISO-8601 time; without an offset it is read as Beijing time."""
    from datetime import datetime

    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


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


def _first_messages(messages: dict) -> dict[str, str]:
    return {key: (value[0] if isinstance(value, list) else str(value)) for key, value in messages.items()}


@bp.get("/calendar/deadline")
def calendar_deadline():
    """Compute a working-day deadline."""
    try:
        query = DeadlineQuery().load(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed("参数有误", fields=_first_messages(exc.messages)) from None
    try:
        result = deadline(parse_moment(query["from_"]), query["days"], query["rule"], query["close_time"])
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    return jsonify(result.as_json())
