"""§26 statistics: authorization handling (counts, on-time rate, average and 90th-percentile working days),
open overdue items, objections and disputes — per platform, department and period, on the statutory calendar.

Definitions (shown on the page too):
- A period is a range of Beijing dates, both ends included.
- Applications are counted in the period they were submitted; decisions in the period they were made.
- A step (check, direct authorization, provider authorization) counts in the period it was completed; it is on
  time when completed by its deadline (the due time its timer enforced). Working days taken are counted like a
  deadline: the receiving day is not counted.
- Notification (§20: tell the applicant within 1 working day after the provider answered) counts in the period
  the applicant was told; its deadline is computed from the answer; it is the applicant's platform operator's step.
- The 90th percentile is the nearest-rank value (the smallest value with at least 90 % of the steps at or
  below it).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Text, and_, case, cast, func, or_, select, true, update

from app import clock
from app.access import oversees_everything, visible_department_ids
from app.calendar.deadlines import end_of_day, start_of_day
from app.calendar.services import active_version, time_taken
from app.catalog.models import Resource
from app.clock import parse_moment
from app.engine.models import HumanTask, TaskStatus, TaskUrging
from app.engine.registry import step_deadline_days
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.org.models import Department, User
from app.sharing.models import (
    ApplicationLine,
    ApplicationStatus,
    Authorization,
    Decision,
    Dispute,
    Objection,
    ShareApplication,
)
from app.sharing.services import NOTIFICATION_DAYS, told_taken
from app.supervision.models import DataCall

# step → (name, article, the process whose deployed model holds its deadline)
STEPS = {
    "normative_check": ("规范性检查", "§19", "share_application"),
    "upper_check": ("上级平台规范性检查", "§12、§19", "resource_authorization"),
    "direct_authorization": ("平台直接授权", "§21", "resource_authorization"),
    "provider_authorization": ("提供部门授权", "§20", "resource_authorization"),
    # 供需对接 (#33): answering other departments' needs in time (武汉暂行办法§5)
    "route_demand": ("分派数据需求", "供需对接", "data_demand"),
    "answer_demand": ("答复数据需求", "供需对接", "data_demand"),
}
NOTIFICATION = "notification"  # 办法§20: the platform tells the applicant (no task: kept on the line)
STEP_LABELS = [*STEPS, NOTIFICATION]


def step_label(step: str, periods: Counter | None = None) -> str:
    """A step as the statistics name it, with the working days its cases ran under ("…（§20，10个工作日）"): each
    case counts by the version it ran under, so a change of the rule does not relabel history; with no cases,
    the deployed model's days."""
    if step == NOTIFICATION:
        return f"告知申请方（§20，{NOTIFICATION_DAYS}个工作日）"
    name, article, process_id = STEPS[step]
    known = {days: count for days, count in (periods or {}).items() if days}
    if len(known) > 1:
        parts = "、".join(f"{days}个工作日{count}件" for days, count in sorted(known.items(), reverse=True))
        return f"{name}（{article}，按各案件适用的版本：{parts}）"
    days = next(iter(known)) if known else step_deadline_days(process_id, step)
    return f"{name}（{article}，{days}个工作日）" if days else f"{name}（{article}）"


@dataclass(frozen=True)
class Scope:
    """What the statistics cover: a period and optionally one platform or one department."""

    start: date
    end: date
    platform_id: int | None = None
    department_id: int | None = None

    @property
    def start_at(self) -> datetime:
        return start_of_day(self.start)

    @property
    def end_at(self) -> datetime:
        return end_of_day(self.end)


def scope_for(
    user: User, start: date | None, end: date | None, platform_id: int | None, department_id: int | None
) -> Scope:
    """The scope a user asked for: this month to today by default, at most ten years; a city data bureau's
    supervisor sees its own platform only (§26 per platform)."""
    today = clock.local_now().date()
    start, end = start or today.replace(day=1), end or today
    if end < start:
        raise ValidationFailed(_("统计期间有误"), fields={"to": _("结束日期不能早于开始日期")})
    if (end - start).days > 3660:
        raise ValidationFailed(_("统计期间过长"), fields={"from": _("最长十年")})
    if not oversees_everything(user):
        own = user.department.platform_id
        if platform_id is not None and platform_id != own:  # refused, not silently replaced by its own
            raise PermissionDenied(_("只能查看本平台的统计"))
        platform_id = own
        if department_id is not None and department_id not in (visible_department_ids(user) or ()):
            raise PermissionDenied(_("只能查看本平台部门的统计"))
    return Scope(start, end, platform_id, department_id)


