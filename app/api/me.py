"""GET /api/v1/me."""

from __future__ import annotations

from flask import jsonify

from app.api import api_user, bp


@bp.get("/me")
def me():
    """The calling user, their department and roles."""
    user = api_user()
    dept = user.department
    return jsonify(
        username=user.username,
        display_name=user.display_name,
        roles=sorted(r.value for r in user.roles),
        department={"id": dept.id, "uscc": dept.uscc, "name": dept.name, "platform": dept.platform.code},
    )
