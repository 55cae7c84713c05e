"""催办 (#15): an operator or supervisor urges an open task with a message; the assignee, or every candidate of
the task's department and role, is told. Kept (counted on the case and in the §26 figures) and audited."""

from __future__ import annotations

from flask_babel import gettext as _

from app import clock
from app.access import require
from app.engine.models import TaskUrging
from app.engine.runtime import open_task, task_event
from app.errors import ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.org.models import User

URGE_MESSAGE_LIMIT = 500


def urge_task(task_id: str, user: User, message: str) -> TaskUrging:
    """催办 by hand (#15): the assignee, or every candidate of the task's department and role, is told with the
    message; the urging is kept (counted on the case and in the §26 figures) and audited."""
    task = open_task(task_id)
    require(user, "task.urge", task)
    text = (message or "").strip()
    if not text:
        raise ValidationFailed(_("请填写催办内容"), fields={"message": _("请填写催办内容")})
    if len(text) > URGE_MESSAGE_LIMIT:
        raise ValidationFailed(
            _("催办内容过长"), fields={"message": _("最多 %(n)d 字", n=URGE_MESSAGE_LIMIT)}
        )
    urging = TaskUrging(
        task_id=task.id,
        instance_id=task.instance_id,
        department_id=task.candidate_department_id,
        urged_by_id=user.id,
        message=text,
        urged_at=clock.now(),
    )
    db.session.add(urging)
    note = _("催办：%(label)s（%(key)s）— %(text)s", label=task.label, key=task.business_key, text=text)
    if task.assignee_id is not None:
        send(message=note, user_id=task.assignee_id, link=f"/tasks/{task.id}", instance_id=task.instance_id)
    else:
        send(
            message=note,
            role=task.candidate_role,
            department_id=task.candidate_department_id,
            link=f"/tasks/{task.id}",
            instance_id=task.instance_id,
        )
    task_event("task.urged", task, user, {"message": text})
    db.session.flush()
    return urging


def urgings_of(task_ids: list[str]) -> dict[str, list[TaskUrging]]:
    """The urgings of these tasks, oldest first, by task id."""
    found: dict[str, list[TaskUrging]] = {}
    if task_ids:
        rows = db.session.scalars(
            db.select(TaskUrging).where(TaskUrging.task_id.in_(task_ids)).order_by(TaskUrging.id)
        )
        for row in rows:
            found.setdefault(row.task_id, []).append(row)
    return found