@dataclass
class StepFigures:
    """One step's figures (overall, or for one department)."""

    step: str
    department_id: int | None = None
    days: Counter = field(default_factory=Counter)  # working days taken → steps
    on_time: int = 0
    periods: Counter = field(default_factory=Counter)  # working days of each case's deadline → cases

    @property
    def label(self) -> str:
        return step_label(self.step, self.periods)

    @property
    def finished(self) -> int:
        return sum(self.days.values())

    @property
    def late(self) -> int:
        return self.finished - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.finished if self.finished else None

    @property
    def average_days(self) -> float | None:
        return sum(d * n for d, n in self.days.items()) / self.finished if self.finished else None

    @property
    def p90_days(self) -> int | None:
        return percentile(self.days, 90)

    def add(self, days: int, on_time: bool, period: int | None = None, count: int = 1) -> None:
        self.days[days] += count
        self.on_time += on_time * count
        self.periods[period] += count


def percentile(counts: Counter, pct: int) -> int | None:
    """Nearest-rank percentile of values given as {value: how many}: the smallest value with at least pct %
    of all at or below it."""
    total = sum(counts.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(pct / 100 * total)), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return max(counts)


@dataclass
class Statistics:
    """Everything the §26 page shows for one scope."""

    scope: Scope
    received: int = 0
    accepted: int = 0
    not_accepted: int = 0
    awaiting_check: int = 0
    withdrawn: int = 0
    transfers: int = 0  # 转办 (#15) in the period, of lines whose provider is in scope (before or after)
    urgings: int = 0  # 催办 by hand (#15) in the period, of tasks of departments in scope
    guarded_grants: int = 0  # #34: authorizations of 重要/核心 data or 敏感个人信息 granted in the period
    sensitive_grants: int = 0  # of which with 敏感个人信息
    guarded_calls: int = 0  # calls in the period under such authorizations
    decisions: dict[str, int] = field(
        default_factory=dict
    )  # direct_granted, provider_refused, provider_partial…
    steps: dict[str, StepFigures] = field(default_factory=dict)
    by_department: list[StepFigures] = field(default_factory=list)
    overdue_open: list[HumanTask] = field(default_factory=list)  # the OVERDUE_SHOWN longest overdue
    overdue_count: int = 0  # every open overdue item in scope
    overdue_by_department: Counter = field(default_factory=Counter)
    objections: dict[str, int] = field(default_factory=dict)
    disputes: dict[str, int] = field(default_factory=dict)


def scope_department_ids(scope: Scope) -> list[int] | None:
    """The departments a scope covers (None: every one): its department, or its platform's departments."""
    if scope.department_id is not None:
        return [scope.department_id]
    if scope.platform_id is not None:
        return list(
            db.session.scalars(select(Department.id).where(Department.platform_id == scope.platform_id))
        )
    return None


def _in(column, ids: list[int] | None):
    return true() if ids is None else column.in_(ids)


