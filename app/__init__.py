"""GovShare: the application factory."""

from __future__ import annotations

import logging
import os
import re
import uuid

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.db_types import ROW_ID_MAX, include_name, json_text, render_item
from app.engine import sandbox
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.ops import logs, metrics
from app.paths import project_dir

MIGRATIONS_DIR = str(project_dir("migrations"))


def create_app(config: type | str | None = None) -> Flask:
    """Build the Flask application for `config` (a class, a name like "testing", or GOVSHARE_ENV)."""
    from config import CONFIGS, INSTANCE_DIR, config_from_env

    if config is None:
        config = config_from_env()
    elif isinstance(config, str):
        config = CONFIGS[config]

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    # `<int:id>` in every route: a number past the database's integer range is a 404, not an overflow.
    app.url_map.converters["int"] = RowIdConverter
    app.config.from_object(config)
    if hasattr(config, "check"):
        config.check()
    options = {"json_serializer": json_text, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Pool sizing and pre-ping are for a PostgreSQL server; a SQLite file cannot drop the connection, and
        # a ping would cost a statement per transaction. SQLite uses SQLAlchemy's own pool choice.
        for option in ("pool_size", "max_overflow", "pool_pre_ping"):
            options.pop(option, None)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    os.makedirs(app.instance_path, exist_ok=True)
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    # SpiffWorkflow logs every task state change and APScheduler every run at INFO; the audit trail is the record.
    for name in ("spiff", "spiff.task", "spiff.workflow", "spiff.metrics", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)

    sandbox.configure(app.config["EXPRESSION_MAX_STEPS"], app.config["EXPRESSION_MAX_SECONDS"])
    if app.config.get("TRUSTED_PROXIES"):
        # The client's address and scheme from the configured number of proxies (nginx: 1), never more: a client
        # cannot forge the address the audit trail records.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        render_as_batch=True,
        render_item=render_item,
        include_name=include_name,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app)  # one locale, BABEL_DEFAULT_LOCALE (config.LANGUAGES)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"

    _import_models()
    from app import access  # noqa: F401  (registers the foundation policies)
    from app.auth.views import bp as auth_bp
    from app.calendar.views import bp as calendar_bp
    from app.catalog import operations as _catalog_operations  # noqa: F401  (service operations of BPMN)
    from app.catalog import policies as _catalog_policies  # noqa: F401
    from app.catalog import summaries as _catalog_summaries  # noqa: F401  (the task page's case summaries)
    from app.catalog.views import bp as catalog_bp
    from app.engine import policies as _engine_policies  # noqa: F401
    from app.engine import runtime as _runtime  # noqa: F401  (re-arms timers when the calendar changes)
    from app.engine.views import bp as engine_bp
    from app.errors import register_error_handlers
    from app.inbox.views import bp as inbox_bp
    from app.main.views import bp as main_bp
    from app.notices import operations as _notices_operations  # noqa: F401
    from app.ops.views import bp as ops_bp
    from app.org.views import bp as org_bp
    from app.sharing import national as _national  # noqa: F401  (the national_forward operation)
    from app.sharing import operations as _sharing_operations  # noqa: F401
    from app.sharing import policies as _sharing_policies  # noqa: F401
    from app.sharing import summaries as _sharing_summaries  # noqa: F401
    from app.sharing.views import bp as sharing_bp
    from app.studio.views import bp as studio_bp
    from app.supervision import operations as _supervision_operations  # noqa: F401
    from app.supervision import policies as _supervision_policies  # noqa: F401
    from app.supervision.views import bp as supervision_bp
    from app.templating import register_template_helpers
    from app.transactions import view_in_unit_of_work

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(engine_bp)
    app.register_blueprint(studio_bp)
    app.register_blueprint(supervision_bp)
    app.register_blueprint(ops_bp)
    from app.api import api
    from app.api import bp as api_bp
    from app.api.gateway import gateway_bp

    api.init_app(app)
    api.register_blueprint(api_bp)
    api.register_blueprint(gateway_bp)
    csrf.exempt(api_bp)
    csrf.exempt(gateway_bp)
    limiter.exempt(gateway_bp)  # a machine credential with no limits of its own: no limiter work per check
    for endpoint, view in list(app.view_functions.items()):  # every page and API call: one unit of work
        if endpoint != "static" and not endpoint.endswith(".static"):
            app.view_functions[endpoint] = view_in_unit_of_work(view)
    register_error_handlers(app)
    register_template_helpers(app)
    app.after_request(_security_headers)
    app.before_request(_reject_unstorable_text)
    logs.install(app)
    metrics.install(app)
    # First of all (before the CSRF check and the limiter, which may refuse the request): its id, so even a
    # refused request is logged and answered with one.
    logs.run_first(app, _assign_request_id)

    from app.cli import register_commands

    register_commands(app)
    return app


