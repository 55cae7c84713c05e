"""What the task page shows about the case a task belongs to: each area registers, beside its own services, a
summary of the cases of its procedures (app/sharing/summaries.py, app/catalog/summaries.py) and the values a
form opens with when it corrects what was submitted (补正); the inbox knows none of them."""

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


Prefill = Callable[[dict], dict]
_PREFILLS: dict[tuple[str, str], Prefill] = {}


def form_prefill(process_id: str, form: str) -> Callable[[Prefill], Prefill]:
    """Register what form `form` of `process_id` opens with (called with the case's data)."""

    def register(prefill: Prefill) -> Prefill:
        _PREFILLS[(process_id, form)] = prefill
        return prefill

    return register


def prefill(process_id: str, form: str | None, data: dict) -> dict:
    """The values a task's form opens with when no draft was saved: what was submitted, where a step corrects
    it; nothing otherwise."""
    found = _PREFILLS.get((process_id, form or ""))
    return found(data) if found else {}


FullerPage = Callable[[dict], tuple[str, str] | None]
_FULLER: dict[tuple[str, str], FullerPage] = {}


def fuller_page(process_id: str, form: str) -> Callable[[FullerPage], FullerPage]:
    """Register a page of the area that does this step with more than its form can carry (补正 of an
    application's resources and files); called with the case's data, it gives (label, link) or None."""

    def register(page: FullerPage) -> FullerPage:
        _FULLER[(process_id, form)] = page
        return page

    return register


def fuller(process_id: str, form: str | None, data: dict) -> tuple[str, str] | None:
    """(label, link) of the fuller page of a task's step, if its area has one."""
    found = _FULLER.get((process_id, form or ""))
    return found(data) if found else None
