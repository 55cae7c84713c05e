"""Who may do what in the catalog (registered with the one authorization helper)."""

from __future__ import annotations

from app.access import oversees_everything, policy, supervises_platform, works_for
from app.catalog.models import Resource
from app.org.models import Department, User
from app.org.roles import Role


def _provider_clerk_of(user: User, department_id: int) -> bool:
    return user.has_role(Role.PROVIDER_CLERK) and works_for(user, department_id)


@policy("catalog.create")
def _create(user: User, department: Department) -> bool:
    return _provider_clerk_of(user, department.id) or user.has_role(Role.ADMIN)


@policy("catalog.edit")
def _edit(user: User, resource: Resource) -> bool:
    return _provider_clerk_of(user, resource.provider_department_id) or user.has_role(Role.ADMIN)


@policy("catalog.withdraw")
def _withdraw(user: User, resource: Resource) -> bool:
    return _edit(user, resource) or supervises_platform(user, resource.provider.platform_id)


@policy("catalog.view_unpublished")
def _view_unpublished(user: User, resource: Resource) -> bool:
    return (
        works_for(user, resource.provider_department_id)
        or oversees_everything(user)
        or supervises_platform(user, resource.provider.platform_id)
    )


@policy("catalog.import")
def _import(user: User, _obj) -> bool:
    return user.has_role(Role.PROVIDER_CLERK, Role.ADMIN)


@policy("catalog.review_queue")
def _review_queue(user: User, _obj) -> bool:
    return user.has_role(Role.SUPERVISOR, Role.ADMIN)


@policy("catalog.duty_change")
def _duty_change(user: User, department) -> bool:
    """A change of law or duties (§6) is recorded by the department's provider clerks, or by the supervisors over
    its platform for it."""
    return (
        _provider_clerk_of(user, department.id)
        or supervises_platform(user, department.platform_id)
        or (user.has_role(Role.SUPERVISOR) and oversees_everything(user))
    )


@policy("catalog.watch")
def _watch(user: User, _obj) -> bool:
    """资源订阅 (#33): anyone signed in may watch what the catalog shows them."""
    return bool(user.active)


@policy("catalog.leads")
def _set_leads(user: User, _obj) -> bool:
    """一数一源 (#34): the province's data bureau (its supervisors) names the lead departments."""
    return oversees_everything(user) and user.has_role(Role.SUPERVISOR)
