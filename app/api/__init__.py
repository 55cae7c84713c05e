"""The JSON API under /api/v1: bearer-token auth, one error format (see app.errors), OpenAPI 3.

Routes are flask-smorest views: request bodies and query strings are marshmallow schemas (`@bp.arguments`),
responses are marshmallow schemas (`@bp.response`), and the OpenAPI document at /api/v1/openapi.json is
generated from them. flask-smorest's own error handler is not installed: app.errors answers every error.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from app.auth.services import user_for_token
from app.errors import ServiceError

API_DESCRIPTION = """\
湖北省政务信息资源共享平台（GovShare）的 JSON 接口。

- 认证：每个请求带 `Authorization: Bearer <令牌>`；令牌在「个人设置」页面生成，只显示一次。
- 错误：统一为 `{"error": {"code": …, "message": …, "fields": {字段: 说明}}}`，状态码 4xx。
- 时间：ISO 8601，存储为 UTC；期限按法定工作日（办法§14、§15、§23、§25）计算，以北京时间 24:00 截止。
"""


class ErrorBody(Schema):
    """What went wrong."""

    code = fields.String(metadata={"description": "稳定的错误代码，如 validation_failed、conflict"})
    message = fields.String(metadata={"description": "中文说明"})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "字段 → 说明"},
    )


class Error(Schema):
    """The one error format of the API."""

    error = fields.Nested(ErrorBody)


class GovShareApi(Api):
    """flask-smorest's Api without its error handler: app.errors keeps the one error format."""

    ERROR_SCHEMA = Error

    def _register_error_handlers(self) -> None:
        return None


api = GovShareApi(
    spec_kwargs={
        "info": {"description": API_DESCRIPTION},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "gateway": {"type": "http", "scheme": "bearer", "description": "交换网关凭证（gw_…）"},
            }
        },
        "security": [{"bearer": []}],
    }
)
bp = Blueprint("api", __name__, url_prefix="/api/v1", description="GovShare API v1")


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


from app.api import admin, calendar, catalog, incidents, me, notifications, reuse, sharing, supervision, tasks  # noqa: E402,F401  (routes)
