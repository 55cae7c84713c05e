"""Incidents over the API (admins): list the open ones, retry after the cause is fixed, cancel an instance."""

from __future__ import annotations

from marshmallow import fields

from app.access import require
from app.api import api_user, bp
from app.api.schemas import CancelInput, IncidentOut, InstanceOut, PageOut, PageQuery, RetryOut, page_of
from app.engine import runtime
from app.engine.models import Incident
from app.extensions import stored

TAGS = ["流程故障"]


class IncidentPageOut(PageOut):
    """A page of open incidents."""

    items = fields.List(fields.Nested(IncidentOut))


@bp.get("/incidents", tags=TAGS)
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, IncidentPageOut)
def list_incidents(limit: int, offset: int):
    """未处理的流程故障，最早的在前（系统管理员）"""
    require(api_user(), "incident.resolve")
    return page_of(runtime.open_incidents(), limit, offset)


@bp.post("/incidents/<int:incident_id>/retry", tags=TAGS)
@bp.response(200, RetryOut)
def retry(incident_id: int):
    """排除原因后重试出错的环节；仍失败时返回新的故障"""
    again = runtime.retry_incident(incident_id, api_user())
    incident = stored(Incident, incident_id)
    return {"incident": incident, "again": again, "instance_status": incident.instance.status}


@bp.post("/instances/<int:instance_id>/cancel", tags=TAGS)
@bp.arguments(CancelInput)
@bp.response(200, InstanceOut)
def cancel(body: dict, instance_id: int):
    """取消流程实例（连同其待办和故障），须写明原因"""
    return runtime.cancel_instance(instance_id, api_user(), body["reason"])
