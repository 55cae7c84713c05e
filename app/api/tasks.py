"""Human tasks over the API: list, get, claim, unclaim, reassign, urge, save a draft, complete (409 on a lost
race)."""

from __future__ import annotations

from marshmallow import fields

from app.access import require
from app.api import api_user, bp
from app.api.schemas import (
    DraftInput,
    FormDataInput,
    Input,
    Output,
    ReassignInput,
    TaskDetailOut,
    TaskOut,
    TaskPageOut,
    TaskQuery,
)
from app.engine import queries, runtime
from app.errors import NotFound
from app.extensions import db
from app.inbox import urging
from app.org.models import User

TAGS = ["待办任务"]


@bp.get("/tasks", tags=TAGS)
@bp.arguments(TaskQuery, location="query", as_kwargs=True)
@bp.response(200, TaskPageOut)
def list_tasks(scope: str, limit: int, offset: int):
    """我的待办（含委托给我的）、待认领或我已办结的任务，按截止时间排序（与网页待办同一查询）"""
    items, total = queries.task_page(api_user(), scope, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@bp.get("/tasks/<task_id>", tags=TAGS)
@bp.response(200, TaskDetailOut)
def get_task(task_id: str):
    """一个任务及其表单的 JSON Schema"""
    task = runtime.get_task(task_id)
    require(api_user(), "task.view", task)
    return task


@bp.post("/tasks/<task_id>/claim", tags=TAGS)
@bp.response(200, TaskOut)
def claim(task_id: str):
    """认领任务"""
    return runtime.claim_task(task_id, api_user())


@bp.post("/tasks/<task_id>/unclaim", tags=TAGS)
@bp.response(200, TaskOut)
def unclaim(task_id: str):
    """退回待认领队列"""
    return runtime.unclaim_task(task_id, api_user())


@bp.post("/tasks/<task_id>/reassign", tags=TAGS)
@bp.arguments(ReassignInput)
@bp.response(200, TaskOut)
def reassign(body: dict, task_id: str):
    """改派给另一位候选人（主管）"""
    assignee = db.session.scalar(db.select(User).where(User.username == body["assignee"]))
    if assignee is None:
        raise NotFound("用户不存在")
    return runtime.reassign_task(task_id, assignee, api_user())


class UrgeInput(Input):
    """A 催办 message."""

    message = fields.String(required=True, metadata={"description": "催办内容（最多 500 字）"})


class UrgeOut(Output):
    """The urging as kept."""

    id = fields.Integer()
    task_id = fields.String()
    message = fields.String()
    urged_at = fields.DateTime()


@bp.post("/tasks/<task_id>/urge", tags=TAGS)
@bp.arguments(UrgeInput)
@bp.response(201, UrgeOut)
def urge(body: dict, task_id: str):
    """催办：提醒办理人（或该部门的候选人），计入案件和§26统计（平台、监督部门、领导小组办公室）"""
    return urging.urge_task(task_id, api_user(), body["message"])


@bp.post("/tasks/<task_id>/complete", tags=TAGS)
@bp.arguments(FormDataInput)
@bp.response(200, TaskOut)
def complete(body: dict, task_id: str):
    """办结任务：表单按任务的 JSON Schema 校验（422 逐字段说明）；他人已办结时 409"""
    return runtime.complete_task(task_id, api_user(), body["data"])


@bp.put("/tasks/<task_id>/draft", tags=TAGS)
@bp.arguments(DraftInput)
@bp.response(200, TaskOut)
def save_draft(body: dict, task_id: str):
    """暂存草稿（办结前保留；待认领任务随之认领）"""
    return runtime.save_draft(task_id, api_user(), body["data"])
