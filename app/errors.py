"""Service-layer errors and the handlers that turn any error into a Chinese page or a JSON error body.

Browsers get an HTML page in Chinese; callers of /api/ get {"error": {"code", "message", "fields"?}}.
No request ends in an unhandled 500: unexpected exceptions are logged and answered with a generic error.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """An expected failure of a use case, with a stable code and a message users can read."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    """Input that breaks a rule; `fields` maps each field to its Chinese message."""

    status = 422
    code = "validation_failed"


class NotFound(ServiceError):
    """The object does not exist (or the user may not know it exists)."""

    status = 404
    code = "not_found"


class PermissionDenied(ServiceError):
    """The user may not do this to this object."""

    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """The object changed under the user (e.g. the task was completed by someone else)."""

    status = 409
    code = "conflict"


HTTP_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "您没有权限执行此操作",
    404: "页面或对象不存在",
    405: "不支持该请求方法",
    409: "数据已被他人修改，请刷新后重试",
    413: "上传内容过大",
    415: "不支持的内容类型",
    422: "提交的数据不符合要求",
    429: "请求过于频繁，请稍后再试",
    500: "系统内部错误，已记录，请稍后重试",
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}


def wants_json() -> bool:
    """True for API callers (everything under /api/ and /healthz) and for a page's own script that sends JSON
    (the modeler saving a draft): they get {"error": …}, not an error page."""
    return request.path.startswith("/api/") or request.path == "/healthz" or request.is_json


_UNAVAILABLE = (
    "read-only",
    "readonly",
    "read only",
    "connection",
    "could not connect",
    "server closed",
    "terminating connection",
    "database is locked",
    "unable to open database",
    "disk i/o",
)


def database_unavailable(error: DBAPIError) -> bool:
    """The database cannot serve now (down, unreachable, read-only, locked) rather than a bug in a statement."""
    text = str(error.orig or error).lower()
    return error.connection_invalidated or (
        isinstance(error, OperationalError | InternalError) and any(word in text for word in _UNAVAILABLE)
    )


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None):
    """The one error format: JSON for the API, a Chinese page for browsers."""
    if wants_json():
        body: dict = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        response = jsonify(error=body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="govshare"'
        return response
    return render_template("errors/error.html", status=status, message=message, fields=fields or {}), status


def flatten_errors(messages: dict, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested error dict as {"items[0].name": "…"} with one message per field."""
    out: dict[str, str] = {}
    for key, value in messages.items():
        path = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten_errors(value, path))
        elif isinstance(value, list):
            text = value[0] if value and isinstance(value[0], str) else str(value)
            out[path] = "未知字段" if text == "Unknown field." else text
        else:
            out[path] = str(value)
    return out


def _request_rejected(status: int, messages: dict):
    """422 (or 400 for a body that is not JSON) naming each bad field; locations (json, query) are dropped."""
    fields: dict[str, str] = {}
    for location, problems in messages.items():
        if isinstance(problems, dict):
            fields.update(flatten_errors(problems))
        elif location == "json":
            fields["_body"] = _("请求体不是有效的 JSON")
    if status == 400:
        return error_response(400, "bad_request", _("请求体不是有效的 JSON"), fields)
    return error_response(status, "validation_failed", _("提交的数据有误"), fields)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        return error_response(error.status, error.code, error.message, error.fields)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        return error_response(400, "csrf_failed", _("表单已过期或缺少安全令牌，请刷新页面后重新提交"))

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        status = error.code or 500
        messages = (getattr(error, "data", None) or {}).get("messages")
        if isinstance(messages, dict):  # a request the API's marshmallow schemas rejected (webargs)
            return _request_rejected(status, messages)
        message = HTTP_MESSAGES.get(status, error.description or "")
        if status == 429 and any("\u4e00" <= c <= "\u9fff" for c in str(error.description or "")):
            message = str(error.description)  # the throttle's own words (which limit was hit)
        return error_response(status, HTTP_CODES.get(status, "http_error"), _(message))

    @app.errorhandler(DBAPIError)
    def handle_database(error: DBAPIError):
        """A database that is down, unreachable or refuses writes: 503 with Retry-After, nothing half-done."""
        db.session.rollback()
        if not database_unavailable(error):
            return handle_unexpected(error)
        log.warning("database unavailable on %s %s: %s", request.method, request.path, str(error.orig)[:200])
        response = make_response(
            error_response(
                503,
                "database_unavailable",
                _("数据库暂时不可用或只读，请稍后再试；已填写的内容未丢失，请稍后重新提交"),
            )
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", _(HTTP_MESSAGES[500]))
