"""`govshare timers fire`, `govshare scheduler`, `govshare serve`, `govshare incidents …` (the studio's
`govshare bpmn …` is in app/studio/cli.py)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext

from app.clock import local_datetime
from app.engine.runtime import open_incidents, retry_incident
from app.errors import ServiceError
from app.extensions import db
from app.org.models import User
from app.scheduler import fire_due_timers, run_blocking, start_background

timers = click.Group("timers", help="Timer events.")


def _this_app() -> Flask:
    """The application object itself (not the context proxy): the scheduler keeps it for its jobs."""
    return click.get_current_context().ensure_object(ScriptInfo).load_app()


@timers.command("fire")
@with_appcontext
def timers_fire():
    """Run one timer sweep now (use the global --now to sweep as of another time)."""
    result = fire_due_timers()
    click.echo(
        f"instances: {result.instances}, timers fired: {result.timers_fired}, "
        f"incidents: {result.incidents}, skipped: {result.skipped}"
    )


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the timer scheduler alone, in the foreground."""
    run_blocking(_this_app())


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve_command(host: str, port: int):
    """Development/demo server with the timer scheduler in the same process."""
    from werkzeug.serving import run_simple

    app = _this_app()
    start_background(app)
    click.echo(f"GovShare on http://{host}:{port}/ (timer sweep every {app.config['TIMER_SWEEP_SECONDS']} s)")
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


incidents = click.Group("incidents", help="Failed scripts and services.")


@incidents.command("list")
@with_appcontext
def incidents_list():
    """Open incidents."""
    for incident in open_incidents():
        click.echo(
            f"#{incident.id} instance {incident.instance_id} ({incident.instance.business_key}) "
            f"{local_datetime(incident.created_at)} {incident.task_name or '-'}: {incident.message}"
        )


def _admin(username: str):
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        click.echo(f"错误：用户不存在：{username}", err=True)
        sys.exit(1)
    return user


@incidents.command("retry")
@click.argument("incident_id", type=int)
@click.option("--as", "as_user", default="admin", help="Admin username recorded as the actor.")
@with_appcontext
def incidents_retry(incident_id: int, as_user: str):
    """Retry the failed task of an incident."""
    try:
        again = retry_incident(incident_id, _admin(as_user))
    except ServiceError as exc:
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
    click.echo(f"failed again: incident #{again.id}: {again.message}" if again else "retried")


def register(app) -> None:
    """Attach the engine's commands to the app's CLI."""
    for command in (timers, scheduler_command, serve_command, incidents):
        app.cli.add_command(command)
