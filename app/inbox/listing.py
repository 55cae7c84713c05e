"""The inbox listing: my tasks, my queue, what I have done; filters, case-number search, paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from flask import g
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from app import clock
from app.calendar.services import active_calendar
from app.clock import SHANGHAI
from app.db_types import page_number, page_window
from app.engine.models import HumanTask, ProcessVersion
from app.engine.queries import capped_count, done_after, scope_filter
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import unread_count
from app.org.models import Department, SavedFilter, User
from app.sharing.models import ShareApplication

SCOPES = {"mine": "我的待办", "queue": "待认领", "done": "我已办结", "following": "在办案件"}
SORTS = {"due": "办理期限", "received": "接收时间", "department": "办理部门"}


@dataclass(frozen=True)
class InboxFilter:
    """What the user asked for."""

    scope: str = "mine"
    process_id: str = ""
    step: str = ""
    overdue_only: bool = False
    received_from: date | None = None
    received_to: date | None = None
    number: str = ""
    page: int = 1
    per_page: int = 20
    after: str = ""  # done lists: the page after this task (keyset, #30)
    due: str = ""  # "today" or "soon" (within GLANCE_SOON_DAYS working days after today)
    department_id: int | None = None  # the step's department (在办案件)
    sort: str = "due"  # SORTS: open lists only; done lists are newest first


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox."""

    task: HumanTask
    process_name: str
    applicant: str | None


@dataclass(frozen=True)
class InboxPage:
    """A page of the inbox."""

    rows: list[InboxRow]
    total: int
    filters: InboxFilter
    capped: bool = False  # done lists: the total is a floor ("1000+")
    has_more: bool = False  # done lists: another page follows (keyset)

    @property
    def pages(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // self.filters.per_page))

    @property
    def window(self) -> list[int | None]:
        """Page numbers to link (page_window)."""
        return page_window(self.filters.page, self.pages)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _scope(user: User, scope: str):
    return scope_filter(user, scope)


def unread(user: User) -> int:
    """The user's unread notices, counted once per request (the nav bar and the home page both show it)."""
    if "inbox_unread" not in g:
        g.inbox_unread = unread_count(user)
    return g.inbox_unread


def scope_counts(user: User) -> dict[str, int]:
    """Open tasks the user holds ("mine") and may claim ("queue"); counted once per request."""
    if "inbox_counts" not in g:
        g.inbox_counts = {
            scope: db.session.scalar(select(func.count()).select_from(HumanTask).where(_scope(user, scope)))
            or 0
            for scope in ("mine", "queue")
        }
    return g.inbox_counts


def inbox(user: User, filters: InboxFilter) -> InboxPage:
    """Tasks of the scope, filtered; by due date (soonest first), done tasks by completion (newest first)."""
    conditions = [_scope(user, filters.scope)]
    if filters.process_id:
        conditions.append(HumanTask.process_id == filters.process_id)
    if filters.step:
        conditions.append(HumanTask.label.contains(filters.step, autoescape=True))
    if filters.overdue_only:
        conditions.append(HumanTask.due_at < clock.now())
    if filters.received_from:
        conditions.append(HumanTask.created_at >= _day_start(filters.received_from))
    if filters.received_to:
        conditions.append(HumanTask.created_at < _day_start(filters.received_to + timedelta(days=1)))
    if filters.number:
        conditions.append(HumanTask.business_key.contains(filters.number.strip().upper(), autoescape=True))
    if filters.department_id is not None:
        conditions.append(HumanTask.candidate_department_id == filters.department_id)
    if filters.due in DUE_FILTERS:
        today, until = _soon()
        conditions.append(
            HumanTask.due_date == today
            if filters.due == "today"
            else and_(HumanTask.due_date > today, HumanTask.due_date <= until)
        )
    plain = len(conditions) == 1 and filters.scope in ("mine", "queue")
    capped = has_more = False
    if filters.scope == "done":  # years of history: counted up to a cap, paged by key
        total, capped = capped_count(*conditions)
        if filters.after:
            conditions.append(done_after(filters.after))
    elif plain:
        total = scope_counts(user)[filters.scope]
    else:
        total = db.session.scalar(select(func.count()).select_from(HumanTask).where(*conditions)) or 0
    order = _order(filters)
    # Two steps: pick the page's ids on human_task alone (indexes, no joins), then load those rows joined.
    page_query = select(HumanTask.id).where(*conditions).order_by(*order)
    if filters.scope == "done":
        ids = list(db.session.scalars(page_query.limit(filters.per_page + 1)))
        has_more, ids = len(ids) > filters.per_page, ids[: filters.per_page]
    else:
        ids = list(
            db.session.scalars(
                page_query.limit(filters.per_page).offset((filters.page - 1) * filters.per_page)
            )
        )
    query = (
        select(HumanTask, ProcessVersion.name, Department.short_name)
        .join(HumanTask.instance)
        .join(ProcessVersion)
        .outerjoin(ShareApplication, ShareApplication.number == HumanTask.business_key)
        .outerjoin(Department, Department.id == ShareApplication.applicant_department_id)
        .where(HumanTask.id.in_(ids))
    )
    found = {task.id: InboxRow(task, name, applicant) for task, name, applicant in db.session.execute(query)}
    return InboxPage([found[i] for i in ids if i in found], total, filters, capped, has_more)


def _order(filters: InboxFilter) -> tuple:
    """The list's order: done lists newest first; open ones by due time (soonest first), by when received
    (oldest first) or by department (then due time) — each ending on the task id, so pages never overlap."""
    if filters.scope == "done":
        return (HumanTask.completed_at.desc(), HumanTask.id)
    by_due = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.business_key)
    if filters.sort == "received":
        return (HumanTask.created_at, HumanTask.id)
    if filters.sort == "department":
        department = select(Department.name).where(Department.id == HumanTask.candidate_department_id)
        return (department.scalar_subquery(), *by_due, HumanTask.id)
    return (*by_due, HumanTask.id)


