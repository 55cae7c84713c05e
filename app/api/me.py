"""GET /api/v1/me, /api/v1/me/glance and the user's saved inbox filters (/api/v1/me/filters)."""

from __future__ import annotations

from marshmallow import fields

from app.api import api_user, bp
from app.api.schemas import Input, MeOut, Output
from app.catalog import watching
from app.inbox.listing import at_a_glance, delete_filter, save_filter, saved_filters


@bp.get("/me", tags=["账户"])
@bp.response(200, MeOut)
def me():
    """当前用户、所在部门与角色"""
    return api_user()


class GlanceOut(Output):
    """The home page's counts (the same service)."""

    due_today = fields.Integer(metadata={"description": "我的待办中今日到期的件数"})
    due_soon = fields.Integer(metadata={"description": "即将到期（soon_until 及以前）的件数"})
    overdue = fields.Integer(metadata={"description": "已超期的件数"})
    queue = fields.Integer(metadata={"description": "待认领的件数"})
    unread = fields.Integer(metadata={"description": "未读通知"})
    soon_until = fields.Date(metadata={"description": "“即将到期”的最后一天（今日起第3个工作日）"})


@bp.get("/me/glance", tags=["账户"])
@bp.response(200, GlanceOut)
def glance():
    """今日待办一览：今日到期、即将到期、已超期、待认领、未读通知（与首页同一统计）"""
    return at_a_glance(api_user())


class FilterIn(Input):
    """A filter to keep: its name and the task list's query (the same keys as GET /tasks on the web page)."""

    name = fields.String(required=True, metadata={"description": "名称（最多 40 字；同名则替换）"})
    query = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={
            "description": "筛选条件：scope、process、step、overdue、from、to、q、due、dept、sort、size"
        },
    )


class FilterOut(Output):
    """A saved inbox filter."""

    id = fields.Integer()
    name = fields.String()
    query = fields.String(metadata={"description": "待办页面的查询串（/tasks?…）"})


@bp.get("/me/filters", tags=["账户"])
@bp.response(200, FilterOut(many=True))
def list_filters():
    """我保存的待办筛选"""
    return saved_filters(api_user())


@bp.post("/me/filters", tags=["账户"])
@bp.arguments(FilterIn)
@bp.response(201, FilterOut)
def add_filter(body: dict):
    """保存一个待办筛选（同名则替换）"""
    return save_filter(api_user(), body["name"], body["query"])


@bp.delete("/me/filters/<int:filter_id>", tags=["账户"])
@bp.response(204)
def remove_filter(filter_id: int):
    """删除一个保存的筛选"""
    delete_filter(api_user(), filter_id)


class WatchIn(Input):
    """What to watch (资源订阅)."""

    target_type = fields.String(
        required=True,
        metadata={"description": "resource（资源代码）、class（资源类别）或 provider（部门编号）"},
    )
    target = fields.String(
        required=True, metadata={"description": "资源代码、资源类别（base/topic/department）或部门编号"}
    )


class WatchOut(Output):
    """A watch, described."""

    id = fields.Integer()
    target_type = fields.String()
    target = fields.String()
    description = fields.Function(lambda w: watching.describe(w)[0])
    created_at = fields.DateTime()


@bp.get("/me/watches", tags=["账户"])
@bp.response(200, WatchOut(many=True))
def list_watches():
    """我的订阅（资源、资源类别、部门目录）"""
    return watching.watches_of(api_user())


@bp.post("/me/watches", tags=["账户"])
@bp.arguments(WatchIn)
@bp.response(201, WatchOut)
def add_watch(body: dict):
    """订阅：发布新版本、撤销、服务中断或恢复、数据未按时更新时通知（每件事一次）"""
    return watching.watch(api_user(), body["target_type"], body["target"])


@bp.delete("/me/watches/<int:watch_id>", tags=["账户"])
@bp.response(204)
def remove_watch(watch_id: int):
    """取消订阅"""
    watching.unwatch(api_user(), watch_id)
