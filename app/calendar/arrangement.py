"""A year's holiday arrangement (放假安排): its data format, parsing and validation.

The same format is used by the bundled official data (data/cn_official.json), by `govshare calendar import`
and by the admin page:

    {"year": 2027,
     "notice": {"title": "...", "number": "国办发明电〔2026〕N号", "date": "2026-11-04", "url": "..."},
     "holidays": [{"name": "春节", "start": "2027-02-05", "end": "2027-02-12"}, ...],
     "working_days": [{"date": "2027-02-20", "name": "春节调休上班"}, ...]}

A holiday block may also list its days: {"name": "春节", "dates": ["2027-02-05", ...]}; they must be
consecutive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

MAX_BLOCK_DAYS = 15


class ArrangementError(ValueError):
    """An arrangement breaks a rule; `problems` lists each bad entry in words an administrator understands."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class YearArrangement:
    """The rest days and make-up working days of one year, official or provisional."""

    year: int
    rest_days: dict[date, str]
    working_days: dict[date, str]
    notice: dict[str, Any] = field(default_factory=dict)
    provisional: bool = False
    provisional_reason: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The import/storage format (holiday runs grouped into blocks)."""
        blocks: list[dict[str, str]] = []
        for day in sorted(self.rest_days):
            name = self.rest_days[day]
            if (
                blocks
                and blocks[-1]["name"] == name
                and date.fromisoformat(blocks[-1]["end"]) + timedelta(1) == day
            ):
                blocks[-1]["end"] = day.isoformat()
            else:
                blocks.append({"name": name, "start": day.isoformat(), "end": day.isoformat()})
        return {
            "year": self.year,
            "notice": dict(self.notice),
            "holidays": blocks,
            "working_days": [
                {"date": d.isoformat(), "name": n} for d, n in sorted(self.working_days.items())
            ],
        }


def _parse_date(value: Any, where: str, problems: list[str]) -> date | None:
    if not isinstance(value, str):
        problems.append(f"{where}：缺少日期（格式 YYYY-MM-DD）")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}：{value!r} 不是有效日期（格式 YYYY-MM-DD）")
        return None


def parse_arrangement(document: Any, *, expected_year: int | None = None) -> YearArrangement:
    """Validate an arrangement document and return it; ArrangementError names every bad entry.

    Rules: dates inside the year, no day both rest and working, make-up working days on weekends,
    each holiday block contiguous, blocks do not overlap.
    """
    problems: list[str] = []
    if not isinstance(document, dict):
        raise ArrangementError(["文件内容必须是一个 JSON 对象"])
    year = document.get("year")
    if not isinstance(year, int) or not 2004 <= year <= 2099:
        raise ArrangementError([f"year：{year!r} 不是 2004–2099 之间的年份"])
    if expected_year is not None and year != expected_year:
        problems.append(f"year：文件中的年份 {year} 与所选年份 {expected_year} 不一致")
    notice = document.get("notice") or {}
    if not isinstance(notice, dict):
        problems.append("notice：必须是对象（title、number、date、url）")
        notice = {}
    unknown = set(notice) - {"title", "number", "date", "url"}
    if unknown:
        problems.append(f"notice：未知字段 {', '.join(sorted(unknown))}")
    if notice.get("date"):
        _parse_date(notice["date"], "notice.date", problems)

    rest: dict[date, str] = {}
    holidays = document.get("holidays", [])
    if not isinstance(holidays, list):
        problems.append("holidays：必须是列表")
        holidays = []
    for i, block in enumerate(holidays):
        name = block.get("name", "") if isinstance(block, dict) else ""
        where = f"holidays[{i}]（{name or '未命名'}）"
        if not isinstance(block, dict):
            problems.append(f"{where}：必须是对象")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}：缺少假日名称 name")
        days: list[date] = []
        if "dates" in block:
            parsed = [_parse_date(v, where, problems) for v in block.get("dates") or []]
            days = sorted(d for d in parsed if d is not None)
            if not days:
                problems.append(f"{where}：dates 为空")
            for a, b in zip(days, days[1:], strict=False):
                if b - a != timedelta(days=1):
                    problems.append(f"{where}：假期不连续（{a.isoformat()} 与 {b.isoformat()} 之间有间断）")
                    break
        else:
            start = _parse_date(block.get("start"), f"{where}.start", problems)
            end = _parse_date(block.get("end", block.get("start")), f"{where}.end", problems)
            if start and end:
                if end < start:
                    problems.append(f"{where}：结束日期 {end} 早于开始日期 {start}")
                elif (end - start).days + 1 > MAX_BLOCK_DAYS:
                    problems.append(
                        f"{where}：假期长达 {(end - start).days + 1} 天，超过 {MAX_BLOCK_DAYS} 天"
                    )
                else:
                    days = [start + timedelta(n) for n in range((end - start).days + 1)]
        for day in days:
            if day.year != year:
                problems.append(f"{where}：{day.isoformat()} 不在 {year} 年内")
            elif day in rest:
                problems.append(f"{where}：{day.isoformat()} 已属于另一假期（{rest[day]}）")
            else:
                rest[day] = name.strip()

    working: dict[date, str] = {}
    entries = document.get("working_days", [])
    if not isinstance(entries, list):
        problems.append("working_days：必须是列表")
        entries = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"date": entry, "name": "调休上班"}
        where = f"working_days[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}：必须是对象或日期字符串")
            continue
        workday = _parse_date(entry.get("date"), where, problems)
        if workday is None:
            continue
        where = f"{where}（{workday.isoformat()}）"
        if workday.year != year:
            problems.append(f"{where}：不在 {year} 年内")
        elif workday.weekday() < 5:
            problems.append(f"{where}：调休上班日必须是周六或周日，该日是周{'一二三四五'[workday.weekday()]}")
        elif workday in rest:
            problems.append(f"{where}：同一天既是放假日又是调休上班日")
        elif workday in working:
            problems.append(f"{where}：重复")
        else:
            working[workday] = (entry.get("name") or "调休上班").strip()

    if problems:
        raise ArrangementError(problems)
    return YearArrangement(
        year=year,
        rest_days=rest,
        working_days=working,
        notice={k: notice.get(k) for k in ("title", "number", "date", "url")},
    )


@dataclass(frozen=True)
class OverlayEntry:
    """A provincial exception (e.g. a Hubei-only rest day) on top of the national arrangement."""

    day: date
    kind: str  # "rest" or "work"
    name: str
    source: str


def parse_overlay(entries: Any) -> list[OverlayEntry]:
    """Validate the provincial overlay; each entry needs a date, a kind (rest/work), a name and a source."""
    problems: list[str] = []
    out: list[OverlayEntry] = []
    seen: set[date] = set()
    for i, entry in enumerate(entries or []):
        where = f"overlay[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}：必须是对象")
            continue
        day = _parse_date(entry.get("date"), where, problems)
        kind = entry.get("kind")
        if kind not in ("rest", "work"):
            problems.append(f"{where}：kind 必须是 rest（放假）或 work（上班）")
        if not (entry.get("source") or "").strip():
            problems.append(f"{where}：必须注明依据（source）")
        if day and day in seen:
            problems.append(f"{where}：{day.isoformat()} 重复")
        if day and kind in ("rest", "work") and (entry.get("source") or "").strip():
            seen.add(day)
            out.append(
                OverlayEntry(day, kind, (entry.get("name") or "").strip() or "湖北省安排", entry["source"])
            )
    if problems:
        raise ArrangementError(problems)
    return out