def following_departments(user: User) -> list[tuple[int, str]]:
    """(id, name) of the departments with open steps among those the user follows (在办案件's filter: only what
    the user may choose, #31)."""
    query = (
        select(Department.id, Department.name)
        .where(Department.id.in_(select(HumanTask.candidate_department_id).where(_scope(user, "following"))))
        .order_by(Department.name)
    )
    return [(department_id, name) for department_id, name in db.session.execute(query)]


PAGE_SIZES = ("20", "50", "100")  # a batch of normative checks fits on one page


def parse_filters(args) -> InboxFilter:
    """Query-string arguments → InboxFilter; bad values are ignored, not errors (a list page never fails)."""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    page = page_number(args.get("page"))
    scope = args.get("scope", "mine")
    return InboxFilter(
        scope=scope if scope in SCOPES else "mine",
        process_id=args.get("process", "")[:64],
        step=args.get("step", "")[:50],
        overdue_only=args.get("overdue") == "1",
        received_from=day("from"),
        received_to=day("to"),
        number=args.get("q", "")[:40],
        page=page,
        per_page=int(args["size"]) if args.get("size") in PAGE_SIZES else 20,
        after=args.get("after", "")[:36],
        due=args.get("due", "") if args.get("due") in DUE_FILTERS else "",
        department_id=int(args["dept"])
        if args.get("dept", "").isdigit() and len(args["dept"]) < 10
        else None,
        sort=args.get("sort", "") if args.get("sort") in SORTS else "due",
    )


GLANCE_SOON_DAYS = 3  # "即将到期（3个工作日内）" (#31): due within this many working days after today
DUE_FILTERS = {"today": "今日到期", "soon": "即将到期"}


def _soon() -> tuple[date, date]:
    """Today (Beijing) and the last day that counts as soon: GLANCE_SOON_DAYS working days on."""
    today = clock.local_now().date()
    return today, active_calendar().add_working_days(today, GLANCE_SOON_DAYS)


@dataclass(frozen=True)
class Glance:
    """The home page's counts: the user's open tasks due today, soon and overdue, the queue, unread notices."""

    due_today: int
    due_soon: int
    overdue: int
    queue: int
    unread: int
    soon_until: date


def at_a_glance(user: User) -> Glance:
    """What needs the user today, counted in one query over their open tasks (and the nav bar's counts)."""
    today, until = _soon()
    due_today, due_soon, overdue = db.session.execute(
        select(
            func.sum(case((HumanTask.due_date == today, 1), else_=0)),
            func.sum(case((and_(HumanTask.due_date > today, HumanTask.due_date <= until), 1), else_=0)),
            func.sum(case((HumanTask.due_date < today, 1), else_=0)),
        ).where(_scope(user, "mine"))
    ).one()
    return Glance(
        int(due_today or 0),
        int(due_soon or 0),
        int(overdue or 0),
        scope_counts(user)["queue"],
        unread(user),
        until,
    )


def process_choices() -> list[tuple[str, str]]:
    """(process id, name) of deployed processes, for the filter."""
    rows = db.session.execute(
        select(ProcessVersion.process_id, func.max(ProcessVersion.name)).group_by(ProcessVersion.process_id)
    )
    return sorted((pid, name) for pid, name in rows)


# --- saved filters (#31) ------------------------------------------------------------------------------------

FILTER_KEYS = ("scope", "process", "step", "overdue", "from", "to", "q", "due", "dept", "sort", "size")
MAX_SAVED_FILTERS = 20


def saved_filters(user: User) -> list[SavedFilter]:
    """The user's saved inbox filters, by name."""
    return list(
        db.session.scalars(
            select(SavedFilter)
            .where(SavedFilter.user_id == user.id)
            .order_by(SavedFilter.name, SavedFilter.id)
        )
    )


def filter_query(args) -> str:
    """The inbox query string of `args`: only the filter's own keys (not the page or the keyset), non-empty."""
    kept = [(key, str(args.get(key))[:60]) for key in FILTER_KEYS if args.get(key) not in (None, "")]
    return urlencode(kept)


def save_filter(user: User, name: str, args) -> SavedFilter:
    """Keep the inbox filter `args` under `name` for the user (a name used again is replaced)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写筛选名称"), fields={"name": _("请填写筛选名称")})
    if len(name) > 40:
        raise ValidationFailed(_("筛选名称过长"), fields={"name": _("最多 40 字")})
    query = filter_query(args)
    if not query:
        raise ValidationFailed(_("当前没有筛选条件"), fields={"name": _("请先设置筛选条件再保存")})
    mine = saved_filters(user)
    same = next((f for f in mine if f.name == name), None)
    if same is not None:
        same.query = query
        return same
    if len(mine) >= MAX_SAVED_FILTERS:
        raise ValidationFailed(_("保存的筛选已满"), fields={"name": _("最多 %(n)d 个", n=MAX_SAVED_FILTERS)})
    saved = SavedFilter(user_id=user.id, name=name, query=query, created_at=clock.now())
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_filter(user: User, filter_id: int) -> None:
    """Remove one of the user's saved filters (another's is not found)."""
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound(_("筛选不存在"))
    db.session.delete(saved)
