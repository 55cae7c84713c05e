"""StatutoryCalendar: workalendar's Calendar interface over GovShare's own, versioned data.

Lookups use a precomputed index instead of workalendar's day-by-day walk:
- `_flags[i]` is 1 when day `_start + i` is a working day (is_working_day: O(1));
- `_count[i]` is the number of working days before day `_start + i` (get_working_days_delta: O(1));
- `_dates` holds the working days in order (add/sub_working_days: O(1) by position).
The index grows on demand into later years, whose arrangement is provisional until imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from workalendar.core import SAT, SUN, Calendar

from app.calendar.arrangement import OverlayEntry, YearArrangement
from app.calendar.statutory import provisional_arrangement
from app.clock import local_now

FIRST_YEAR = 2004  # the first year with official data
LAST_YEAR = 2099  # the lunar tables end here
PROVISIONAL_YEARS_AHEAD = 2  # provisional years indexed up front beyond the last official one


class CalendarRangeError(ValueError):
    """A date outside the years the calendar can reason about (before 2004 or after 2099)."""


class StatutoryCalendar(Calendar):
    """The Chinese statutory working-day calendar, with a provincial overlay and provisional years."""

    WEEKEND_DAYS = (SAT, SUN)

    def __init__(
        self,
        official: dict[int, YearArrangement],
        overlay: Iterable[OverlayEntry] = (),
        version: int | str = "builtin",
    ):
        super().__init__()
        self.version = version
        self._official = dict(official)
        self._overlay = {e.day: e for e in overlay}
        self._years: dict[int, YearArrangement] = {}
        self.last_official_year = max(self._official) if self._official else FIRST_YEAR - 1
        self._first = date(FIRST_YEAR, 1, 1)
        self._start = self._first.toordinal()
        self._flags = bytearray()
        self._count: list[int] = [0]
        self._dates: list[date] = []
        self._end_year = FIRST_YEAR - 1
        self._extend_to(max(self.last_official_year + PROVISIONAL_YEARS_AHEAD, FIRST_YEAR))

    # --- data -----------------------------------------------------------------------------------------

    def arrangement(self, year: int) -> YearArrangement:
        """The year's arrangement: the official one, or a provisional estimate."""
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CalendarRangeError(f"工作日历只支持 {FIRST_YEAR}–{LAST_YEAR} 年，{year} 年超出范围")
        found = self._years.get(year)
        if found is None:
            found = self._official.get(year) or provisional_arrangement(year)
            self._years[year] = found
        return found

    def is_provisional(self, year: int) -> bool:
        """True when `year` has no official arrangement loaded."""
        return year not in self._official

    def provisional_years(self, start: date, end: date) -> list[int]:
        """The provisional years among those that [start, end] touches."""
        return [y for y in range(start.year, end.year + 1) if self.is_provisional(y)]

    def overlay_entries(self) -> list[OverlayEntry]:
        """The provincial overlay."""
        return sorted(self._overlay.values(), key=lambda e: e.day)

    def _working_by_rule(self, day: date) -> bool:
        entry = self._overlay.get(day)
        if entry is not None:
            return entry.kind == "work"
        arrangement = self.arrangement(day.year)
        if day in arrangement.working_days:
            return True
        if day in arrangement.rest_days:
            return False
        return day.weekday() < 5

    def _extend_to(self, year: int) -> None:
        if year <= self._end_year:
            return
        if year > LAST_YEAR:
            raise CalendarRangeError(f"工作日历只支持 {FIRST_YEAR}–{LAST_YEAR} 年，{year} 年超出范围")
        day = date(self._end_year + 1, 1, 1)
        end = date(year, 12, 31)
        one = timedelta(1)
        flags, count, dates = self._flags, self._count, self._dates
        total = count[-1]
        while day <= end:
            working = self._working_by_rule(day)
            flags.append(1 if working else 0)
            if working:
                total += 1
                dates.append(day)
            count.append(total)
            day += one
        self._end_year = year

    def _offset(self, day: date) -> int:
        offset = day.toordinal() - self._start
        if offset < 0:
            raise CalendarRangeError(f"工作日历从 {FIRST_YEAR} 年开始，{day.isoformat()} 超出范围")
        if offset >= len(self._flags):
            self._extend_to(day.year)
        return offset

    # --- workalendar interface -----------------------------------------------------------------------

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        """Rest days of `year` other than ordinary weekends (statutory, arranged, overlay), with labels."""
        arrangement = self.arrangement(year)
        days = dict(arrangement.rest_days)
        for entry in self._overlay.values():
            if entry.day.year == year:
                if entry.kind == "rest":
                    days[entry.day] = entry.name
                else:
                    days.pop(entry.day, None)
        return sorted(days.items())

    def holidays(self, year: int | None = None) -> list[tuple[date, str]]:
        """workalendar: the year's holidays as sorted (date, label) pairs."""
        if year is None:
            year = local_now().year
        return self.get_calendar_holidays(year)

    def working_weekends(self, year: int) -> list[tuple[date, str]]:
        """Make-up working days (调休上班) of `year`, with labels."""
        days = dict(self.arrangement(year).working_days)
        for entry in self._overlay.values():
            if entry.day.year == year:
                if entry.kind == "work":
                    days[entry.day] = entry.name
                else:
                    days.pop(entry.day, None)
        return sorted(days.items())

    def is_working_day(self, day, extra_working_days=None, extra_holidays=None) -> bool:
        """workalendar: True for a working day (weekday not off, or a make-up working day)."""
        if extra_working_days or extra_holidays:
            return super().is_working_day(day, extra_working_days, extra_holidays)
        if isinstance(day, datetime):
            day = day.date()
        return self._flags[self._offset(day)] == 1

    def is_holiday(self, day, extra_holidays=None) -> bool:
        """workalendar: True for a rest day that is not an ordinary weekend day."""
        if isinstance(day, datetime):
            day = day.date()
        if extra_holidays and day in extra_holidays:
            return True
        return not self.is_working_day(day) and (day.weekday() < 5 or day in dict(self.holidays(day.year)))

    def add_working_days(self, day, delta, extra_working_days=None, extra_holidays=None, keep_datetime=False):
        """workalendar: the `delta`-th working day after `day` (before it when negative); `day` itself never counts."""
        if extra_working_days or extra_holidays or keep_datetime:
            return super().add_working_days(day, delta, extra_working_days, extra_holidays, keep_datetime)
        if type(day) is datetime:
            day = day.date()
        offset = day.toordinal() - self._start
        if delta > 0:
            if 0 <= offset < len(self._flags):
                position = self._count[offset + 1] + delta - 1
                if position < len(self._dates):
                    return self._dates[position]
            offset = self._offset(day)
            position = self._count[offset + 1] + delta - 1
            while position >= len(self._dates):
                self._extend_to(self._end_year + 1)
            return self._dates[position]
        if delta < 0:
            offset = self._offset(day)
            position = self._count[offset] + delta
            if position < 0:
                raise CalendarRangeError(f"工作日历从 {FIRST_YEAR} 年开始，无法向前推算")
            return self._dates[position]
        return day

    def sub_working_days(self, day, delta, extra_working_days=None, extra_holidays=None, keep_datetime=False):
        """workalendar: the `delta`-th working day before `day`."""
        return self.add_working_days(day, -abs(delta), extra_working_days, extra_holidays, keep_datetime)

    def get_working_days_delta(
        self, start, end, include_start=False, extra_working_days=None, extra_holidays=None
    ):
        """workalendar: working days in (start, end] (order does not matter); the start day counts only if asked."""
        if extra_working_days or extra_holidays:
            return super().get_working_days_delta(
                start, end, include_start, extra_working_days, extra_holidays
            )
        if isinstance(start, datetime):
            start = start.date()
        if isinstance(end, datetime):
            end = end.date()
        if start == end:
            return 0
        if start > end:
            start, end = end, start
        high = self._offset(end)
        low = self._offset(start)
        count = self._count[high + 1] - self._count[low + 1]
        if include_start and self._flags[low]:
            count += 1
        return count

    def find_following_working_day(self, day: date) -> date:
        """workalendar: `day` if it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)
