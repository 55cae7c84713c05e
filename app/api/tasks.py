"""Human tasks over the API: list, get, claim, unclaim, reassign, save a draft, complete (409 on a lost race)."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.access import require
from app.api import api_user, bp, int_arg
from app.calendar.services import status_of
from app.engine import queries, runtime
from app.engine.models import HumanTask
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.org.models import User


def task_json(task: HumanTask) -> dict:
    """The API shape of a human task."""
    badge = status_of(task.due_date, task.deadline_provisional) if task.due_date else None
    return {
        "id": task.id,
        "business_key": task.business_key,
        "process_id": task.process_id,
        "step": task.spec_name,
        "label": task.label,
        "status": task.status,
        "candidate_role": task.candidate_role,
        "candidate_department_id": task.candidate_department_id,
        "assignee": task.assignee.username if task.assignee else None,
        "form": task.form,
        "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "deadline_days": task.deadline_days,
        "deadline_provisional": task.deadline_provisional,
        "deadline_badge": badge.text if badge else None,
        "draft": task.draft,
    }


@bp.get("/tasks")
def list_tasks():
    """?scope=mine|queue (default mine), limit, offset."""
    user = api_user()
    scope = request.args.get("scope", "mine")
    if scope not in ("mine", "queue"):
        raise ValidationFailed(_("参数有误"), fields={"scope": _("只能是 mine 或 queue")})
    limit = int_arg("limit", 50, 1, 200)
    offset = int_arg("offset", 0, 0, 10_000_000)
    finder = queries.my_tasks if scope == "mine" else queries.queue_tasks
    return jsonify(
        items=[task_json(t) for t in finder(user, limit=limit, offset=offset)], limit=limit, offset=offset
    )


@bp.get("/tasks/<task_id>")
def get_task(task_id: str):
    """One task with its form schema."""
    task = runtime.get_task(task_id)
    require(api_user(), "task.view", task)
    return jsonify(task_json(task) | {"form_schema": runtime.task_form(task)})


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str):
    """Claim a task from the queue."""
    return jsonify(task_json(runtime.claim_task(task_id, api_user())))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str):
    """Put a claimed task back in the queue."""
    return jsonify(task_json(runtime.unclaim_task(task_id, api_user())))


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id: str):
    """{"assignee": username} — supervisors give a task to another candidate."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("assignee"), str):
        raise ValidationFailed(_('请求体应为 JSON：{"assignee": 用户名}'), fields={"assignee": _("必填")})
    assignee = db.session.scalar(db.select(User).where(User.username == body["assignee"]))
    if assignee is None:
        raise NotFound(_("用户不存在"))
    return jsonify(task_json(runtime.reassign_task(task_id, assignee, api_user())))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    """{"data": {...form fields...}} — 422 with per-field messages, 409 if someone else was faster."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data", {}), dict):
        raise ValidationFailed(_('请求体应为 JSON：{"data": {表单字段}}'), fields={"data": _("必须是对象")})
    return jsonify(task_json(runtime.complete_task(task_id, api_user(), body.get("data", {}))))


@bp.put("/tasks/<task_id>/draft")
def save_draft(task_id: str):
    """{"data": {...some form fields...}} — kept on the task until it is completed; claims a queue task."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ValidationFailed(_('请求体应为 JSON：{"data": {表单字段}}'), fields={"data": _("必须是对象")})
    return jsonify(task_json(runtime.save_draft(task_id, api_user(), body["data"])))
