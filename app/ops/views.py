"""定时任务 (#32): each scheduled job's last run, duration, result, next run and last error, for the 系统管理员,
with 立即执行 for the jobs that may run again at any time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import clock, scheduler
from app.access import require
from app.audit.writer import record
from app.auth.forms import EmptyForm
from app.errors import NotFound
from app.extensions import db
from app.health import JobState, job_states

bp = Blueprint("ops", __name__, url_prefix="/admin")


@dataclass
class JobRow:
    """One line of the page."""

    job_id: str
    title: str
    schedule: str
    state: JobState | None
    next_run: datetime | None
    late: bool
    by_hand: bool


def _rows() -> list[JobRow]:
    now = clock.now()
    states = job_states()
    rows = []
    for job in scheduler.JOBS:
        job_id, trigger = job.id, job.trigger(current_app.config)
        state = states.get(job_id)
        last = state.last_started_at if state else None
        if trigger["trigger"] == "interval":
            every = timedelta(**{k: v for k, v in trigger.items() if k in ("seconds", "minutes", "hours")})
            minutes, seconds = divmod(int(every.total_seconds()), 60)
            schedule = (
                _("每 %(m)d 分钟", m=minutes)
                if not seconds
                else _("每 %(s)d 秒", s=int(every.total_seconds()))
            )
            next_run = last + every if last else None
            late = bool(state and state.last_finished_at and now - state.last_finished_at > 3 * every)
        else:
            cron = CronTrigger(
                hour=trigger.get("hour"), minute=trigger.get("minute", 0), timezone=clock.SHANGHAI
            )
            schedule = _("每天 %(h)02d:%(m)02d", h=trigger.get("hour", 0), m=trigger.get("minute", 0))
            next_run = cron.get_next_fire_time(None, now.astimezone(clock.SHANGHAI))
            late = bool(
                state and state.last_finished_at and now - state.last_finished_at > timedelta(hours=26)
            )
        rows.append(
            JobRow(
                job_id,
                job.title,
                schedule,
                state,
                next_run,
                late,
                job.by_hand,
            )
        )
    return rows


@bp.route("/jobs")
@login_required
def jobs():
    """The scheduled jobs as the scheduler processes last ran them."""
    require(current_user, "jobs.manage")
    return render_template("ops/jobs.html", rows=_rows(), form=EmptyForm())


@bp.post("/jobs/<job_id>/run")
@login_required
def run(job_id: str):
    """立即执行: run the job once now, in this request, as the scheduler would (its own record and log line)."""
    require(current_user, "jobs.manage")
    job = scheduler.JOBS_BY_ID.get(job_id)
    if job is None or not job.by_hand:
        raise NotFound(_("没有这个可以立即执行的定时任务"))
    if EmptyForm().validate_on_submit():
        record("scheduler.run_now", actor=current_user, object_type="job", object_id=job_id, data={})
        db.session.commit()  # the request is audited even if the job then fails
        scheduler.run_now(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]  # the app itself, as the scheduler holds it
        state = db.session.get(JobState, job_id, populate_existing=True)
        if state is not None and state.last_result == "ok":
            flash(
                _(
                    "已执行：%(t)s（%(ms)d 毫秒）",
                    t=job.title,
                    ms=state.last_duration_ms or 0,
                ),
                "success",
            )
        else:
            flash(_("执行失败：%(e)s", e=(state.last_error if state else "") or "—"), "error")
    return redirect(url_for("ops.jobs"))
