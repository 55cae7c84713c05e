"""What the task page shows about the case a task belongs to: each area registers, beside its own services, a
summary of the cases of its procedures (app/sharing/summaries.py, app/catalog/summaries.py); the inbox knows
none of them."""

from __future__ import annotations

from collections.abc import Callable

Row = tuple[str, str, str | None]  # (label, text, link)
Summary = tuple[str | None, list[Row]]  # (link to the case page, rows)
SummaryOf = Callable[[str, dict], Summary]

_SUMMARIES: dict[str, SummaryOf] = {}


def case_summary(process_id: str) -> Callable[[SummaryOf], SummaryOf]:
    """Register the summary of the cases of `process_id` (called with the business key and the case's data)."""

    def register(summary: SummaryOf) -> SummaryOf:
        _SUMMARIES[process_id] = summary
        return summary

    return register


def describe(process_id: str, number: str, data: dict) -> Summary:
    """(link to the case page, extra rows) for a case; procedures without a summary show nothing extra."""
    summary = _SUMMARIES.get(process_id)
    return summary(number, data) if summary else (None, [])
