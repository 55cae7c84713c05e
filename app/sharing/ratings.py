"""共享评价 (#34): after use, the department that holds an authorization rates the resource — timeliness, accuracy,
completeness and a comment (成效反馈). The catalog shows the averages; a low score tells the operator of the
provider's platform, whose §17 duty it is to have bad data corrected, with the quality-issue form filled in."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import clock
from app.audit.writer import record
from app.catalog.models import Resource
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.org.models import User
from app.sharing.models import Authorization, ResourceRating
from app.texts import too_long

SCORES = (("timeliness", "及时性"), ("accuracy", "准确性"), ("completeness", "完整性"))
LOW = 2  # a score at or below this tells the platform (§17)


@dataclass(frozen=True)
class Summary:
    """A resource's ratings at a glance."""

    count: int
    timeliness: float | None
    accuracy: float | None
    completeness: float | None


def rating_authorization(user: User, resource: Resource) -> Authorization | None:
    """The authorization of `resource` by which the user's department may rate it (its newest)."""
    return db.session.scalar(
        select(Authorization)
        .where(
            Authorization.resource_id == resource.id,
            Authorization.applicant_department_id == user.department_id,
        )
        .order_by(Authorization.id.desc())
        .limit(1)
    )


def rate(user: User, resource: Resource, data: dict) -> ResourceRating:
    """Rate a resource the user's department holds (or held) an authorization of; a second rating of the same
    authorization replaces the first. Not committed here."""
    authorization = rating_authorization(user, resource)
    if authorization is None:
        raise NotFound(_("本部门没有该资源的授权，不能评价"))
    errors = {}
    scores = {}
    for field, title in SCORES:
        given = str(data.get(field) or "")
        if given not in ("1", "2", "3", "4", "5"):
            errors[field] = f"请为{title}选择1–5分"
        else:
            scores[field] = int(given)
    comment = str(data.get("comment") or "").strip() or None
    if comment and (problem := too_long(comment, "评价意见", 2000)):
        errors["comment"] = problem
    if any(score <= LOW for score in scores.values()) and not comment and not errors:
        errors["comment"] = "评分较低时请写明问题，以便平台通知提供部门核实更正"
    if errors:
        raise ValidationFailed(_("评价填写有误"), fields=errors)
    rating = db.session.scalar(
        select(ResourceRating).where(ResourceRating.authorization_id == authorization.id)
    )
    if rating is None:
        rating = ResourceRating(resource_id=resource.id, authorization_id=authorization.id)
        db.session.add(rating)
    rating.department_id, rating.user_id, rating.comment, rating.rated_at = (
        user.department_id,
        user.id,
        comment,
        clock.now(),
    )
    for field, score in scores.items():
        setattr(rating, field, score)
    db.session.flush()
    record(
        "resource.rated",
        actor=user,
        object_type="resource",
        object_id=resource.code,
        data={**scores, "comment": comment},
    )
    if any(score <= LOW for score in scores.values()):
        operator = resource.provider.platform.operator
        if operator is not None:
            send(
                message=_(
                    "资源“%(r)s”收到低评分（%(l)s），请核实是否需要通知提供部门更正（办法§17）",
                    r=resource.name,
                    l=_low(rating),
                ),
                role="platform_operator",
                department_id=operator.id,
                # the form fills the description in from the rating (a link stays short: notification.link)
                link="/quality/new?" + urlencode({"resource": resource.code, "rating": rating.id}),
            )
    return rating


def _low(rating: ResourceRating) -> str:
    return "、".join(title for field, title in SCORES if getattr(rating, field) <= LOW)


def issue_text(rating_id: str | None, resource: Resource) -> str | None:
    """The §17 quality-issue description a low rating of `resource` suggests (None without such a rating)."""
    known = (rating_id or "").isdigit() and len(rating_id or "") < 10
    rating = db.session.get(ResourceRating, int(rating_id or 0)) if known else None
    if rating is None or rating.resource_id != resource.id:
        return None
    return _(
        "使用部门%(d)s评价%(l)s较低：%(c)s", d=rating.department.name, l=_low(rating), c=rating.comment or "—"
    )


def summary(resource: Resource) -> Summary:
    """Count and averages of a resource's ratings."""
    count, timeliness, accuracy, completeness = db.session.execute(
        select(
            func.count(ResourceRating.id),
            func.avg(ResourceRating.timeliness),
            func.avg(ResourceRating.accuracy),
            func.avg(ResourceRating.completeness),
        ).where(ResourceRating.resource_id == resource.id)
    ).one()
    as_float = lambda v: round(float(v), 1) if v is not None else None  # noqa: E731
    return Summary(count, as_float(timeliness), as_float(accuracy), as_float(completeness))


def recent(resource: Resource, limit: int = 5) -> list[ResourceRating]:
    """The newest ratings with a comment."""
    return list(
        db.session.scalars(
            select(ResourceRating)
            .where(ResourceRating.resource_id == resource.id, ResourceRating.comment.is_not(None))
            .order_by(ResourceRating.rated_at.desc())
            .limit(limit)
        )
    )
