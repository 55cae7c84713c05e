"""marshmallow schemas of the API: what each endpoint accepts and answers; the OpenAPI document comes from them.

Also gives marshmallow's built-in field errors Chinese wording, so every 422 names the field in Chinese terms
(the catalog's and the sharing procedures' schemas use the same defaults).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from app.calendar.services import status_of
from app.db_types import ROW_ID_MAX
from app.engine import store
from app.engine.history import case_steps
from app.engine.registry import step_documentation
from app.engine.runtime import task_form
from app.inbox.summaries import prefill

_CHINESE_DEFAULTS: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "不是有效的 UTF-8 文本"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Boolean: {"invalid": "应为 true 或 false"},
    fields.List: {"invalid": "应为列表"},
    fields.Nested: {"type": "应为对象"},
    fields.Mapping: {"invalid": "应为对象"},
    fields.Date: {"invalid": "应为日期（YYYY-MM-DD）", "format": "日期格式有误"},
    fields.DateTime: {"invalid": "应为 ISO 8601 时间", "format": "时间格式有误"},
}
for _cls, _messages in _CHINESE_DEFAULTS.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_messages}
Schema._default_error_messages = {"type": "应为 JSON 对象", "unknown": "未知字段"}


def row_id(**kwargs) -> fields.Integer:
    """An id of a stored row: a positive integer within the id columns' range (else 422, not an overflow)."""
    return fields.Integer(validate=validate.Range(1, ROW_ID_MAX, error="不是有效的编号"), **kwargs)


