"""Deadline rules for "N个工作日" (办法§12, §19–§21), on the statutory calendar.

- The day of the triggering event is not counted (民法典§201); the deadline is the N-th working day after it and
  expires at 24:00 Beijing time of that day (民法典§203).
- The event time is converted to Asia/Shanghai before its date is taken.
- Rule `strict` (default): the event's own date, whatever the hour. Rule `next-working-day-after-hours`: an
  event after office hours (close time) or on a rest day counts as happening on the next working day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from app.calendar.core import StatutoryCalendar
from app.clock import SHANGHAI

MAX_DAYS = 366


class Rule(StrEnum):
    """How the event's date is taken (a setting of each procedure)."""

    STRICT = "strict"
    NEXT_WORKING_DAY_AFTER_HOURS = "next-working-day-after-hours"


DEFAULT_CLOSE_TIME = time(17, 30)


@dataclass(frozen=True)
class Deadline:
    """A computed deadline and everything needed to explain and recompute it."""

    event_at: datetime
    days: int
    rule: str
    close_time: time
    counted_from: date  # the day not counted: the N days start after it
    due_date: date
    expires_at: datetime  # 24:00 of due_date, Asia/Shanghai (= 00:00 of the next day, +08:00)
    provisional: bool
    provisional_reason: str | None
    calendar_version: int | str

    def timer_value(self) -> str:
        """The ISO-8601 string with +08:00 that BPMN timers need (ENGINE-NOTES: never a datetime object)."""
        return self.expires_at.isoformat()

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of the CLI and the API."""
        return {
            "event_at": self.event_at.astimezone(SHANGHAI).isoformat(),
            "days": self.days,
            "rule": self.rule,
            "close_time": self.close_time.strftime("%H:%M"),
            "counted_from": self.counted_from.isoformat(),
            "due_date": self.due_date.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "provisional": self.provisional,
            "provisional_reason": self.provisional_reason,
            "calendar_version": self.calendar_version,
        }


def parse_rule(value: str | None) -> Rule:
    """A Rule from its name (None → strict); ValueError lists the names."""
    if value in (None, ""):
        return Rule.STRICT
    try:
        return Rule(value)
    except ValueError:
        raise ValueError(f"未知的起算规则 {value!r}，可用：{', '.join(r.value for r in Rule)}") from None


def parse_close_time(value: str | time | None) -> time:
    """Office close time from "HH:MM" (None → 17:30)."""
    if value is None or value == "":
        return DEFAULT_CLOSE_TIME
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"下班时间 {value!r} 格式应为 HH:MM") from None


def local_date(moment: datetime) -> date:
    """The Beijing date of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("时间必须带时区（例如 2026-09-30T10:00:00+08:00）")
    return moment.astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """00:00 Beijing time of `day`, +08:00."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """24:00 Beijing time of `day`, i.e. 00:00 of the next day, +08:00."""
    return datetime.combine(day + timedelta(1), time(0), tzinfo=SHANGHAI)


def counted_from(cal: StatutoryCalendar, event_at: datetime, rule: Rule, close_time: time) -> date:
    """The day the period counts from (not itself counted)."""
    local = event_at.astimezone(SHANGHAI)
    day = local.date()
    if rule is Rule.NEXT_WORKING_DAY_AFTER_HOURS and (
        not cal.is_working_day(day) or local.time().replace(tzinfo=None) >= close_time
    ):
        return cal.add_working_days(day, 1)
    return day


def compute_deadline(
    cal: StatutoryCalendar,
    event_at: datetime,
    days: int,
    rule: Rule | str = Rule.STRICT,
    close_time: time | str | None = None,
) -> Deadline:
    """The deadline `days` working days after the event (see the module docstring)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"工作日数必须是 1–{MAX_DAYS} 之间的整数，收到 {days!r}")
    if event_at.tzinfo is None:
        raise ValueError("事件时间必须带时区（例如 2026-09-30T10:00:00+08:00）")
    rule = parse_rule(rule) if not isinstance(rule, Rule) else rule
    close = parse_close_time(close_time)
    start = counted_from(cal, event_at, rule, close)
    due = cal.add_working_days(start, days)
    provisional_years = cal.provisional_years(local_date(event_at), due)
    reason = None
    if provisional_years:
        reason = "；".join(cal.arrangement(y).provisional_reason or "" for y in provisional_years)
    return Deadline(
        event_at=event_at,
        days=days,
        rule=rule.value,
        close_time=close,
        counted_from=start,
        due_date=due,
        expires_at=end_of_day(due),
        provisional=bool(provisional_years),
        provisional_reason=reason,
        calendar_version=cal.version,
    )


@dataclass(frozen=True)
class DeadlineStatus:
    """Where a deadline stands today, for inbox badges."""

    state: str  # "remaining", "due_today", "overdue"
    working_days: int
    provisional: bool

    @property
    def text(self) -> str:
        """剩余2个工作日 / 今日到期 / 已超期1个工作日 (预计 for provisional deadlines)."""
        prefix = "预计" if self.provisional else ""
        if self.state == "due_today":
            return f"{prefix}今日到期"
        if self.state == "remaining":
            return f"{prefix}剩余{self.working_days}个工作日"
        if self.working_days == 0:
            return "已超期"
        return f"已超期{self.working_days}个工作日"


def working_days_left(cal: StatutoryCalendar, due_date: date, now: datetime) -> int:
    """Working days from today (not counted) to the due date (counted); 0 on the due day or after it."""
    today = local_date(now)
    return cal.get_working_days_delta(today, due_date) if due_date > today else 0


def working_days_overdue(cal: StatutoryCalendar, due_date: date, now: datetime) -> int:
    """Working days elapsed after the due date up to today (counted); 0 when not overdue."""
    today = local_date(now)
    return cal.get_working_days_delta(due_date, today) if today > due_date else 0


def deadline_status(
    cal: StatutoryCalendar, due_date: date, now: datetime, provisional: bool = False
) -> DeadlineStatus:
    """The badge state of a deadline at `now`."""
    today = local_date(now)
    if today == due_date:
        return DeadlineStatus("due_today", 0, provisional)
    if today < due_date:
        return DeadlineStatus("remaining", working_days_left(cal, due_date, now), provisional)
    return DeadlineStatus("overdue", working_days_overdue(cal, due_date, now), provisional)


def working_days_taken(cal: StatutoryCalendar, start_at: datetime, end_at: datetime) -> int:
    """Working days used between two moments, counted like a deadline (start day not counted); for statistics."""
    start, end = local_date(start_at), local_date(end_at)
    if end < start:
        raise ValueError("结束时间早于开始时间")
    return cal.get_working_days_delta(start, end)
