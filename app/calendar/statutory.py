"""Provisional arrangements for years whose State Council notice is not loaded yet.

《全国年节及纪念日放假办法》 (2024 revision) fixes the statutory holidays: 元旦 1 day, 春节 4 days (除夕 and
初一–初三), 清明 1, 劳动节 2 (5月1日、2日), 端午 1, 中秋 1, 国庆 3 (10月1日–3日). Its article 6: a holiday for all
citizens that falls on a Saturday or Sunday is compensated on a working day (补假). The State Council's yearly
notice then moves days around (调休), which cannot be predicted: a provisional year has weekends off, the
statutory days and their 补假, and no make-up working days. Deadlines that touch such a year say so.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

from app.calendar.arrangement import YearArrangement

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from lunardate import LunarDate

BASIS = "《全国年节及纪念日放假办法》（2024年修订）"


def provisional_reason(year: int) -> str:
    """Why dates in `year` are only estimates."""
    return (
        f"{year}年放假安排尚未导入：按{BASIS}的法定节假日、补假规则和双休日估算，未含调休，"
        "以国务院办公厅通知为准"
    )


def qingming(year: int) -> date:
    """清明 (the solar term at 15° ecliptic longitude), by the 寿星 formula for 2001–2099."""
    if not 2001 <= year <= 2099:
        raise ValueError("清明 formula covers 2001–2099")
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def _lunar(year: int, month: int, day: int) -> date:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return LunarDate(year, month, day).toSolarDate()


def statutory_holidays(year: int) -> list[tuple[str, list[date]]]:
    """The statutory holidays of `year`, as (name, days) blocks."""
    new_year = _lunar(year, 1, 1)
    return [
        ("元旦", [date(year, 1, 1)]),
        ("春节", [new_year - timedelta(1), new_year, new_year + timedelta(1), new_year + timedelta(2)]),
        ("清明节", [qingming(year)]),
        ("劳动节", [date(year, 5, 1), date(year, 5, 2)]),
        ("端午节", [_lunar(year, 5, 5)]),
        ("中秋节", [_lunar(year, 8, 15)]),
        ("国庆节", [date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]),
    ]


def provisional_arrangement(year: int) -> YearArrangement:
    """The estimated arrangement of a year without a loaded notice (see the module docstring)."""
    rest: dict[date, str] = {}
    blocks = statutory_holidays(year)
    for name, days in blocks:
        for day in days:
            rest.setdefault(day, name)
    for name, days in blocks:
        owed = sum(1 for d in days if d.weekday() >= 5)
        day = max(days)
        while owed:
            day += timedelta(1)
            if day.weekday() < 5 and day not in rest:
                rest[day] = f"{name}补假"
                owed -= 1
    # A 补假 that spills into the next year (元旦 never does; 春节 cannot) is dropped by this filter.
    rest = {d: n for d, n in rest.items() if d.year == year}
    return YearArrangement(
        year=year,
        rest_days=rest,
        working_days={},
        notice={"title": f"{year}年放假安排（预计）", "number": None, "date": None, "url": None},
        provisional=True,
        provisional_reason=provisional_reason(year),
    )
