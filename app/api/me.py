"""GET /api/v1/me."""

from __future__ import annotations

from app.api import api_user, bp
from app.api.schemas import MeOut


@bp.get("/me", tags=["账户"])
@bp.response(200, MeOut)
def me():
    """当前用户、所在部门与角色"""
    return api_user()
