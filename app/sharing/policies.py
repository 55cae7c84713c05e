"""Who may apply, see a case, and revoke an authorization."""

from __future__ import annotations

from app.access import operates_platform, oversees_everything, policy, supervises_platform, works_for
from app.org.models import User
from app.org.roles import Role
from app.sharing.models import (
    ApplicationStatus,
    Authorization,
    DataDemand,
    Decision,
    DemandStatus,
    ServiceMatter,
    ShareApplication,
)


@policy("sharing.apply")
def _apply(user: User, _obj) -> bool:
    return user.has_role(Role.APPLICANT_CLERK)


@policy("application.view")
def _view(user: User, application: ShareApplication) -> bool:
    if works_for(user, application.applicant_department_id) or oversees_everything(user):
        return True
    if operates_platform(user, application.applicant_department.platform_id):
        return True
    return any(
        works_for(user, line.provider_department_id) or operates_platform(user, line.provider.platform_id)
        for line in application.lines
    )


@policy("application.copy")
def _copy(user: User, application: ShareApplication) -> bool:
    """Applying again with a copy of an earlier application: the applicant department's clerks only (the
    copy carries its purpose, reason, system and scope)."""
    return user.has_role(Role.APPLICANT_CLERK) and works_for(user, application.applicant_department_id)


@policy("application.revise")
def _revise(user: User, application: ShareApplication) -> bool:
    """补正 of the resources, items and files: the applicant department's clerks, while it is returned (§19)."""
    return (
        user.has_role(Role.APPLICANT_CLERK)
        and works_for(user, application.applicant_department_id)
        and application.status == ApplicationStatus.RETURNED
    )


@policy("application.withdraw")
def _withdraw(user: User, application: ShareApplication) -> bool:
    """The applicant department's clerks, while no resource has been decided (nothing granted or refused)."""
    return (
        user.has_role(Role.APPLICANT_CLERK)
        and works_for(user, application.applicant_department_id)
        and application.status
        in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.IN_PROGRESS)
        and all(line.decision == Decision.PENDING for line in application.lines)
    )


@policy("authorization.revoke")
def _revoke(user: User, authorization: Authorization) -> bool:
    provider = authorization.resource.provider
    return (
        (user.has_role(Role.PROVIDER_CLERK) and works_for(user, provider.id))
        or operates_platform(user, provider.platform_id)
        or supervises_platform(user, provider.platform_id)
    )


@policy("authorization.view")
def _view_authorization(user: User, authorization: Authorization) -> bool:
    """Whoever may see the application it was granted on, and the supervisors of the provider's platform."""
    return _view(user, authorization.line.application) or supervises_platform(
        user, authorization.resource.provider.platform_id
    )


@policy("objection.raise")
def _raise(user: User, authorization: Authorization) -> bool:
    return user.has_role(Role.APPLICANT_CLERK) and works_for(user, authorization.applicant_department_id)


@policy("objection.view")
def _view_objection(user: User, objection) -> bool:
    return (
        works_for(user, objection.applicant_department_id)
        or works_for(user, objection.provider_department_id)
        or oversees_everything(user)
        or operates_platform(user, objection.provider.platform_id)
    )


@policy("dispute.raise")
def _raise_dispute(user: User, line) -> bool:
    """Any party of the line: the applicant, the provider, or the operator of the applicant's platform (§25)."""
    application = line.application
    return (
        works_for(user, application.applicant_department_id)
        or works_for(user, line.provider_department_id)
        or operates_platform(user, application.applicant_department.platform_id)
    )


@policy("dispute.raise_objection")
def _raise_objection_dispute(user: User, objection) -> bool:
    return (
        works_for(user, objection.applicant_department_id)
        or works_for(user, objection.provider_department_id)
        or operates_platform(user, objection.provider.platform_id)
    )


@policy("dispute.view")
def _view_dispute(user: User, dispute) -> bool:
    return oversees_everything(user) or user.department_id in (
        dispute.applicant_department_id,
        dispute.provider_department_id,
        dispute.platform_operator_id,
        dispute.leadership_office_id,
    )


@policy("offline.request")
def _offline_request(user: User, authorization: Authorization) -> bool:
    return user.has_role(Role.PROVIDER_CLERK) and works_for(
        user, authorization.resource.provider_department_id
    )


@policy("quality.raise")
def _quality_raise(user: User, resource) -> bool:
    """The operator of the platform that collects the provider's data (§17)."""
    return operates_platform(user, resource.provider.platform_id)


@policy("demand.raise")
def _raise_demand(user: User, _obj) -> bool:
    """供需对接 (#33): a department's applicant clerks state what data they need."""
    return user.has_role(Role.APPLICANT_CLERK)


@policy("demand.view")
def _view_demand(user: User, demand: DataDemand) -> bool:
    """The demander's and the holder's people, and those who follow up the demander's platform."""
    if works_for(user, demand.demander_department_id) or works_for(user, demand.holder_department_id):
        return True
    if oversees_everything(user):
        return True
    return operates_platform(user, demand.demander.platform_id) or supervises_platform(
        user, demand.demander.platform_id
    )


@policy("demand.fulfil")
def _fulfil_demand(user: User, demand: DataDemand) -> bool:
    """The holder's provider clerks name the resource they published for a demand they promised."""
    return (
        user.has_role(Role.PROVIDER_CLERK)
        and works_for(user, demand.holder_department_id)
        and demand.status == DemandStatus.WILL_CATALOGUE
    )


@policy("matter.manage")
def _manage_matters(user: User, _obj) -> bool:
    """复用核验 (#33): a department's clerks register its 政务服务事项 and their materials."""
    return user.has_role(Role.APPLICANT_CLERK, Role.PROVIDER_CLERK)


@policy("matter.edit")
def _edit_matter(user: User, matter: ServiceMatter) -> bool:
    """Only the department that owns the 事项."""
    return _manage_matters(user, matter) and works_for(user, matter.department_id)
