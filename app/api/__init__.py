"""The JSON API under /api/v1: bearer-token auth, one error format (see app.errors)."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_babel import gettext as _

from app.auth.services import user_for_token
from app.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(ServiceError):
    """No valid bearer token."""

    status = 401
    code = "unauthorized"


@bp.before_request
def authenticate_bearer() -> None:
    """Every API call needs `Authorization: Bearer <token>`; cookies are not accepted here (no CSRF)."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌"))
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized(_("访问令牌无效、已吊销或账户已停用"), code="invalid_token")
    g.api_user = user


def api_user():
    """The user of the current API call."""
    return g.api_user


from app.api import admin, calendar, catalog, me, notifications, sharing, tasks  # noqa: E402,F401  (routes)
