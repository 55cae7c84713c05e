"""What a task page shows of the case so far (#31), as every Chinese OA approval sheet does (意见历史): each
earlier step with who did it (and for whom, 委托), when, and what they decided and wrote — read from the audit
trail's `task.completed` events and labelled by the step's own form, so a new form needs no code here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app import attachments
from app.audit.models import AuditEvent
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.engine.registry import parsed_by_id
from app.extensions import db
from app.org.models import User

OPINION_FILES = (
    "opinion"  # attachments.owner_type of a step's files: owner_id its instance, owner_key the task
)


@dataclass(frozen=True)
class Answer:
    """One field of a completed step's form: its title and what was chosen or written."""

    title: str
    text: str
    long: bool = False  # an opinion or reason (shown as a paragraph)


@dataclass(frozen=True)
class Step:
    """One completed step of a case."""

    task_id: str
    label: str
    department: str | None
    actor: str
    on_behalf_of: str | None
    at: datetime
    answers: list[Answer]
    files: list[attachments.Attachment]  # files given with the opinion (意见附件)


def _text(prop: dict[str, Any], value: Any) -> str:
    labels = prop.get("x-labels", {})
    if isinstance(value, bool):
        return labels.get(str(value).lower(), "是" if value else "否")
    if isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def answers(schema: dict | None, data: dict[str, Any] | None) -> list[Answer]:
    """The answered fields of a form, in the form's order, with its titles and choice labels (a field the
    form does not declare is shown by its name, so nothing submitted is hidden)."""
    data = data or {}
    properties = (schema or {}).get("properties", {})
    out = []
    for name in [*properties, *(n for n in data if n not in properties)]:
        value = data.get(name)
        if value is None or value == "" or value == []:
            continue
        prop = properties.get(name, {})
        long = prop.get("x-widget") == "textarea" or prop.get("maxLength", 0) > 200
        out.append(Answer(prop.get("title", name), _text(prop, value), long))
    return out


def case_steps(business_key: str) -> list[Step]:
    """Every completed step of a case (all its instances), oldest first, with the answers given."""
    tasks = {
        t.id: t
        for t in db.session.scalars(
            select(HumanTask)
            .where(HumanTask.business_key == business_key, HumanTask.status == TaskStatus.COMPLETED)
            .order_by(HumanTask.completed_at)
        )
    }
    if not tasks:
        return []
    instance_ids = list(
        db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == business_key))
    )
    files: dict[str, list[attachments.Attachment]] = {}
    for item in attachments.of_owners(OPINION_FILES, instance_ids):
        files.setdefault(item.owner_key or "", []).append(item)
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.instance_id.in_(instance_ids),
                AuditEvent.action == "task.completed",
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
    actor_ids = sorted({e.actor_id for e in events if e.actor_id})
    names: dict[int, str] = {  # the people's names as the pages show them, not their account names
        user_id: name
        for user_id, name in db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(actor_ids))
        )
    }
    steps = []
    for event in events:
        task = tasks.get(event.task_id or "")
        if task is None:
            continue
        data = event.data or {}
        schema = parsed_by_id(task.instance.process_version_id).forms.get(task.form) if task.form else None
        steps.append(
            Step(
                task_id=task.id,
                label=task.label,
                department=task.candidate_department.name if task.candidate_department else None,
                actor=names.get(event.actor_id or 0, event.actor_name),
                on_behalf_of=data.get("on_behalf_of"),
                at=event.at,
                answers=answers(schema, data.get("form")),
                files=files.get(task.id, []),
            )
        )
    return steps
