"""The one authorization helper: "may this user do X on this object?".

Each action is a named policy (a function of the user and the object) registered next to the area that owns
it. Views, the API, the CLI and later the engine ask `can()` / `require()`; nothing checks URL prefixes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from app.errors import PermissionDenied
from app.extensions import db
from app.org.models import Department, Platform, User
from app.org.roles import Role

Policy = Callable[[User, Any], bool]
_POLICIES: dict[str, Policy] = {}


def policy(action: str) -> Callable[[Policy], Policy]:
    """Register the function that decides `action`."""

    def register(fn: Policy) -> Policy:
        if action in _POLICIES:
            raise RuntimeError(f"policy {action!r} registered twice")
        _POLICIES[action] = fn
        return fn

    return register


def can(user: User | None, action: str, obj: Any = None) -> bool:
    """True when `user` may do `action` on `obj`. Unknown actions are refused, never allowed."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    try:
        decide = _POLICIES[action]
    except KeyError:
        raise LookupError(f"no policy for action {action!r}") from None
    return bool(decide(user, obj))


def require(user: User | None, action: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless `user` may do `action` on `obj`."""
    if not can(user, action, obj):
        raise PermissionDenied(_("您没有权限执行此操作"))


def known_actions() -> list[str]:
    """All registered action names (for documentation and tests)."""
    return sorted(_POLICIES)


# --- facts the policies are built from --------------------------------------------------------------


def operates_platform(user: User, platform: Platform | int | None) -> bool:
    """True when the user is a platform operator of the department that runs `platform`."""
    if platform is None or not user.has_role(Role.PLATFORM_OPERATOR):
        return False
    platform_id = platform if isinstance(platform, int) else platform.id
    dept = user.department
    return bool(dept.operates_platform and dept.platform_id == platform_id)


def works_for(user: User, department: Department | int | None) -> bool:
    """True when the user belongs to `department`."""
    if department is None:
        return False
    department_id = department if isinstance(department, int) else department.id
    return user.department_id == department_id


def oversees_everything(user: User) -> bool:
    """The provincial 大数据管理机构, the leadership office and admins see every department (§26, §28)."""
    if user.has_role(Role.LEADERSHIP_OFFICE, Role.ADMIN):
        return True
    return user.has_role(Role.SUPERVISOR) and user.department.level == "province"


def visible_department_ids(user: User) -> list[int] | None:
    """The departments whose records a supervisor may see: None for every department (the province's
    大数据管理机构, the leadership office, admins), else the departments of the user's own platform (a city data
    bureau oversees its city, §9, §26)."""
    if oversees_everything(user) or user.has_role(Role.AUDITOR):  # the 安全审计员 reads the whole trail
        return None
    return list(
        db.session.scalars(
            db.select(Department.id).where(Department.platform_id == user.department.platform_id)
        )
    )


def follows_up(user: User) -> bool:
    """Does the user follow up open steps (在办案件, #31)? The province's supervisors and admins, and the platform
    operators and supervisors of a department that runs a platform (a city data bureau)."""
    overseer = oversees_everything(user) and user.has_role(Role.ADMIN, Role.SUPERVISOR)
    return overseer or (
        user.department.operates_platform and user.has_role(Role.PLATFORM_OPERATOR, Role.SUPERVISOR)
    )


def followed_platform_id(user: User) -> int | None:
    """For one who follows_up: the platform whose departments' open steps are theirs, or None for every
    platform (the province's supervisors and admins)."""
    if oversees_everything(user) and user.has_role(Role.ADMIN, Role.SUPERVISOR):
        return None
    return user.department.platform_id


def supervises_platform(user: User, platform_id: int | None) -> bool:
    """A supervisor of the 大数据管理机构 that runs this platform (a city data bureau for its city)."""
    if platform_id is None or not user.has_role(Role.SUPERVISOR):
        return False
    dept = user.department
    return oversees_everything(user) or (dept.operates_platform and dept.platform_id == platform_id)


# --- foundation policies -------------------------------------------------------------------------------


@policy("department.view")
def _view_department(user: User, department: Department) -> bool:
    return (
        works_for(user, department)
        or oversees_everything(user)
        or operates_platform(user, department.platform_id)
        or supervises_platform(user, department.platform_id)
    )


@policy("department.list_all")
def _list_all_departments(user: User, _obj: Any) -> bool:
    return oversees_everything(user)


@policy("user.manage")
def _manage_users(user: User, _obj: Any) -> bool:
    """Accounts: create, profile, department, status, password (系统管理员; roles are not theirs)."""
    return user.has_role(Role.ADMIN)


@policy("user.list")
def _list_users(user: User, _obj: Any) -> bool:
    """The list of accounts: the 系统管理员 and the 安全保密管理员 (who assigns roles)."""
    return user.has_role(Role.ADMIN, Role.SECURITY_ADMIN)


@policy("user.roles")
def _assign_roles(user: User, _obj: Any) -> bool:
    """Roles and API tokens of accounts: the 安全保密管理员 only (三员分立)."""
    return user.has_role(Role.SECURITY_ADMIN)


@policy("gateway.manage")
def _manage_gateways(user: User, _obj: Any) -> bool:
    """Exchange-gateway credentials: the 安全保密管理员 (三员分立)."""
    return user.has_role(Role.SECURITY_ADMIN)


@policy("calendar.manage")
def _manage_calendar(user: User, _obj: Any) -> bool:
    return user.has_role(Role.ADMIN)


@policy("calendar.view")
def _view_calendar(user: User, _obj: Any) -> bool:
    return True


@policy("jobs.manage")
def _manage_jobs(user: User, _obj: Any) -> bool:
    """The 定时任务 page and 立即执行 (#32): the 系统管理员."""
    return user.has_role(Role.ADMIN)


@policy("clock.set")
def _set_clock(user: User, _obj: Any) -> bool:
    return user.has_role(Role.ADMIN)
