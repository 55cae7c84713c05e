"""Deadline rules (办法§19–§21 clocks; 民法典§201, §203), hand-computed around holidays and make-up days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar.core import StatutoryCalendar
from app.calendar.deadlines import (
    compute_deadline,
    deadline_status,
    working_days_left,
    working_days_overdue,
    working_days_taken,
)
from app.calendar.services import bundled_snapshot, calendar_from_snapshot


@pytest.fixture(scope="module")
def cal() -> StatutoryCalendar:
    return calendar_from_snapshot(bundled_snapshot(), 1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("event", "days", "rule", "due"),
    [
        # DOMAIN.md's example: received Wednesday before National Day, 3 WD end on the make-up Saturday.
        ("2026-09-30T10:00:00+08:00", 3, "strict", "2026-10-10"),
        # Spring Festival 2026: Saturday 02-14 is a make-up working day, 02-15..23 rest, 02-28 make-up.
        ("2026-02-13T10:00:00+08:00", 3, "strict", "2026-02-25"),
        ("2026-02-13T10:00:00+08:00", 10, "strict", "2026-03-05"),
        ("2026-02-13T10:00:00+08:00", 1, "strict", "2026-02-14"),
        # Spring Festival 2025 and 2024.
        ("2025-01-27T09:00:00+08:00", 1, "strict", "2025-02-05"),
        ("2024-02-08T09:00:00+08:00", 3, "strict", "2024-02-19"),
        # National Day 2025 (with 中秋): 09-28 and 10-11 are make-up days.
        ("2025-09-26T09:00:00+08:00", 1, "strict", "2025-09-28"),
        ("2025-09-30T09:00:00+08:00", 10, "strict", "2025-10-21"),
        # An event on a rest day: the period still starts the next day; nothing is counted before it.
        ("2026-10-03T11:00:00+08:00", 3, "strict", "2026-10-10"),
        # Provider authorization: 10 WD across the 2026 National Day.
        ("2026-09-24T15:00:00+08:00", 10, "strict", "2026-10-15"),
    ],
)
def test_deadlines_around_holidays(cal, event, days, rule, due):
    result = compute_deadline(cal, at(event), days, rule)
    assert result.due_date == date.fromisoformat(due)
    assert result.expires_at.isoformat() == f"{date.fromisoformat(due) + timedelta(days=1)}T00:00:00+08:00"
    assert result.provisional is False


def test_the_event_time_is_read_in_beijing_before_its_date_is_taken(cal):
    # 2026-02-13 23:30 Beijing (Friday) vs 2026-02-14 00:30 Beijing (the make-up Saturday), both given in UTC.
    friday = compute_deadline(cal, at("2026-02-13T15:30:00+00:00"), 3)
    saturday = compute_deadline(cal, at("2026-02-13T16:30:00+00:00"), 3)
    assert friday.counted_from == date(2026, 2, 13) and friday.due_date == date(2026, 2, 25)
    assert saturday.counted_from == date(2026, 2, 14) and saturday.due_date == date(2026, 2, 26)


def test_expiry_is_midnight_beijing_after_the_due_day(cal):
    result = compute_deadline(cal, at("2026-09-30T10:00:00+08:00"), 3)
    assert result.expires_at.isoformat() == "2026-10-11T00:00:00+08:00"
    assert result.timer_value() == "2026-10-11T00:00:00+08:00"


@pytest.mark.parametrize(
    ("event", "strict_due", "after_hours_due"),
    [
        ("2026-11-20T16:00:00+08:00", "2026-11-25", "2026-11-25"),  # Friday before close
        ("2026-11-20T18:00:00+08:00", "2026-11-25", "2026-11-26"),  # Friday after close → Monday
        ("2026-11-21T10:00:00+08:00", "2026-11-25", "2026-11-26"),  # Saturday → Monday
        ("2026-10-10T10:00:00+08:00", "2026-10-14", "2026-10-14"),  # make-up Saturday is a working day
        ("2026-09-30T17:45:00+08:00", "2026-10-10", "2026-10-12"),  # after close before National Day
    ],
)
def test_after_hours_rule_moves_late_and_rest_day_events_to_the_next_working_day(
    cal, event, strict_due, after_hours_due
):
    assert compute_deadline(cal, at(event), 3, "strict").due_date.isoformat() == strict_due
    assert (
        compute_deadline(cal, at(event), 3, "next-working-day-after-hours").due_date.isoformat()
        == after_hours_due
    )


def test_close_time_is_configurable(cal):
    event = at("2026-11-20T17:00:00+08:00")
    assert compute_deadline(cal, event, 3, "next-working-day-after-hours", "17:30").due_date == date(
        2026, 11, 25
    )
    assert compute_deadline(cal, event, 3, "next-working-day-after-hours", "16:30").due_date == date(
        2026, 11, 26
    )


def test_bad_inputs_are_refused_with_a_reason(cal):
    with pytest.raises(ValueError, match="时区"):
        compute_deadline(cal, datetime(2026, 1, 5, 10), 3)
    with pytest.raises(ValueError, match="工作日数"):
        compute_deadline(cal, at("2026-01-05T10:00:00+08:00"), 0)
    with pytest.raises(ValueError, match="起算规则"):
        compute_deadline(cal, at("2026-01-05T10:00:00+08:00"), 3, "lenient")


def test_a_year_without_an_arrangement_is_provisional_not_an_error(cal):
    result = compute_deadline(cal, at("2026-12-28T10:00:00+08:00"), 10)
    # 2027-01-01 (元旦) is a statutory rest day; no make-up days are guessed.
    assert result.due_date == date(2027, 1, 12)
    assert result.provisional is True
    assert "2027年放假安排尚未导入" in result.provisional_reason
    assert "全国年节及纪念日放假办法" in result.provisional_reason


def test_provisional_year_follows_the_statutory_holidays_and_their_compensation(cal):
    rest = dict(cal.holidays(2027))
    # 春节 2027: 除夕 02-05 to 初三 02-08; 02-06/07 fall on a weekend, so 02-09 and 02-10 are 补假.
    for day in ("2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"):
        assert date.fromisoformat(day) in rest
    assert cal.is_working_day(date(2027, 2, 11))
    # 清明 2027 is 04-05, 端午 06-09, 中秋 09-15 (lunar dates computed).
    assert {date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)} <= set(rest)
    assert cal.working_weekends(2027) == []


def test_badges_remaining_due_today_and_overdue(cal):
    due = date(2026, 10, 10)  # make-up Saturday
    assert deadline_status(cal, due, at("2026-09-30T09:00:00+08:00")).text == "剩余3个工作日"
    assert deadline_status(cal, due, at("2026-10-10T20:00:00+08:00")).text == "今日到期"
    assert (
        deadline_status(cal, due, at("2026-10-11T09:00:00+08:00")).text == "已超期"
    )  # Sunday: no working day yet
    assert deadline_status(cal, due, at("2026-10-13T09:00:00+08:00")).text == "已超期2个工作日"
    assert (
        deadline_status(cal, date(2027, 1, 12), at("2027-01-08T09:00:00+08:00"), provisional=True).text
        == "预计剩余2个工作日"
    )
    assert working_days_left(cal, due, at("2026-10-12T00:00:00+08:00")) == 0
    assert working_days_overdue(cal, due, at("2026-10-09T00:00:00+08:00")) == 0


def test_working_days_taken_counts_like_a_deadline(cal):
    assert working_days_taken(cal, at("2026-09-30T10:00:00+08:00"), at("2026-10-10T11:00:00+08:00")) == 3
    assert working_days_taken(cal, at("2026-09-30T10:00:00+08:00"), at("2026-09-30T18:00:00+08:00")) == 0
    with pytest.raises(ValueError):
        working_days_taken(cal, at("2026-10-01T10:00:00+08:00"), at("2026-09-30T10:00:00+08:00"))


def test_workalendar_interface(cal):
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert cal.sub_working_days(date(2026, 10, 10), 3) == date(2026, 9, 30)
    assert cal.get_working_days_delta(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert cal.get_working_days_delta(date(2026, 10, 10), date(2026, 9, 30)) == 3
    assert cal.get_working_days_delta(date(2026, 9, 30), date(2026, 10, 10), include_start=True) == 4
    assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert cal.is_holiday(date(2026, 10, 5)) and not cal.is_holiday(date(2026, 10, 10))
    # workalendar's extra_* arguments still work (slow path of the base class).
    assert cal.add_working_days(date(2026, 9, 30), 3, extra_holidays=[date(2026, 10, 10)]) == date(
        2026, 10, 12
    )


# --- properties ------------------------------------------------------------------------------------------

dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=1, max_value=60)


@settings(max_examples=400, deadline=None)
@given(day=dates, n=counts)
def test_delta_inverts_add(cal, day, n):
    assert cal.get_working_days_delta(day, cal.add_working_days(day, n)) == n


@settings(max_examples=300, deadline=None)
@given(day=dates, n=counts)
def test_result_is_a_working_day_after_the_start(cal, day, n):
    result = cal.add_working_days(day, n)
    assert cal.is_working_day(result)
    assert result > day


@settings(max_examples=300, deadline=None)
@given(day=dates, n=counts)
def test_monotonic_in_n(cal, day, n):
    assert cal.add_working_days(day, n) < cal.add_working_days(day, n + 1)


@settings(max_examples=300, deadline=None)
@given(day=dates, n=counts)
def test_the_start_day_never_counts(cal, day, n):
    # The index-based answer equals a plain day-by-day walk that starts counting the day after `day`.
    following = cal.add_working_days(day, n)
    walked = day
    count = 0
    while count < n:
        walked = date.fromordinal(walked.toordinal() + 1)
        count += cal.is_working_day(walked)
    assert following == walked


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2004, 2, 1), max_value=date(2030, 12, 31)), n=counts)
def test_sub_inverts_add(cal, day, n):
    later = cal.add_working_days(day, n)
    assert cal.sub_working_days(later, n) == cal.sub_working_days(cal.add_working_days(day, 1), 1)
