"""The official data: every day 2004–2026 against the holidays package and chinese-calendar, and the
2024–2026 State Council notices typed in by hand."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest
from workalendar.asia import China

from app.calendar.core import StatutoryCalendar
from app.calendar.services import bundled_snapshot, calendar_from_snapshot


@pytest.fixture(scope="module")
def cal() -> StatutoryCalendar:
    return calendar_from_snapshot(bundled_snapshot(), "test")


def days_of(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(1)


def test_every_day_2004_2026_agrees_with_the_holidays_package(cal):
    reference = holidays.China(years=range(2004, 2027))
    wrong = [
        d
        for y in range(2004, 2027)
        for d in days_of(y)
        if cal.is_working_day(d) != reference.is_working_day(d)
    ]
    assert wrong == []


def test_every_day_2004_2026_agrees_with_chinese_calendar_except_its_known_error(cal):
    wrong = [
        d
        for y in range(2004, 2027)
        for d in days_of(y)
        if cal.is_working_day(d) != chinese_calendar.is_workday(d)
    ]
    # chinese-calendar 1.11.0 misses the Saturday worked before New Year 2006 (see the generator's CORRECTIONS).
    assert wrong == [date(2005, 12, 31)]
    assert cal.is_working_day(date(2005, 12, 31))


def test_agrees_with_workalendar_where_its_data_is_current_except_the_2020_extension(cal):
    reference = China()
    wrong = [
        d
        for y in range(2018, 2024)
        for d in days_of(y)
        if cal.is_working_day(d) != reference.is_working_day(d)
    ]
    # workalendar lacks 国办发明电〔2020〕1号, which extended the 2020 Spring Festival to 2 February.
    assert wrong == [date(2020, 1, 31), date(2020, 2, 1)]
    assert not cal.is_working_day(date(2020, 2, 1))


def _span(start: str, end: str) -> set[date]:
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return {a + timedelta(n) for n in range((b - a).days + 1)}


# Typed from the State Council notices (国务院办公厅关于20xx年部分节假日安排的通知), not generated.
NOTICES = {
    2024: {
        "rest": _span("2024-01-01", "2024-01-01")
        | _span("2024-02-10", "2024-02-17")
        | _span("2024-04-04", "2024-04-06")
        | _span("2024-05-01", "2024-05-05")
        | _span("2024-06-10", "2024-06-10")
        | _span("2024-09-15", "2024-09-17")
        | _span("2024-10-01", "2024-10-07"),
        "work": {
            date(2024, 2, 4),
            date(2024, 2, 18),
            date(2024, 4, 7),
            date(2024, 4, 28),
            date(2024, 5, 11),
            date(2024, 9, 14),
            date(2024, 9, 29),
            date(2024, 10, 12),
        },
    },
    2025: {
        "rest": _span("2025-01-01", "2025-01-01")
        | _span("2025-01-28", "2025-02-04")
        | _span("2025-04-04", "2025-04-06")
        | _span("2025-05-01", "2025-05-05")
        | _span("2025-05-31", "2025-06-02")
        | _span("2025-10-01", "2025-10-08"),
        "work": {
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
        },
    },
    2026: {
        "rest": _span("2026-01-01", "2026-01-03")
        | _span("2026-02-15", "2026-02-23")
        | _span("2026-04-04", "2026-04-06")
        | _span("2026-05-01", "2026-05-05")
        | _span("2026-06-19", "2026-06-21")
        | _span("2026-09-25", "2026-09-27")
        | _span("2026-10-01", "2026-10-07"),
        "work": {
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        },
    },
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_matches_the_state_council_notice(cal, year):
    notice = NOTICES[year]
    for day in days_of(year):
        expected = day in notice["work"] or (day.weekday() < 5 and day not in notice["rest"])
        assert cal.is_working_day(day) is expected, day
    assert {d for d, _ in cal.working_weekends(year)} == notice["work"]
    assert not cal.is_provisional(year)


def test_holidays_lists_labelled_rest_days_like_workalendar(cal):
    days = dict(cal.holidays(2026))
    assert days[date(2026, 2, 17)] == "春节"
    assert days[date(2026, 10, 1)] == "国庆节"
    assert date(2026, 10, 10) not in days
    assert list(days) == sorted(days)


def test_year_data_carries_its_notice(cal):
    notice = cal.arrangement(2025).notice
    assert notice["title"] == "国务院办公厅关于2025年部分节假日安排的通知"
    assert notice["number"] == "国办发明电〔2024〕12号"