class Input(Schema):
    """A request body: unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = RAISE


class Output(Schema):
    """A response body."""


# --- tasks -------------------------------------------------------------------------------------------------


class PageQuery(Schema):
    """The one pagination of every API list: `limit` items from `offset`; the answer carries `total`."""

    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, 200, error="必须在 1–200 之间"),
        metadata={"description": "每页条数（1–200）"},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(0, 10_000_000, error="必须在 0–10000000 之间"),
        metadata={"description": "从第几条开始（0 起）"},
    )


class PageOut(Output):
    """The pagination fields of every API list."""

    total = fields.Integer(metadata={"description": "符合条件的总数"})
    limit = fields.Integer()
    offset = fields.Integer()


def page_of(items: list, limit: int, offset: int) -> dict:
    """A page of an already filtered list, in the one pagination style."""
    return {"items": items[offset : offset + limit], "total": len(items), "limit": limit, "offset": offset}


class TaskQuery(PageQuery):
    """GET /tasks query string."""

    scope = fields.String(
        load_default="mine",
        validate=validate.OneOf(
            ["mine", "queue", "done", "following"], error="只能是 mine、queue、done 或 following"
        ),
        metadata={
            "description": "mine：我的待办（含委托给我的）；queue：本部门/角色待认领；done：我已办结；"
            "following：在办案件（平台运营方、监督方所辖部门的全部在办环节）"
        },
    )


def _badge(task) -> str | None:
    return status_of(task.due_date, task.deadline_provisional).text if task.due_date else None


class TaskOut(Output):
    """A human task: who may take it, its form and its working-day deadline."""

    id = fields.String()
    business_key = fields.String(metadata={"description": "案件编号"})
    process_id = fields.String()
    step = fields.String(attribute="spec_name")
    label = fields.String()
    status = fields.String()
    candidate_role = fields.String(allow_none=True)
    candidate_department_id = fields.Integer(allow_none=True)
    assignee = fields.Function(lambda task: task.assignee.username if task.assignee else None)
    form = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(
        allow_none=True, metadata={"description": "截止时刻（北京时间 24:00，UTC 存储）"}
    )
    due_date = fields.Date(allow_none=True)
    deadline_days = fields.Integer(allow_none=True, metadata={"description": "工作日数"})
    deadline_provisional = fields.Boolean(metadata={"description": "节假日安排未公布，期限为预计"})
    deadline_badge = fields.Function(_badge)
    draft = fields.Dict(allow_none=True)


class AnswerOut(Output):
    """One answered field of a completed step."""

    title = fields.String()
    text = fields.String()


class StepOut(Output):
    """A completed step of the case (办理经过): who (for whom), when, what they decided and wrote."""

    task_id = fields.String()
    label = fields.String()
    department = fields.String(allow_none=True)
    actor = fields.String()
    on_behalf_of = fields.String(allow_none=True, metadata={"description": "委托：代谁办理"})
    at = fields.DateTime()
    answers = fields.List(fields.Nested(AnswerOut))
    files = fields.Function(
        lambda step: [
            {"id": f.id, "filename": f.filename, "size": f.size, "url": f"/tasks/files/{f.id}"}
            for f in step.files
        ],
        metadata={"description": "意见附件（下载地址与页面相同）"},
    )


class TaskDetailOut(TaskOut):
    """A task with the JSON Schema of its form, the case so far and the basis of its deadline (as the page)."""

    form_schema = fields.Function(lambda task: _task_form(task))
    basis = fields.Function(
        lambda task: step_documentation(task.instance.process_version_id, task.spec_name),
        metadata={"description": "依据（模型中该环节的说明：条款与要求）"},
    )
    steps = fields.Function(
        lambda task: StepOut(many=True).dump(case_steps(task.business_key)),
        metadata={"description": "办理经过：此前各环节的办理人、时间、结论和意见"},
    )
    prefill = fields.Function(
        lambda task: prefill(task.process_id, task.form, store.instance_data(task.instance)),
        metadata={"description": "补正等环节打开时填入的原申请内容（无草稿时）"},
    )


def _task_form(task):
    return task_form(task)


class TaskPageOut(PageOut):
    """A page of tasks."""

    items = fields.List(fields.Nested(TaskOut))


class FormDataInput(Input):
    """Form fields of a task (validated against the task's JSON Schema by the engine)."""

    data = fields.Dict(load_default=dict, metadata={"description": "表单字段"})


class DraftInput(Input):
    """Some form fields of a task, kept as a draft."""

    data = fields.Dict(required=True, metadata={"description": "表单字段（可不完整）"})


class ReassignInput(Input):
    """Give a task to another candidate."""

    assignee = fields.String(required=True, metadata={"description": "用户名"})


# --- notifications -----------------------------------------------------------------------------------------


class NotificationQuery(PageQuery):
    """GET /notifications query string."""

    unread = fields.Integer(
        load_default=0,
        validate=validate.OneOf([0, 1], error="只能是 0 或 1"),
        metadata={"description": "1：只看未读"},
    )


class NotificationOut(Output):
    """An in-app notification."""

    id = fields.Integer()
    message = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read = fields.Boolean()


class NotificationListOut(PageOut):
    """The caller's notifications and unread count."""

    items = fields.List(fields.Nested(NotificationOut))
    unread_count = fields.Integer()


class NotificationReadOut(Output):
    """The result of marking a notification read."""

    id = fields.Integer()
    read = fields.Boolean()
    unread_count = fields.Integer()


# --- the caller, the clock, the calendar -------------------------------------------------------------------


class DepartmentRef(Output):
    """A department in short."""

    id = fields.Integer()
    uscc = fields.String(metadata={"description": "统一社会信用代码"})
    name = fields.String()
    platform = fields.Function(lambda dept: dept.platform.code)


class MeOut(Output):
    """The calling user."""

    username = fields.String()
    display_name = fields.String()
    roles = fields.Function(lambda user: sorted(r.value for r in user.roles))
    department = fields.Nested(DepartmentRef)


class ClockInput(Input):
    """Freeze the clock at `now`, or let it run with null."""

    now = fields.String(required=True, allow_none=True, metadata={"description": "ISO 8601；null 恢复走时"})


class ClockOut(Output):
    """The clock after the change."""

    now = fields.String()
    frozen = fields.Boolean()


class DeadlineOut(Output):
    """A working-day deadline (same shape as `govshare calendar deadline --json`)."""

    event_at = fields.String()
    days = fields.Integer()
    rule = fields.String()
    close_time = fields.String()
    counted_from = fields.String()
    due_date = fields.String()
    expires_at = fields.String()
    provisional = fields.Boolean()
    provisional_reason = fields.String(allow_none=True)
    calendar_version = fields.Integer(allow_none=True)


# --- incidents (admins) --------------------------------------------------------------------------------------


class IncidentOut(Output):
    """A failure that stopped an instance: the real error, the task, the time, and how it was resolved."""

    id = fields.Integer()
    instance_id = fields.Integer()
    business_key = fields.Function(
        lambda incident: incident.instance.business_key, metadata={"description": "案件编号"}
    )
    process_id = fields.Function(lambda incident: incident.instance.process_id)
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True, metadata={"description": "出错的环节"})
    error_type = fields.String()
    message = fields.String(metadata={"description": "真实的错误信息"})
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolution = fields.String(allow_none=True, metadata={"description": "retried 或 cancelled"})


class RetryOut(Output):
    """What a retry did."""

    incident = fields.Nested(IncidentOut, metadata={"description": "已处理的故障"})
    again = fields.Nested(IncidentOut, allow_none=True, metadata={"description": "重试仍失败时的新故障"})
    instance_status = fields.String()


class CancelInput(Input):
    """Why an instance is cancelled."""

    reason = fields.String(
        required=True, validate=validate.Length(1, 2000, error="请填写取消原因（最多 2000 字）")
    )


class InstanceOut(Output):
    """A process instance's state."""

    id = fields.Integer()
    business_key = fields.String()
    process_id = fields.String()
    status = fields.String(metadata={"description": "running、waiting、completed、cancelled 或 incident"})
    started_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
