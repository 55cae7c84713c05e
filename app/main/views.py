"""The home page, GET /healthz (liveness) and GET /readyz (readiness)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory
from flask_login import current_user, login_required
from sqlalchemy import text

from app import clock, paths
from app.api import api
from app.extensions import db
from app.health import readiness
from app.inbox.listing import at_a_glance
from app.main.apidocs import operations_by_tag
from app.templating import LAYOUT_MODULES

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """The user's start page: what needs them today at a glance, then their roles' duties."""
    return render_template("main/index.html", user=current_user, glance=at_a_glance(current_user))


@bp.route("/favicon.ico")
def favicon():
    """No icon: answer quietly instead of a 404 in every browser console."""
    return "", 204


@bp.route("/healthz")
def healthz():
    """Liveness, for load balancers: the process answers (and can reach the database: a report, not a gate)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, never raise: this is the probe
        db.session.rollback()
        return jsonify(status="error", database="error", detail=type(exc).__name__), 503
    return jsonify(status="ok", database=database, time=clock.now().isoformat())


@bp.route("/readyz")
def readyz():
    """Readiness: the database accepts writes, migrations are at head, a scheduler beat recently."""
    result = readiness()
    body = {"status": "ready" if result.ready else "not_ready", "checks": result.checks}
    response = jsonify(body)
    response.status_code = 200 if result.ready else 503
    if not result.ready:
        response.headers["Retry-After"] = "30"
    return response


@bp.route("/api/docs")
@login_required
def api_docs():
    """The API reference in Chinese, rendered from the generated OpenAPI document."""
    spec = api.spec.to_dict()
    return render_template("main/api_docs.html", spec=spec, groups=operations_by_tag(spec))


# Browser libraries installed from npm at setup (package.json), served from node_modules, never committed.
# bpmn-auto-layout (#29) is an ES module: it and the modules it imports are served one by one and found by the
# browser through the page's import map (app/templating.py), its dependencies from its own node_modules when
# npm nested them there.
VENDOR = {
    "bpmn-js": ("bpmn-js/dist",),
    "dmn-js": ("dmn-js/dist",),
    "echarts": ("echarts/dist",),
    **{  # bpmn-auto-layout's own dependencies where npm nested them, else at the top
        name: (f"bpmn-auto-layout/node_modules/{name}/dist", f"{name}/dist") for name in LAYOUT_MODULES
    },
}


@bp.route("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    """A file of an allowed npm package's dist folder (404 if the package is not installed)."""
    if package not in VENDOR:
        abort(404)
    bundled = paths.VENDOR / package  # a release (make dist) carries the files it serves
    if bundled.is_dir():
        return send_from_directory(bundled, filename, max_age=86400)
    root = Path(current_app.config["NODE_MODULES"])
    folder = next((root / d for d in VENDOR[package] if (root / d).is_dir()), root / VENDOR[package][0])
    return send_from_directory(folder, filename, max_age=86400)