def compute(scope: Scope) -> Statistics:
    """The §26 figures for a scope."""
    stats = Statistics(scope)
    ids = scope_department_ids(scope)

    applications = select(ShareApplication.status, func.count()).where(
        ShareApplication.submitted_at >= scope.start_at,
        ShareApplication.submitted_at < scope.end_at,
        _in(ShareApplication.applicant_department_id, ids),
    )
    for status, count in db.session.execute(applications.group_by(ShareApplication.status)):
        stats.received += count
        if status == ApplicationStatus.NOT_ACCEPTED:
            stats.not_accepted += count
        elif status in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
            stats.awaiting_check += count
        elif status == ApplicationStatus.WITHDRAWN:
            stats.withdrawn += count
        else:
            stats.accepted += count

    # decisions by route, and the partial grants among them (§20, §21: granted lines with refused items)
    partial = and_(
        ApplicationLine.decision == Decision.GRANTED,
        ApplicationLine.refused_items.is_not(None),
        cast(ApplicationLine.refused_items, Text).not_in(["null", "[]"]),  # as json_text writes them
    )
    decided = select(
        ApplicationLine.route,
        ApplicationLine.decision,
        func.count(),
        func.sum(case((partial, 1), else_=0)),
    ).where(
        ApplicationLine.decided_at >= scope.start_at,
        ApplicationLine.decided_at < scope.end_at,
        ApplicationLine.decision.in_([Decision.GRANTED, Decision.REFUSED]),
        _in(ApplicationLine.provider_department_id, ids),
    )
    for route, decision, count, partial_grants in db.session.execute(
        decided.group_by(ApplicationLine.route, ApplicationLine.decision)
    ):
        stats.decisions[f"{route}_{decision}"] = count
        if partial_grants:
            stats.decisions[f"{route}_partial"] = int(partial_grants)
    # #34: grants of 重要/核心 data or 敏感个人信息 (by the provider in scope), and the calls made under them
    guarded = or_(Authorization.grade != "general", Authorization.sensitive.is_(True))
    stats.guarded_grants, stats.sensitive_grants = db.session.execute(
        select(func.count(), func.count().filter(Authorization.sensitive.is_(True)))
        .select_from(Authorization)
        .join(Resource, Resource.id == Authorization.resource_id)
        .where(
            guarded,
            Authorization.decided_at >= scope.start_at,
            Authorization.decided_at < scope.end_at,
            _in(Resource.provider_department_id, ids),
        )
    ).one()
    stats.guarded_calls = (
        db.session.scalar(
            select(func.count(DataCall.id))
            .join(Authorization, Authorization.id == DataCall.authorization_id)
            .where(
                guarded,
                DataCall.called_at >= scope.start_at,
                DataCall.called_at < scope.end_at,
                _in(DataCall.provider_department_id, ids),
            )
        )
        or 0
    )
    stats.urgings = (
        db.session.scalar(
            select(func.count(TaskUrging.id)).where(
                TaskUrging.urged_at >= scope.start_at,
                TaskUrging.urged_at < scope.end_at,
                _in(TaskUrging.department_id, ids),
            )
        )
        or 0
    )
    # lines transferred last on or after the period's start (#30: not every line ever made)
    transferred = select(ApplicationLine.transfers).where(ApplicationLine.transferred_at >= scope.start_at)
    for (entries,) in db.session.execute(transferred):
        for entry in entries or []:
            at = parse_moment(entry["at"])
            touches = ids is None or entry["from"] in ids or entry["to"] in ids
            if scope.start_at <= at < scope.end_at and touches:
                stats.transfers += 1

    stats.steps = {step: StepFigures(step) for step in STEP_LABELS}
    per_department: dict[tuple[str, int | None], StepFigures] = {}

    def add(step: str, department_id: int | None, days: int, on_time: bool, period=None, count: int = 1):
        stats.steps[step].add(days, on_time, period, count)
        key = (step, department_id)
        per_department.setdefault(key, StepFigures(step, department_id)).add(days, on_time, period, count)

    # Each step's working days and punctuality were kept when it was completed (#30): summed here by group.
    current = active_version()
    in_scope = (
        HumanTask.status == TaskStatus.COMPLETED,
        HumanTask.completed_at >= scope.start_at,
        HumanTask.completed_at < scope.end_at,
        HumanTask.spec_name.in_(list(STEPS)),
        _in(HumanTask.candidate_department_id, ids),
    )
    columns = (HumanTask.spec_name, HumanTask.candidate_department_id, HumanTask.deadline_days)
    kept = (
        select(*columns, HumanTask.days_calendar, HumanTask.days_taken, HumanTask.on_time, func.count())
        .where(*in_scope)
        .group_by(*columns, HumanTask.days_calendar, HumanTask.days_taken, HumanTask.on_time)
    )  # one pass over ix_human_task_finished, the calendar version among the groups
    stale_steps = False
    for step, department_id, period, calendar, days, on_time, count in db.session.execute(kept):
        if calendar == current:
            add(step, department_id, days or 0, bool(on_time), period, count)
        else:
            stale_steps = True
    # Steps kept on another calendar version (a provisional year since replaced), or before #30: counted here
    # as they always were, until the scheduler's step-days job has kept them again.
    stale = select(*columns, HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at).where(
        *in_scope, or_(HumanTask.days_calendar.is_(None), HumanTask.days_calendar != current)
    )
    for step, department_id, period, created_at, completed_at, due_at in (
        db.session.execute(stale) if stale_steps else ()
    ):
        if completed_at is None:  # finished steps only (the query asks for them)
            continue
        taken = time_taken(created_at, completed_at, due_at)
        add(step, department_id, taken.days, taken.on_time, period)

    # §20: the applicant's platform tells the applicant; the step belongs to that platform's operator.
    operators = dict(
        db.session.execute(
            select(Department.platform_id, Department.id).where(Department.operates_platform.is_(True))
        ).all()
    )
    told_scope = (
        ApplicationLine.applicant_told_at >= scope.start_at,
        ApplicationLine.applicant_told_at < scope.end_at,
        ApplicationLine.route == "provider",
        ApplicationLine.decided_at.is_not(None),
    )
    told_columns = (
        Department.platform_id,
        ApplicationLine.told_calendar,
        ApplicationLine.told_days,
        ApplicationLine.told_on_time,
    )
    told_kept = (
        select(*told_columns, func.count())
        .join(ShareApplication, ApplicationLine.application_id == ShareApplication.id)
        .join(Department, ShareApplication.applicant_department_id == Department.id)
        .where(*told_scope)
        .group_by(*told_columns)
    )
    stale_told = False
    for platform_id, calendar, days, on_time, count in db.session.execute(told_kept):
        department_id = operators.get(platform_id)
        if calendar != current:
            stale_told = True
        elif ids is None or department_id in ids:
            add(NOTIFICATION, department_id, days or 0, bool(on_time), None, count)
    told_stale = (
        select(Department.platform_id, ApplicationLine.decided_at, ApplicationLine.applicant_told_at)
        .join(ShareApplication, ApplicationLine.application_id == ShareApplication.id)
        .join(Department, ShareApplication.applicant_department_id == Department.id)
        .where(
            *told_scope,
            or_(ApplicationLine.told_calendar.is_(None), ApplicationLine.told_calendar != current),
        )
    )
    for platform_id, decided_at, told_at in db.session.execute(told_stale) if stale_told else ():
        if decided_at is None or told_at is None:  # told lines only (the query asks for them)
            continue
        department_id = operators.get(platform_id)
        if ids is not None and department_id not in ids:
            continue
        taken = told_taken(decided_at, told_at)
        add(NOTIFICATION, department_id, taken.days, taken.on_time)
    stats.by_department = sorted(
        per_department.values(), key=lambda f: (list(STEP_LABELS).index(f.step), f.department_id or 0)
    )

    # Open overdue items: counted by department in SQL, the longest overdue listed (#30: not all of them).
    overdue = (
        HumanTask.status == TaskStatus.OPEN,
        HumanTask.due_at < clock.now(),
        _in(HumanTask.candidate_department_id, ids),
    )
    stats.overdue_by_department = Counter(
        dict(
            db.session.execute(
                select(HumanTask.candidate_department_id, func.count())
                .where(*overdue)
                .group_by(HumanTask.candidate_department_id)
            ).all()
        )
    )
    stats.overdue_count = sum(stats.overdue_by_department.values())
    stats.overdue_open = overdue_tasks(scope, limit=OVERDUE_SHOWN, ids=ids)

    for model, target in ((Objection, stats.objections), (Dispute, stats.disputes)):
        party = (
            true()
            if ids is None
            else (model.applicant_department_id.in_(ids) | model.provider_department_id.in_(ids))
        )
        rows = db.session.execute(
            select(model.status, model.outcome, func.count())
            .where(model.raised_at >= scope.start_at, model.raised_at < scope.end_at, party)
            .group_by(model.status, model.outcome)
        )
        for status, outcome, count in rows:
            kind = outcome or status
            target[kind] = target.get(kind, 0) + count
    return stats


