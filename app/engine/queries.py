"""Read-side queries over human tasks (inboxes build on these)."""

from __future__ import annotations

from sqlalchemy import and_, or_

from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.org.models import User


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


def my_tasks(user: User, *, limit: int = 50, offset: int = 0) -> list[HumanTask]:
    """Open tasks assigned to the user, by due time."""
    query = (
        db.select(HumanTask)
        .where(HumanTask.assignee_id == user.id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
    )
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def queue_tasks(user: User, *, limit: int = 50, offset: int = 0) -> list[HumanTask]:
    """Unclaimed tasks of the user's roles and department, by due time."""
    query = (
        db.select(HumanTask)
        .where(candidate_filter(user))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
    )
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def case_tasks(business_key: str) -> list[HumanTask]:
    """Every human task of a case (all its instances), in the order they arrived: the case pages' steps."""
    query = db.select(HumanTask).where(HumanTask.business_key == business_key).order_by(HumanTask.created_at)
    return list(db.session.scalars(query))
