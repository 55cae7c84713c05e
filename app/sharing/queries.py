"""What a user's lists of the sharing area hold (rules of visibility live here, not in the pages)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true

from app.access import oversees_everything
from app.catalog.models import Resource
from app.extensions import db
from app.org.models import Department, User
from app.sharing.models import OfflineExchange, QualityIssue


def _involving(user: User) -> ColumnElement[bool]:
    """The providers whose cases `user` follows: every department for the supervisors and the leadership
    office, a platform's departments for its operator, the user's own department otherwise."""
    if oversees_everything(user):
        return true()
    department = user.department
    if department.operates_platform:
        return Department.platform_id == department.platform_id
    return Department.id == department.id


def offline_exchanges_for(user: User) -> list[OfflineExchange]:
    """Offline exchange requests (§16) of the providers `user` follows, newest first."""
    query = (
        select(OfflineExchange)
        .join(Department, Department.id == OfflineExchange.provider_department_id)
        .where(_involving(user))
        .order_by(OfflineExchange.id.desc())
    )
    return list(db.session.scalars(query))


def quality_issues_for(user: User) -> list[QualityIssue]:
    """Data quality issues (§17) of the resources of the providers `user` follows, newest first."""
    query = (
        select(QualityIssue)
        .join(Resource, Resource.id == QualityIssue.resource_id)
        .join(Department, Department.id == Resource.provider_department_id)
        .where(_involving(user))
        .order_by(QualityIssue.id.desc())
    )
    return list(db.session.scalars(query))