def department_names(ids: Iterable[int | None]) -> dict[int | None, str]:
    """Short names for the departments in a table."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(Department.id, Department.short_name).where(Department.id.in_(wanted)))
    return {department_id: name for department_id, name in rows}


def on_time_by_department(stats: Statistics) -> list[tuple[int | None, int, int]]:
    """(department id, finished, on time) over all steps: the dashboard's bar chart."""
    totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for figures in stats.by_department:
        totals[figures.department_id][0] += figures.finished
        totals[figures.department_id][1] += figures.on_time
    return sorted(
        ((d, f, o) for d, (f, o) in totals.items()), key=lambda row: row[2] / row[1] if row[1] else 1
    )


OVERDUE_SHOWN = 100  # the dashboard lists the longest overdue; the export has them all


def overdue_tasks(scope: Scope, *, limit: int | None = None, ids: list[int] | None = None) -> list[HumanTask]:
    """Open overdue items in scope, the longest overdue first (all of them, or the first `limit`)."""
    ids = ids if ids is not None else scope_department_ids(scope)
    query = (
        select(HumanTask)
        .where(
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.due_at < clock.now(),
            _in(HumanTask.candidate_department_id, ids),
        )
        .order_by(HumanTask.due_at, HumanTask.id)
    )
    return list(db.session.scalars(query.limit(limit) if limit else query))


