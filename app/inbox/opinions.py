"""Opinions with attachments (意见附件, #31): a step completed with files — a scanned reply letter, the legal
basis of a refusal — that every later step of the case shows beside the opinion (app/engine/history.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app import attachments
from app.access import can
from app.engine.history import OPINION_FILES
from app.engine.models import HumanTask, ProcessInstance
from app.engine.queries import case_tasks
from app.engine.runtime import complete_task
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.org.models import User


def complete_with_files(
    task_id: str,
    user: User,
    data: dict[str, Any],
    uploads: list[attachments.Upload] | None = None,
    held: list[attachments.Attachment] | None = None,
) -> HumanTask:
    """Complete a task with its form and the files given with the opinion (checked first: a refused file
    loses nothing of the form). Not committed here."""
    uploads, held = uploads or [], held or []
    problems = attachments.check(uploads, existing=len(held))
    if problems:
        raise ValidationFailed(_("附件不符合要求"), fields=problems)
    task = complete_task(task_id, user, data)
    if uploads or held:
        attachments.adopt(held, OPINION_FILES, task.instance_id, task.id)
        attachments.store(OPINION_FILES, task.instance_id, uploads, user.id, key=task.id)
    return task


def opinion_file(user: User, attachment_id: int) -> attachments.Attachment:
    """A step's file, for whoever may see some step of its case (every task page of a case shows the opinions
    so far); NotFound otherwise, so ids cannot be probed."""
    item = db.session.get(attachments.Attachment, attachment_id)
    if item is None or item.owner_type != OPINION_FILES:
        raise NotFound(_("附件不存在"))
    instance = db.session.get(ProcessInstance, item.owner_id)
    if instance is None or not any(can(user, "task.view", t) for t in case_tasks(instance.business_key)):
        raise NotFound(_("附件不存在"))
    return item
