"""Who may do what with a human task or an instance (registered with the one authorization helper)."""

from __future__ import annotations

from app.access import operates_platform, oversees_everything, policy, supervises_platform
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.org.models import Department, User
from app.org.roles import Role
from app.org.services import principals_of


def is_candidate(user: User, task: HumanTask) -> bool:
    """The task's candidate role is the user's, and so is its candidate department (when it has one)."""
    if task.candidate_role and task.candidate_role not in {r.value for r in user.roles}:
        return False
    return task.candidate_department_id is None or task.candidate_department_id == user.department_id


def _supervises(user: User, task: HumanTask) -> bool:
    """Admins and the province's 大数据管理机构, and the operators and supervisors of the platform the task's
    department is on (a city data bureau for its own city only)."""
    if oversees_everything(user) and user.has_role(Role.ADMIN, Role.SUPERVISOR):
        return True
    if task.candidate_department_id is None:
        return False
    dept = db.session.get(Department, task.candidate_department_id)
    return dept is not None and (
        operates_platform(user, dept.platform_id) or supervises_platform(user, dept.platform_id)
    )


def acts_for_assignee(user: User, task: HumanTask) -> bool:
    """The task is claimed by someone whose deputy `user` is today (委托), and it is of a role `user` holds."""
    return (
        task.assignee_id is not None
        and task.candidate_role in {r.value for r in user.roles}
        and task.assignee_id in principals_of(user)
    )


@policy("task.view")
def _view(user: User, task: HumanTask) -> bool:
    return (
        task.assignee_id == user.id
        or acts_for_assignee(user, task)
        or is_candidate(user, task)
        or oversees_everything(user)
        or _supervises(user, task)
    )


@policy("task.claim")
def _claim(user: User, task: HumanTask) -> bool:
    return task.status == TaskStatus.OPEN and is_candidate(user, task)


@policy("task.complete")
def _complete(user: User, task: HumanTask) -> bool:
    if task.status != TaskStatus.OPEN:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.id or acts_for_assignee(user, task)
    return is_candidate(user, task)


@policy("task.reassign")
def _reassign(user: User, task: HumanTask) -> bool:
    return task.status == TaskStatus.OPEN and _supervises(user, task)


@policy("task.urge")
def _urge(user: User, task: HumanTask) -> bool:
    """催办 by hand: the operators and supervisors over the task's department, the leadership office (#15)."""
    return task.status == TaskStatus.OPEN and (
        _supervises(user, task) or user.has_role(Role.LEADERSHIP_OFFICE)
    )


@policy("process.deploy")
def _deploy(user: User, _obj) -> bool:
    """Uploading, deploying and migrating models is the 流程分析员's alone: the 系统管理员 manages accounts
    (三员分立), and a model is code that runs on the server, however sandboxed."""
    return user.has_role(Role.ANALYST)


@policy("incident.resolve")
def _resolve_incident(user: User, _obj) -> bool:
    return user.has_role(Role.ADMIN)
