"""The JSON API under /api/v1: bearer-token auth, one error format (see app.errors)."""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_babel import gettext as _

from app.auth.services import user_for_token
from app.errors import ServiceError, ValidationFailed

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


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A query-string integer within [low, high]; 422 naming the parameter otherwise."""
    raw = request.args.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(_("参数有误"), fields={name: _("必须是整数")}) from None
    if not low <= value <= high:
        raise ValidationFailed(_("参数有误"), fields={name: _("必须在 %(a)d–%(b)d 之间", a=low, b=high)})
    return value


from app.api import admin, calendar, catalog, me, notifications, sharing, tasks  # noqa: E402,F401  (routes)
