"""Supervision over the API: the exchange system reports data calls (§26, §24); §26 statistics."""

from __future__ import annotations

from datetime import datetime

from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from app.access import require
from app.api import api_user, bp
from app.api.schemas import Input, Output, row_id
from app.extensions import db
from app.supervision import calls, freshness, stats
from app.supervision.models import CALL_FLAG_LABELS

TAGS = ["监督"]


def _plausible(moment: datetime) -> None:
    if not 2000 <= moment.year <= 2100:
        raise SchemaError("调用时间应在 2000–2100 年之间")


class CallInput(Input):
    """One data call as the exchange system saw it."""

    authorization_id = row_id(
        allow_none=True, load_default=None, metadata={"description": "授权编号；没有时为 null"}
    )
    caller_uscc = fields.String(
        required=True, validate=validate.Length(18, 18, error="应为18位统一社会信用代码")
    )
    resource_code = fields.String(required=True, validate=validate.Length(1, 64, error="长度应为 1–64"))
    call_id = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(1, 64, error="长度应为 1–64"),
        metadata={"description": "报送方对该次调用的唯一编号；同一编号重复报送只记一次（重试安全）"},
    )
    service = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=200, error="过长")
    )
    called_at = fields.AwareDateTime(
        required=True,
        validate=lambda moment: _plausible(moment),
        metadata={"description": "ISO 8601，带时区"},
    )
    success = fields.Boolean(required=True)
    duration_ms = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, 86_400_000, error="应在 0–86400000 之间"),
    )


class CallBatchInput(Input):
    """Up to 1,000 calls per request."""

    calls = fields.List(
        fields.Nested(CallInput),
        required=True,
        validate=validate.Length(1, calls.MAX_BATCH, error="应为 1–1000 条"),
    )


class CallResultOut(Output):
    """What was stored."""

    stored = fields.Integer()
    duplicates = fields.List(
        fields.Integer(), metadata={"description": "此前已报送（call_id 相同）而未重复记录的序号"}
    )
    flagged = fields.List(fields.Dict(), metadata={"description": "超出授权的调用：序号、问题代码与说明"})


class FreshnessInput(Input):
    """When one data service's data was last updated."""

    resource_code = fields.String(required=True, validate=validate.Length(1, 64, error="长度应为 1–64"))
    service = fields.String(
        required=True,
        validate=validate.Length(1, 200, error="长度应为 1–200"),
        metadata={"description": "数据服务名称"},
    )
    updated_at = fields.AwareDateTime(
        required=True,
        validate=lambda moment: _plausible(moment),
        metadata={"description": "ISO 8601，带时区"},
    )


class FreshnessBatchInput(Input):
    """Up to 1,000 reports per request."""

    updates = fields.List(
        fields.Nested(FreshnessInput),
        required=True,
        validate=validate.Length(1, 1000, error="应为 1–1000 条"),
    )


class FreshnessOut(Output):
    """How many services were updated."""

    stored = fields.Integer()


@bp.post("/services/freshness", tags=TAGS)
@bp.arguments(FreshnessBatchInput)
@bp.response(201, FreshnessOut)
def report_freshness(body: dict):
    """交换系统报送各数据服务的最近更新时间；超出目录更新周期的自动发起数据质量问题（办法§17）"""
    stored = freshness.report_updates(api_user(), body["updates"])
    db.session.commit()
    return {"stored": stored}


@bp.post("/calls", tags=TAGS)
@bp.arguments(CallBatchInput)
@bp.response(201, CallResultOut)
def report_calls(body: dict):
    """交换系统报送数据调用记录（办法§26）；逐条对照授权检查（§24），返回超出授权的调用"""
    user = api_user()
    require(user, "calls.ingest")
    stored = calls.ingest(user, body["calls"], source="api")
    flagged = [
        {"index": i, "flag": row.flag, "message": CALL_FLAG_LABELS[row.flag]}
        for i, row in enumerate(stored)
        if row is not None and row.flag
    ]
    duplicates = [i for i, row in enumerate(stored) if row is None]
    return {"stored": len(stored) - len(duplicates), "duplicates": duplicates, "flagged": flagged}


class StatisticsQuery(Schema):
    """Scope of the statistics."""

    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "开始日期，默认本月1日"})
    to = fields.Date(load_default=None, metadata={"description": "结束日期，默认今天"})
    platform = row_id(load_default=None)
    department = row_id(load_default=None)


class StepOut(Output):
    """One step's figures."""

    step = fields.String()
    label = fields.String()
    finished = fields.Integer()
    on_time = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
    average_days = fields.Float(allow_none=True)
    p90_days = fields.Integer(allow_none=True)


class DepartmentStepOut(StepOut):
    """One step's figures in one department."""

    department_id = fields.Integer(allow_none=True)


class StatisticsOut(Output):
    """§26 statistics of a scope."""

    start = fields.Date(attribute="scope.start")
    end = fields.Date(attribute="scope.end")
    received = fields.Integer()
    accepted = fields.Integer()
    not_accepted = fields.Integer()
    awaiting_check = fields.Integer()
    withdrawn = fields.Integer(metadata={"description": "申请方撤回"})
    decisions = fields.Dict(keys=fields.String(), values=fields.Integer())
    steps = fields.Function(lambda s: [StepOut().dump(f) for f in s.steps.values()])
    by_department = fields.List(fields.Nested(DepartmentStepOut))
    overdue_open = fields.Function(lambda s: s.overdue_count)
    objections = fields.Dict(keys=fields.String(), values=fields.Integer())
    disputes = fields.Dict(keys=fields.String(), values=fields.Integer())


@bp.get("/statistics", tags=TAGS)
@bp.arguments(StatisticsQuery, location="query")
@bp.response(200, StatisticsOut)
def statistics(query: dict):
    """授权办理统计（办法§26）：按期间、平台或部门"""
    user = api_user()
    require(user, "supervision.view")
    scope = stats.scope_for(user, query["from_"], query["to"], query["platform"], query["department"])
    return stats.compute(scope)
