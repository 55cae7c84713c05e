"""批量办理 (#15): several open tasks of the same step and form completed with one decision and opinion. Each is
validated and completed in its own transaction (runtime.complete_task), so one that someone else changed
meanwhile (409) or that fails validation is reported and the others go through."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.access import can
from app.engine import runtime
from app.engine.forms import needs_options
from app.engine.models import HumanTask, TaskStatus
from app.errors import NotFound, ServiceError, ValidationFailed
from app.extensions import db
from app.org.models import User

MAX_BATCH = 200


@dataclass
class BatchOutcome:
    """What happened to one task of a batch."""

    task_id: str
    business_key: str
    label: str
    ok: bool
    message: str


def batch_tasks(user: User, task_ids: list[str]) -> tuple[list[HumanTask], dict | None]:
    """The chosen tasks and their one form: one step of one process, a form that does not depend on the case,
    at least one the user can still complete. ValidationFailed says why not."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise ValidationFailed(_("请选择要批量办理的事项"), fields={"task": _("请选择要批量办理的事项")})
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(_("一次最多 %(n)d 件", n=MAX_BATCH), fields={"task": _("事项过多")})
    tasks = list(db.session.scalars(db.select(HumanTask).where(HumanTask.id.in_(ids))))
    if len(tasks) != len(ids):
        raise NotFound(_("所选事项不存在"))
    tasks.sort(key=lambda t: ids.index(t.id))
    kinds = {(t.process_id, t.spec_name, t.form) for t in tasks}
    if len(kinds) > 1:
        raise ValidationFailed(
            _("只能批量办理同一环节、同一表单的事项"), fields={"task": _("所选事项不属于同一环节")}
        )
    schema = runtime.raw_task_form(tasks[0])
    if needs_options(schema):
        raise ValidationFailed(_("该环节的表单随案件而不同，请逐件办理"), fields={"task": _("不能批量办理")})
    if not any(t.status == TaskStatus.OPEN and can(user, "task.complete", t) for t in tasks):
        raise ValidationFailed(_("所选事项都已办结或不由您办理"), fields={"task": _("请重新选择")})
    # Each of the others is reported when the batch runs (someone else may have handled it meanwhile).
    return tasks, schema


def complete_batch(
    user: User,
    tasks: list[HumanTask],
    data: dict[str, Any],
    *,
    transaction: Callable[[], AbstractContextManager[Any]],
) -> list[BatchOutcome]:
    """Complete each task with the same form data, each in its own `transaction` (the entry point's unit of
    work: one changed meanwhile fails alone, and no lock is held across the batch); report every outcome."""
    outcomes = []
    for task in tasks:
        try:
            with transaction():
                runtime.complete_task(task.id, user, dict(data))
        except ValidationFailed as exc:
            detail = "；".join(exc.fields.values()) if exc.fields else exc.message
            outcomes.append(BatchOutcome(task.id, task.business_key, task.label, False, detail))
        except ServiceError as exc:  # Conflict included: someone else handled it meanwhile
            outcomes.append(BatchOutcome(task.id, task.business_key, task.label, False, exc.message))
        else:
            outcomes.append(BatchOutcome(task.id, task.business_key, task.label, True, _("已办结")))
    return outcomes
