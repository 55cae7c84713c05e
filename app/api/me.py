"""GET /api/v1/me and /api/v1/me/glance."""

from __future__ import annotations

from marshmallow import fields

from app.api import api_user, bp
from app.api.schemas import MeOut, Output
from app.inbox.listing import at_a_glance


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
    soon_until = fields.Date(metadata={"description": "“即将到期”的最后一天（今日起第2个工作日）"})


@bp.get("/me/glance", tags=["账户"])
@bp.response(200, GlanceOut)
def glance():
    """今日待办一览：今日到期、即将到期、已超期、待认领、未读通知（与首页同一统计）"""
    return at_a_glance(api_user())
