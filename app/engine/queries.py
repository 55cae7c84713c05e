"""Read-side queries over human tasks (inboxes build on these)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from app.access import followed_platform_id, follows_up
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.org.models import Department, User
from app.org.services import principals_of


def candidate_filter(user: User):
    """SQL condition: open tasks the user may claim (role and department match), unassigned."""
    roles = [r.value for r in user.roles]
    return and_(
        HumanTask.status == TaskStatus.OPEN,
        HumanTask.assignee_id.is_(None),
        HumanTask.candidate_role.in_(roles),
        or_(
            HumanTask.candidate_department_id.is_(None),
            HumanTask.candidate_department_id == user.department_id,
        ),
    )


def scope_filter(user: User, scope: str):
    """SQL condition of an inbox scope, the same for the web inbox and the API: "mine" (open tasks the user
    holds, and — 委托 — those of whom the user is today's deputy), "queue" (open, unclaimed, the user's role and
    department), "done" (completed by the user) or "following" (在办案件: every open step of the departments the
    user follows up as operator or supervisor, access.follows_up; nothing for anyone else) — the platform's
    departments as a subquery of the same statement."""
    if scope == "queue":
        return candidate_filter(user)
    if scope == "following":
        if not follows_up(user):
            return false()
        platform_id = followed_platform_id(user)
        if platform_id is None:
            return HumanTask.status == TaskStatus.OPEN
        departments = select(Department.id).where(Department.platform_id == platform_id)
        return (HumanTask.status == TaskStatus.OPEN) & HumanTask.candidate_department_id.in_(departments)
    if scope == "done":
        return (HumanTask.completed_by_id == user.id) & (HumanTask.status == TaskStatus.COMPLETED)
    holders = [user.id, *principals_of(user)]
    return HumanTask.assignee_id.in_(holders) & (HumanTask.status == TaskStatus.OPEN)


COUNT_CAP = 1000  # "1000+": beyond this a list's total is not counted (what one has done grows for years)


def capped_count(*conditions: ColumnElement[bool], cap: int | None = None) -> tuple[int, bool]:
    """How many tasks match, counting no further than `cap` (COUNT_CAP): (count, whether there are more)."""
    cap = cap or COUNT_CAP
    found = (
        db.session.scalar(
            select(func.count()).select_from(
                select(HumanTask.id).where(*conditions).limit(cap + 1).subquery()
            )
        )
        or 0
    )
    return min(found, cap), found > cap


def done_after(task_id: str) -> ColumnElement[bool]:
    """Done tasks listed after `task_id` (newest first, then by id): the keyset of the done lists (#30)."""
    at = select(HumanTask.completed_at).where(HumanTask.id == task_id).scalar_subquery()
    return or_(HumanTask.completed_at < at, and_(HumanTask.completed_at == at, HumanTask.id > task_id))


def task_page(user: User, scope: str, *, limit: int = 50, offset: int = 0) -> tuple[list[HumanTask], int]:
    """A page of the scope's tasks by due time (done: newest first), and how many there are in all."""
    condition = scope_filter(user, scope)
    order = (
        (HumanTask.completed_at.desc(), HumanTask.id)
        if scope == "done"
        else (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.business_key)
    )
    total = (
        capped_count(condition)[0]
        if scope == "done"
        else db.session.scalar(select(func.count()).select_from(HumanTask).where(condition)) or 0
    )
    rows = list(
        db.session.scalars(select(HumanTask).where(condition).order_by(*order).limit(limit).offset(offset))
    )
    return rows, total


def case_tasks(business_key: str) -> list[HumanTask]:
    """Every human task of a case (all its instances), in the order they arrived: the case pages' steps."""
    query = db.select(HumanTask).where(HumanTask.business_key == business_key).order_by(HumanTask.created_at)
    return list(db.session.scalars(query))
