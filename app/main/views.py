"""The home page and GET /healthz."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from sqlalchemy import text

from app import clock
from app.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    """The user's start page."""
    return render_template("main/index.html", user=current_user)


@bp.route("/healthz")
def healthz():
    """Liveness and database check, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, never raise: this is the probe
        db.session.rollback()
        return jsonify(status="error", database="error", detail=type(exc).__name__), 503
    return jsonify(status="ok", database=database, time=clock.now().isoformat())
