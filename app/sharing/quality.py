"""Data quality issues found by the platform: correction, or joint verification (办法§17)."""

from __future__ import annotations

from flask_babel import gettext as _

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog.models import Resource
from app.engine.runtime import start_instance
from app.errors import ValidationFailed
from app.extensions import db, stored
from app.numbering import next_in_sequence
from app.org.models import User
from app.sharing.models import QualityIssue

PROCESS = "quality_issue"


def _number() -> str:
    return next_in_sequence(QualityIssue.number, f"ZL-{clock.local_now().year}-")


def raise_quality_issue(
    actor: User, resource: Resource, description: str, other: Resource | None = None
) -> QualityIssue:
    """The platform notifies the provider to correct bad data; with `other`, two providers' data disagree and
    both verify together with the platform (§17)."""
    require(actor, "quality.raise", resource)
    if not (description or "").strip():
        raise ValidationFailed(_("请说明数据质量问题"), fields={"description": "请说明数据质量问题"})
    if other is not None and other.provider_department_id == resource.provider_department_id:
        raise ValidationFailed(
            _("比对的两个资源须来自不同提供部门"), fields={"other": "须为另一提供部门的资源"}
        )
    return _open_issue(resource, description.strip(), other, actor, actor.department_id, source="manual")


def _open_issue(
    resource: Resource,
    description: str,
    other: Resource | None,
    actor: User | None,
    operator_department_id: int | None,
    source: str,
) -> QualityIssue:
    """Keep the issue and start quality_issue.bpmn: the provider corrects, or both providers verify with the
    platform's operator (`operator_department_id`)."""
    issue = QualityIssue(
        number=_number(),
        resource_id=resource.id,
        other_resource_id=other.id if other else None,
        raised_by_id=actor.id if actor else None,
        raised_at=clock.now(),
        description=description,
        status="open",
        responses={},
        source=source,
    )
    db.session.add(issue)
    db.session.flush()
    record(
        "quality.raised",
        actor=actor,
        object_type="quality_issue",
        object_id=issue.number,
        data={"resource": resource.code, "other": other.code if other else None, "source": source},
    )
    start_instance(
        PROCESS,
        business_key=issue.number,
        actor=actor,
        data={
            "issue_id": issue.id,
            "issue_number": issue.number,
            "resource_name": resource.name,
            "provider_department_id": resource.provider_department_id,
            "joint": other is not None,
            "other_provider_department_id": other.provider_department_id if other else None,
            "operator_department_id": operator_department_id,
            "raised_at": issue.raised_at.isoformat(),
        },
    )
    return issue


def record_quality_response(
    issue_id: int, department_id: int, user_id: int | None, text: str
) -> QualityIssue:
    """A provider's correction or verification result (called by quality_issue.bpmn)."""
    issue = stored(QualityIssue, int(issue_id))
    author = db.session.get(User, user_id) if user_id else None
    issue.responses = {
        **(issue.responses or {}),
        str(department_id): {
            "text": text,
            "by": author.display_name if author else None,
            "at": clock.now().isoformat(),
        },
    }
    record(
        "quality.responded",
        actor=author,
        object_type="quality_issue",
        object_id=issue.number,
        data={"text": text},
    )
    return issue


def resolve_quality_issue(issue_id: int, user_id: int | None, conclusion: str) -> QualityIssue:
    """The platform's conclusion closes the issue."""
    issue = stored(QualityIssue, int(issue_id))
    issue.status, issue.conclusion, issue.resolved_at = "resolved", conclusion, clock.now()
    author = db.session.get(User, user_id) if user_id else None
    record(
        "quality.resolved",
        actor=author,
        object_type="quality_issue",
        object_id=issue.number,
        data={"conclusion": conclusion},
    )
    return issue


def raise_stale_data_issue(resource: Resource, description: str) -> QualityIssue:
    """The freshness watch (#17) opens a §17 quality issue for the provider: no person raised it, so the operator
    of the provider's platform follows it up (the same procedure as one raised by hand)."""
    operator = resource.provider.platform.operator
    return _open_issue(
        resource, description, None, None, operator.id if operator else None, source="freshness"
    )
