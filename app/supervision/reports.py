"""Tables built from the statistics for pages, exports and reports: §26 overdue and interruption report,
§28 yearly scorecards, and the monthly report the scheduler generates and keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import func, select

from app import clock
from app.audit.writer import record
from app.calendar.deadlines import start_of_day, working_days_overdue
from app.calendar.services import active_calendar
from app.catalog.models import DutyChange
from app.catalog.upkeep import overdue_changes
from app.clock import SHANGHAI
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db, stored
from app.org.models import Department, User
from app.sharing.models import Dispute, Objection
from app.spreadsheets import Days, Percent
from app.supervision import calls, stats
from app.supervision.models import MonthlyReport, Rectification, RectificationStatus

AUTHORIZATION_STEPS = ("upper_check", "direct_authorization", "provider_authorization")


def percent(value: float | None) -> Percent | str:
    """0.667 → a rate shown as "66.7%" (a number in Excel exports); no data → "—"."""
    return "—" if value is None else Percent(value)


def days_text(value: float | None) -> Days | str:
    """Working days with one decimal (a number in Excel exports); no data → "—"."""
    return "—" if value is None else Days(value)


def step_rows(figures: list[stats.StepFigures], names: dict[int | None, str] | None = None) -> list[list]:
    """Rows of the step table (with the department column when `names` is given)."""
    rows = []
    for f in figures:
        row = [names.get(f.department_id, "—")] if names is not None else []
        rows.append(
            row
            + [
                f.label,
                f.finished,
                f.on_time,
                f.late,
                percent(f.on_time_rate),
                days_text(f.average_days),
                "—" if f.p90_days is None else f.p90_days,
            ]
        )
    return rows


STEP_HEADERS = ["环节", "办结数", "按时", "超期", "按时率", "平均用时（工作日）", "90%分位用时（工作日）"]


@dataclass
class DepartmentIssues:
    """What the §26 report lists for one department."""

    department: Department
    overdue: list[tuple[HumanTask, int]] = field(default_factory=list)  # (task, working days overdue)
    outages: list[tuple[calls.Availability, int]] = field(default_factory=list)  # (service, longest minutes)
    # repeat failings (#17): authorizations that went past due in one month, when they reach REPEAT_FAILING_COUNT
    repeated: list[HumanTask] = field(default_factory=list)
    repeated_month: str = ""
    # catalog not updated in time after a change of law or duties (§6): a §31(一) rectification proposed
    catalog_overdue: list[DutyChange] = field(default_factory=list)


def overdue_report(now: datetime | None = None, department_ids=None) -> list[DepartmentIssues]:
    """§26: authorizations overdue beyond SUPERVISION_OVERDUE_DAYS working days, and services down longer than
    SUPERVISION_OUTAGE_MINUTES in the last 30 days, by department, for the leadership office (only
    `department_ids`, when given: a city's data bureau sees its city)."""
    now = now or clock.now()
    cal = active_calendar()
    limit = current_app.config["SUPERVISION_OVERDUE_DAYS"]
    by_department: dict[int, DepartmentIssues] = {}
    query = select(HumanTask).where(
        HumanTask.status == TaskStatus.OPEN,
        HumanTask.spec_name.in_(AUTHORIZATION_STEPS),
        HumanTask.due_at < now,
    )
    if department_ids is not None:
        query = query.where(HumanTask.candidate_department_id.in_(department_ids))
    open_tasks = db.session.scalars(query)
    for task in open_tasks:
        late = working_days_overdue(cal, task.due_date, now) if task.due_date else 0
        if late >= limit and task.candidate_department_id:
            entry = by_department.get(task.candidate_department_id)
            if entry is None:
                entry = by_department[task.candidate_department_id] = DepartmentIssues(
                    task.candidate_department
                )
            entry.overdue.append((task, late))
    threshold = current_app.config["SUPERVISION_OUTAGE_MINUTES"]
    today = clock.local_now().date()
    for item in calls.availability(today - timedelta(days=30), today, department_ids):
        minutes = item.longest_outage_minutes(now)
        if minutes >= threshold:
            provider = item.service.resource.provider
            entry = by_department.setdefault(provider.id, DepartmentIssues(provider))
            entry.outages.append((item, minutes))
    for change in overdue_changes(department_ids):
        by_department.setdefault(
            change.department_id, DepartmentIssues(change.department)
        ).catalog_overdue.append(change)
    for department, month, tasks in repeat_failings(now, department_ids):
        entry = by_department.setdefault(department.id, DepartmentIssues(department))
        if len(tasks) > len(entry.repeated):
            entry.repeated, entry.repeated_month = tasks, month
    return sorted(by_department.values(), key=lambda e: e.department.name)


def repeat_failings(now: datetime, department_ids=None) -> list[tuple[Department, str, list[HumanTask]]]:
    """Departments with at least REPEAT_FAILING_COUNT authorizations that went past their deadline within one
    calendar month (this month or the last), finished late or still open: proposed for a §31(二) rectification,
    with the cases."""
    local = now.astimezone(SHANGHAI)
    this_month = local.date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    found = []
    for start, end in ((last_month, this_month), (this_month, None)):
        begin = start_of_day(start)
        finish = start_of_day(end) if end else now
        query = select(HumanTask).where(
            HumanTask.spec_name.in_(AUTHORIZATION_STEPS),
            HumanTask.due_at >= begin,
            HumanTask.due_at < finish,
            HumanTask.due_at < now,
            ((HumanTask.status == TaskStatus.OPEN) | (HumanTask.completed_at > HumanTask.due_at)),
            HumanTask.status != TaskStatus.CANCELLED,
        )
        if department_ids is not None:
            query = query.where(HumanTask.candidate_department_id.in_(department_ids))
        by_department: dict[int, list[HumanTask]] = {}
        for task in db.session.scalars(query.order_by(HumanTask.due_at)):
            if task.candidate_department_id:
                by_department.setdefault(task.candidate_department_id, []).append(task)
        for department_id, tasks in by_department.items():
            if len(tasks) >= current_app.config["REPEAT_FAILING_COUNT"]:
                found.append((stored(Department, department_id), start.strftime("%Y-%m"), tasks))
    return found


@dataclass
class Scorecard:
    """One department's year (§28 target-responsibility assessment)."""

    department: Department
    finished: int = 0
    on_time: int = 0
    overdue_open: int = 0
    objections: int = 0
    disputes: int = 0
    rectifications: int = 0
    escalated: int = 0
    flagged_calls: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.finished if self.finished else None


SCORECARD_HEADERS = [
    "部门",
    "办结环节",
    "按时",
    "按时率",
    "当前超期",
    "被提异议",
    "涉及分歧",
    "整改通知",
    "逾期未整改上报",
    "超授权调用",
]


def scorecards(year: int, department_ids=None) -> list[Scorecard]:
    """Every active department's figures for a year (only `department_ids`, when given)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    scope = stats.Scope(start, end)
    figures = stats.compute(scope)
    departments = select(Department).where(Department.active.is_(True))
    if department_ids is not None:
        departments = departments.where(Department.id.in_(department_ids))
    cards = {d.id: Scorecard(d) for d in db.session.scalars(departments)}
    for f in figures.by_department:
        if f.department_id in cards:
            cards[f.department_id].finished += f.finished
            cards[f.department_id].on_time += f.on_time
    for department_id, count in figures.overdue_by_department.items():
        if department_id in cards:
            cards[department_id].overdue_open += count
    begin, finish = scope.start_at, scope.end_at
    for department_id, count in db.session.execute(
        select(Objection.provider_department_id, func.count())
        .where(Objection.raised_at >= begin, Objection.raised_at < finish)
        .group_by(Objection.provider_department_id)
    ):
        if department_id in cards:
            cards[department_id].objections = count
    for column in (Dispute.applicant_department_id, Dispute.provider_department_id):
        for department_id, count in db.session.execute(
            select(column, func.count())
            .where(Dispute.raised_at >= begin, Dispute.raised_at < finish)
            .group_by(column)
        ):
            if department_id in cards:
                cards[department_id].disputes += count
    for department_id, status, count in db.session.execute(
        select(Rectification.department_id, Rectification.status, func.count())
        .where(Rectification.ordered_at >= begin, Rectification.ordered_at < finish)
        .group_by(Rectification.department_id, Rectification.status)
    ):
        if department_id in cards:
            cards[department_id].rectifications += count
            if status == RectificationStatus.ESCALATED:
                cards[department_id].escalated += count
    for row in calls.call_figures(start, end, by="caller"):  # closed months from their rollup (#30)
        caller_id = int(row.key) if row.key.isdigit() else None
        if caller_id in cards:
            cards[caller_id].flagged_calls = row.flagged
    return sorted(cards.values(), key=lambda c: (c.department.platform_id, c.department.name))


def scorecard_rows(cards: list[Scorecard]) -> list[list]:
    """Rows for the table and its exports."""
    return [
        [
            c.department.name,
            c.finished,
            c.on_time,
            percent(c.on_time_rate),
            c.overdue_open,
            c.objections,
            c.disputes,
            c.rectifications,
            c.escalated,
            c.flagged_calls,
        ]
        for c in cards
    ]


def month_bounds(period: str) -> tuple[date, date]:
    """ "2026-10" → (2026-10-01, 2026-10-31); ValueError when it is not a month."""
    year, month = (int(part) for part in period.split("-"))
    start = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def generate_monthly(period: str, *, replace: bool = False, actor: User | None = None) -> MonthlyReport:
    """Compute and keep the §26 report of a month (published figures are not silently rewritten: every
    generation and regeneration is audited, with the figures it replaced)."""
    existing = db.session.scalar(select(MonthlyReport).where(MonthlyReport.period == period))
    if existing is not None and not replace:
        return existing
    start, end = month_bounds(period)
    figures = stats.compute(stats.Scope(start, end))
    names = stats.department_names(f.department_id for f in figures.by_department)
    call_rows = calls.call_figures(start, end, by="resource")
    availability = calls.availability(start, end)
    # The kept report is a document of its own: rendered without a request (it needs no url_for).
    html = render_template(
        "supervision/monthly_report.html",
        stylesheet=f"{current_app.static_url_path}/app.css",
        period=period,
        start=start,
        end=end,
        stats=figures,
        names=names,
        step_rows=step_rows(list(figures.steps.values())),
        department_rows=step_rows(figures.by_department, names),
        headers=STEP_HEADERS,
        call_rows=call_rows,
        availability=availability,
        percent=percent,
        generated_at=clock.now(),
    )
    summary = {
        "received": figures.received,
        "accepted": figures.accepted,
        "not_accepted": figures.not_accepted,
        "decisions": figures.decisions,
        "overdue_open": figures.overdue_count,
        "steps": {
            s: {
                "finished": f.finished,
                "on_time": f.on_time,
                "average_days": f.average_days,
                "p90_days": f.p90_days,
            }
            for s, f in figures.steps.items()
        },
        # per department, for the 通报 page every department reads (#17): the same figures as the report
        "departments": [
            {
                "department_id": f.department_id,
                "name": names.get(f.department_id, "—"),
                "step": f.label,
                "finished": f.finished,
                "on_time": f.on_time,
                "late": f.late,
                "average_days": f.average_days,
            }
            for f in figures.by_department
        ],
    }
    replaced = None
    if existing is None:
        existing = MonthlyReport(period=period)
        db.session.add(existing)
    else:
        replaced = {"generated_at": existing.generated_at.isoformat(), "figures": existing.figures}
    existing.html, existing.figures, existing.generated_at = html, summary, clock.now()
    record(
        "monthly_report.generated",
        actor=actor,
        object_type="monthly_report",
        object_id=period,
        data={"figures": summary, "replaced": replaced},
    )
    db.session.flush()
    return existing


def generate_last_month() -> MonthlyReport:
    """The scheduler's monthly job: the report of the month before today (Beijing time), once."""
    first = clock.local_now().date().replace(day=1)
    previous = first - timedelta(days=1)
    return generate_monthly(f"{previous.year}-{previous.month:02d}")
