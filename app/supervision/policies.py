"""Who may do what in supervision (办法§26–§31)."""

from __future__ import annotations

from app.access import oversees_everything, policy, supervises_platform, works_for
from app.org.models import User
from app.org.roles import Role


@policy("supervision.view")
def _view(user: User, _obj) -> bool:
    """Statistics, dashboard, reports, scorecards: the 大数据管理机构, the leadership office, admins."""
    return user.has_role(Role.SUPERVISOR, Role.LEADERSHIP_OFFICE, Role.ADMIN)


@policy("audit.view")
def _audit(user: User, _obj) -> bool:
    """The audit viewer (§27)."""
    return user.has_role(Role.SUPERVISOR, Role.LEADERSHIP_OFFICE, Role.ADMIN)


@policy("rectification.order")
def _order(user: User, _obj) -> bool:
    """The leadership office orders rectification (§26, §31)."""
    return user.has_role(Role.LEADERSHIP_OFFICE)


@policy("rectification.view")
def _rectification(user: User, item) -> bool:
    """The department concerned, the supervisors of its platform, the leadership office."""
    return (
        works_for(user, item.department_id)
        or oversees_everything(user)
        or supervises_platform(user, item.department.platform_id)
    )


@policy("calls.ingest")
def _ingest(user: User, _obj) -> bool:
    """The exchange system reports data calls with a platform operator's (or admin's) token."""
    return user.has_role(Role.PLATFORM_OPERATOR, Role.SUPERVISOR, Role.ADMIN)
