"""Template filters and globals: times shown in Asia/Shanghai, role labels, navigation."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime, timedelta
from functools import lru_cache

from flask import Flask, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from app.access import can
from app.audit.writer import SYSTEM_ACTOR
from app.clock import SHANGHAI, as_utc, local_date, local_datetime, parse_moment
from app.engine.registry import step_deadline_days
from app.extensions import db
from app.inbox.formdata import line_values
from app.org.models import User
from app.org.roles import Role


def local_due(value: datetime | str | None) -> str:
    """A due time as the regulation counts it: a period ending at 24:00 reads "2026-11-16 24:00", not the
    next day's 00:00 (the timers store the instant the period is over)."""
    if value is None or value == "":
        return "—"
    moment = as_utc(parse_moment(value) if isinstance(value, str) else value).astimezone(SHANGHAI)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return f"{(moment - timedelta(days=1)):%Y-%m-%d} 24:00"
    return moment.strftime("%Y-%m-%d %H:%M")


# Machine identifiers inside a text: task ids (UUIDs), digests and other hex of 8+ characters, audit key ids.
_IDENTIFIER = re.compile(
    r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\bk[0-9a-f]{12}\b|\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"
)


def ids_as_code(text: str) -> Markup:
    """A text with the identifiers in it shown as code (the audit trail's data column): people read the words,
    an identifier is set apart as one."""
    return Markup(_IDENTIFIER.sub(lambda m: f"<code>{m.group(0)}</code>", str(escape(text))))


def actor_label(event) -> str:
    """Who did an audited step, as people know them: the user's display name, 系统 for the engine."""
    if event.actor_id is None:
        return _("系统") if event.actor_name == SYSTEM_ACTOR else event.actor_name
    user = db.session.get(User, event.actor_id)  # the session's identity map: one query per person
    name = user.display_name if user is not None else event.actor_name
    on_behalf_of = (event.data or {}).get("on_behalf_of") if isinstance(event.data, dict) else None
    return _("%(deputy)s 代 %(principal)s", deputy=name, principal=on_behalf_of) if on_behalf_of else name


# The ES modules of bpmn-auto-layout, by the names they import each other under (#29).
LAYOUT_MODULES = ("bpmn-auto-layout", "bpmn-moddle", "moddle", "moddle-xml", "saxen", "min-dash")


@lru_cache(maxsize=8)
def _import_map(script_root: str) -> tuple[str, str]:
    """(the import map's text, the CSP source allowing it) for an app served under `script_root`: made once,
    not on every response."""
    imports = {name: url_for("main.vendor", package=name, filename="index.js") for name in LAYOUT_MODULES}
    text = json.dumps({"imports": imports}, sort_keys=True, separators=(",", ":"))
    return text, "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def layout_import_map() -> str:
    """The import map of the pages that draw BPMN: where the browser finds bpmn-auto-layout and its modules,
    to lay out a diagram that has no layout (DI). The same text every time, so the CSP allows it by hash."""
    return _import_map(request.script_root)[0]


def import_map_hash() -> str:
    """The CSP source that allows the import map (a sha256 of its text)."""
    return _import_map(request.script_root)[1]


def register_template_helpers(app: Flask) -> None:
    """Install filters and globals."""
    app.jinja_env.filters["local_dt"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_due"] = local_due
    app.jinja_env.filters["actor"] = actor_label
    app.jinja_env.filters["ids_as_code"] = ids_as_code
    app.jinja_env.filters["line_values"] = line_values
    app.jinja_env.filters["reject_key"] = lambda mapping, key: {k: v for k, v in mapping.items() if k != key}
    app.jinja_env.globals["can"] = lambda action, obj=None: can(current_user, action, obj)
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["layout_import_map"] = layout_import_map
    app.extensions["csp_script_sources"] = import_map_hash  # the import map is the one inline script
    # "N个工作日" on pages comes from the deployed model (a model change changes the text).
    app.jinja_env.globals["step_days"] = step_deadline_days
