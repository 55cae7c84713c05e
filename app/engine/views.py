"""Admin pages of the engine: incidents (retry or cancel) and cancelling an instance. The process models'
pages are the studio's (app/studio/views.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import require
from app.auth.forms import EmptyForm
from app.engine import runtime
from app.errors import ServiceError

bp = Blueprint("engine", __name__, url_prefix="/admin")


@bp.route("/incidents")
@login_required
def incidents():
    """Open incidents with the real error, the task and the time."""
    require(current_user, "incident.resolve")
    return render_template("engine/incidents.html", incidents=runtime.open_incidents(), form=EmptyForm())


@bp.post("/incidents/<int:incident_id>/retry")
@login_required
def retry(incident_id: int):
    """Retry the failed task after its cause was fixed."""
    form = EmptyForm()
    if form.validate_on_submit():
        again = runtime.retry_incident(incident_id, current_user)
        if again is None:
            flash(_("已重试，流程继续运行"), "success")
        else:
            flash(_("重试仍然失败：%(msg)s", msg=again.message), "error")
    return redirect(url_for("engine.incidents"))


@bp.post("/instances/<int:instance_id>/cancel")
@login_required
def cancel(instance_id: int):
    """Cancel an instance with a reason."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            runtime.cancel_instance(instance_id, current_user, request.form.get("reason", ""))
        except ServiceError as exc:
            flash(exc.fields.get("reason") or exc.message, "error")
        else:
            flash(_("流程已取消"), "info")
    return redirect(url_for("engine.incidents"))