def overdue_trend(scope: Scope, weeks: int = 12) -> list[tuple[date, int]]:
    """Open-overdue items at the end of each of the last `weeks` weeks up to the scope's end.

    One query (#30): only items ever late can be overdue at some moment — open ones, and those completed after
    their due time within the weeks shown — read once and counted for each week end."""
    ids = scope_department_ids(scope)
    days = [scope.end - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    moments = [end_of_day(day) for day in days]
    overdue_at = [
        func.sum(
            case(
                (
                    and_(
                        HumanTask.created_at < moment,
                        HumanTask.due_at < moment,
                        or_(HumanTask.completed_at.is_(None), HumanTask.completed_at > moment),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for moment in moments
    ]  # counted by the database for every week end at once
    counts = db.session.execute(
        select(*overdue_at).where(
            or_(
                HumanTask.status == TaskStatus.OPEN,
                and_(HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_at > moments[0]),
            ),
            HumanTask.due_at < moments[-1],
            or_(HumanTask.completed_at.is_(None), HumanTask.completed_at > HumanTask.due_at),
            _in(HumanTask.candidate_department_id, ids),
        )
    ).one()
    return [(day, int(count or 0)) for day, count in zip(days, counts, strict=True)]


def keep_step_figures(batch: int = 5000) -> int:
    """Store the §26 figures of finished steps that have none, or were counted on another calendar version
    (completed before #30; a provisional year replaced since): at most `batch` steps and `batch` told lines per
    run, in the caller's transaction (the scheduler's step-days job). How many were stored."""
    current = active_version()
    stale_tasks = db.session.execute(
        select(HumanTask.id, HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at)
        .where(
            HumanTask.status == TaskStatus.COMPLETED,
            HumanTask.completed_at.is_not(None),
            or_(HumanTask.days_calendar.is_(None), HumanTask.days_calendar != current),
        )
        .limit(batch)
    ).all()
    for task_id, created_at, completed_at, due_at in stale_tasks:
        if completed_at is None:  # the query asks for finished ones
            continue
        taken = time_taken(created_at, completed_at, due_at)
        db.session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id)
            .values(days_taken=taken.days, on_time=taken.on_time, days_calendar=taken.calendar)
        )
    stale_lines = db.session.execute(
        select(ApplicationLine.id, ApplicationLine.decided_at, ApplicationLine.applicant_told_at)
        .where(
            ApplicationLine.applicant_told_at.is_not(None),
            ApplicationLine.decided_at.is_not(None),
            or_(ApplicationLine.told_calendar.is_(None), ApplicationLine.told_calendar != current),
        )
        .limit(batch)
    ).all()
    for line_id, decided_at, told_at in stale_lines:
        if decided_at is None or told_at is None:  # the query asks for told lines
            continue
        taken = told_taken(decided_at, told_at)
        db.session.execute(
            update(ApplicationLine)
            .where(ApplicationLine.id == line_id)
            .values(told_days=taken.days, told_on_time=taken.on_time, told_calendar=taken.calendar)
        )
    return len(stale_tasks) + len(stale_lines)