class RowIdConverter(IntegerConverter):
    """Integers 0 … 2^31-1, the range of an INTEGER id column on both databases."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002  (werkzeug's signature)
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(map, *args, **kwargs)


def _unstorable(text: str) -> str | None:
    """Why a text cannot be stored: a NUL (PostgreSQL refuses it) or a lone surrogate (not UTF-8)."""
    if "\x00" in text:
        return "含有空字符（\\u0000）"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "含有无效的 Unicode 字符（单独的代理码位）"
    return None


def _bad_json_text(value, path: str) -> tuple[str, str] | None:
    """(field path, why) of the first text in a JSON body that cannot be stored, or None."""
    if isinstance(value, str):
        problem = _unstorable(value)
        return (path or "_request", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _bad_json_text(key, path) or _bad_json_text(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _bad_json_text(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _reject_unstorable_text() -> None:
    """Text that could never be stored (NUL, lone surrogates) is a clear 422 naming the field, not a 500."""
    from app.errors import ValidationFailed

    parts = [
        (request.path, "_path"),
        *((k, k) for k, _v in request.args.items(multi=True)),
        *((v, k) for k, v in request.args.items(multi=True)),
    ]
    if request.form:
        parts += [(v, k) for k, v in request.form.items(multi=True)]
    found = next(((name, why) for text, name in parts if (why := _unstorable(text))), None)
    if found is None and request.is_json:
        found = _bad_json_text(request.get_json(silent=True), "")
    if found is not None:
        name, why = found
        raise ValidationFailed("请求中含有无法保存的字符", fields={name: why})


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _assign_request_id() -> None:
    """Each request's id: the proxy's X-Request-ID when it is a plain token, else a new one (audit rows and the
    response carry it)."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def _security_headers(response):
    """No framing, no MIME sniffing, no referrer leaks; only our own scripts and styles; HSTS in production;
    the request id for the logs."""
    if "request_id" in g:
        response.headers.setdefault("X-Request-ID", g.request_id)
    hsts = current_app.config.get("HSTS")
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    inline = current_app.extensions["csp_script_sources"]()  # the import map of the BPMN pages, by hash
    attributes = "style-src-attr 'unsafe-inline'; " if g.get("csp_style_attributes") else ""
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src 'self' {inline}; img-src 'self' data:; style-src 'self'; {attributes}"
        "frame-ancestors 'none'",
    )
    return response


def _import_models() -> None:
    """Import every model module so that metadata (and Alembic) sees all tables."""
    from app import attachments as _attachments  # noqa: F401
    from app import health as _health  # noqa: F401
    from app import numbering as _numbering  # noqa: F401
    from app.audit import models as _audit  # noqa: F401
    from app.calendar import models as _calendar  # noqa: F401
    from app.catalog import models as _catalog  # noqa: F401
    from app.engine import models as _engine  # noqa: F401
    from app.notices import models as _notices  # noqa: F401
    from app.org import models as _org  # noqa: F401
    from app.sharing import models as _sharing  # noqa: F401
    from app.studio import models as _studio  # noqa: F401
    from app.supervision import models as _supervision  # noqa: F401


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: WAL journal (readers do not block the writer), enforced foreign keys, a busy timeout."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL is safe against corruption; only a power cut can lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
