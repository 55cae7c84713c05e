"""The `govshare` command: the Flask CLI with GovShare's commands.

govshare [--now ISO] db upgrade | users … | demo seed | calendar … | run
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from app import clock, create_app
from app.access import require
from app.audit.cli import audit
from app.auth.services import (
    create_api_token,
    create_gateway_credential,
    gateway_credentials,
    revoke_gateway_credential,
)
from app.calendar.services import (
    active_calendar,
    deadline,
    import_arrangement,
    list_versions,
    replace_overlay,
)
from app.clock import local_datetime, parse_moment
from app.demo import seed, seed_content
from app.engine.cli import register as register_engine
from app.errors import ServiceError
from app.extensions import db
from app.org.models import User
from app.org.services import create_user, list_users
from app.studio.cli import bpmn
from app.supervision.cli import supervision
from app.transactions import command_in_unit_of_work


def _freeze_clock(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        try:
            clock.freeze(parse_moment(value))
        except ValueError:
            raise click.BadParameter("应为 ISO 8601 时间，例如 2026-09-30T10:00:00+08:00") from None


_now_option = click.Option(
    ["--now"],
    metavar="ISO",
    expose_value=False,
    is_eager=True,
    callback=_freeze_clock,
    help="Run the command as if it were this time (the one clock). Naive times are Beijing time.",
)


def _create_app():
    return create_app()


main = FlaskGroup(create_app=_create_app, params=[_now_option], help=__doc__)


def _fail(message: str, fields: dict[str, str] | None = None) -> None:
    click.echo(f"错误：{message}", err=True)
    for field, problem in (fields or {}).items():
        click.echo(f"  {field}: {problem}", err=True)
    sys.exit(1)


def _user_named(username: str) -> User:
    """The user with this username, or a clear error and exit 1."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        _fail(f"用户不存在：{username}")
    return user


# --- users --------------------------------------------------------------------------------------------

users = click.Group("users", help="Manage users.")


@users.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Display name (姓名).")
@click.option("--department", required=True, help="Department 统一社会信用代码 or full name.")
@click.option("--role", "roles", multiple=True, required=True, help="Role code; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(
    username: str, display_name: str, department: str, roles: tuple[str, ...], password_stdin: bool
):
    """Create a user."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = create_user(
            username=username,
            display_name=display_name,
            department_code=department,
            roles=list(roles),
            password=password,
        )
    except ServiceError as exc:
        _fail(exc.message, exc.fields)
    click.echo(f"created {user.username} ({', '.join(sorted(r.value for r in user.roles))})")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="A name for the token.")
@with_appcontext
def users_token(username: str, name: str):
    """Create an API token for USERNAME and print it (shown only once)."""
    _token, plain = create_api_token(_user_named(username), name)
    click.echo(plain)


@users.command("list")
@with_appcontext
def users_list():
    """List users with department and roles."""
    for user in list_users():
        roles = ",".join(sorted(r.value for r in user.roles))
        state = "" if user.active else "  [停用]"
        click.echo(
            f"{user.username:<20} {user.display_name:<8} {user.department.short_name:<16} {roles}{state}"
        )


# --- exchange gateway credentials ---------------------------------------------------------------------------

gateway = click.Group("gateway", help="Credentials of exchange gateways (POST /api/v1/authorizations/check).")


@gateway.command("issue")
@click.argument("name")
@click.option(
    "--as", "as_user", default="secadmin", help="Username recorded as the issuer (a 安全保密管理员)."
)
@with_appcontext
def gateway_issue(name: str, as_user: str):
    """Create a credential for the gateway NAME and print its token (shown only once)."""
    actor = _user_named(as_user)
    try:
        require(actor, "gateway.manage")
        credential, plain = create_gateway_credential(name, actor)
    except ServiceError as exc:
        _fail(exc.message, exc.fields)
    db.session.commit()
    click.echo(plain)
    click.echo(f"# gateway credential #{credential.id} {credential.name}", err=True)


@gateway.command("list")
@with_appcontext
def gateway_list():
    """List gateway credentials (never their tokens)."""
    for credential in gateway_credentials():
        state = f"revoked {local_datetime(credential.revoked_at)}" if credential.revoked_at else "active"
        used = local_datetime(credential.last_used_at) if credential.last_used_at else "never used"
        click.echo(f"#{credential.id:<4} {credential.name:<24} {credential.prefix}…  {state}  {used}")


@gateway.command("revoke")
@click.argument("credential_id", type=int)
@click.option(
    "--as", "as_user", default="secadmin", help="Username recorded as the actor (a 安全保密管理员)."
)
@with_appcontext
def gateway_revoke(credential_id: int, as_user: str):
    """Revoke a gateway credential at once."""
    actor = _user_named(as_user)
    try:
        require(actor, "gateway.manage")
        revoke_gateway_credential(credential_id, actor)
    except ServiceError as exc:
        _fail(exc.message, exc.fields)
    db.session.commit()
    click.echo(f"revoked #{credential_id}")


# --- demo ---------------------------------------------------------------------------------------------

demo = click.Group("demo", help="Demo data.")


@demo.command("seed")
@with_appcontext
def demo_seed():
    """Load the Hubei demo organisation, users, procedures and catalog (idempotent)."""
    summary = seed()
    summary.update(seed_content())
    click.echo(json.dumps(summary, ensure_ascii=False))


# --- calendar -----------------------------------------------------------------------------------------

calendar_group = click.Group("calendar", help="The statutory working-day calendar.")


@calendar_group.command("show")
@click.argument("year", type=int)
@with_appcontext
def calendar_show(year: int):
    """Print YEAR's rest days and make-up working days."""
    cal = active_calendar()
    try:
        arrangement = cal.arrangement(year)
    except ValueError as exc:
        _fail(str(exc))
    except ServiceError as exc:
        _fail(exc.message)
    notice = arrangement.notice
    click.echo(f"{year}年  日历版本 {cal.version}  {'预计（未导入）' if arrangement.provisional else '正式'}")
    if arrangement.provisional:
        click.echo(f"  说明：{arrangement.provisional_reason}")
    else:
        click.echo(
            f"  依据：{notice.get('title') or ''} {notice.get('number') or ''} {notice.get('date') or ''}"
        )
    click.echo("放假：")
    for day, label in cal.holidays(year):
        click.echo(f"  {day.isoformat()} 周{'一二三四五六日'[day.weekday()]} {label}")
    click.echo("调休上班：")
    for day, label in cal.working_weekends(year):
        click.echo(f"  {day.isoformat()} 周{'一二三四五六日'[day.weekday()]} {label}")
    total = cal.get_working_days_delta(date(year - 1, 12, 31), date(year, 12, 31))
    click.echo(f"全年工作日：{total}")


@calendar_group.command("deadline")
@click.option(
    "--from", "from_", required=True, metavar="ISO_DATETIME", help="Event time; naive = Beijing time."
)
@click.option("--days", required=True, type=int, help="N working days.")
@click.option("--rule", default="strict", help="strict | next-working-day-after-hours")
@click.option(
    "--close-time", default=None, metavar="HH:MM", help="Office close time for the after-hours rule."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def calendar_deadline(from_: str, days: int, rule: str, close_time: str | None, as_json: bool):
    """Compute a working-day deadline."""
    try:
        result = deadline(parse_moment(from_), days, rule, close_time)
    except ValueError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    click.echo(f"期限：{result.due_date.isoformat()}（{result.expires_at.isoformat()} 届满）")
    if result.provisional:
        click.echo(f"预计：{result.provisional_reason}")


@calendar_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--comment", default="", help="Why (recorded with the new calendar version).")
@with_appcontext
def calendar_import(file: Path, comment: str):
    """Import a year's arrangement from a JSON FILE; recomputes provisional deadlines."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{file}: 不是有效的 JSON（{exc}）")
    try:
        result = import_arrangement(document, comment=comment)
    except ServiceError as exc:
        click.echo(f"错误：{file}: {exc.message}", err=True)
        for problem in exc.fields.get("arrangement", "").split("；"):
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    if result.version is None:
        click.echo(f"{result.year}: unchanged, no new version")
    else:
        click.echo(
            f"{result.year}: calendar version {result.version.id}; "
            f"{len(result.recomputed)} provisional deadline(s) recomputed"
        )


@calendar_group.command("overlay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--comment", default="", help="Why (recorded with the new calendar version).")
@with_appcontext
def calendar_overlay(file: Path, comment: str):
    """Replace the Hubei overlay from a JSON FILE: {"overlay": [{"date", "kind": "rest"|"work", "name", "source"}]}."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        entries = document["overlay"] if isinstance(document, dict) else document
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError) as exc:
        _fail(f"{file}: 不是有效的省级调整文件（{exc}）")
    try:
        version = replace_overlay(entries, comment=comment)
    except ServiceError as exc:
        click.echo(f"错误：{file}: {exc.message}", err=True)
        for problem in exc.fields.get("overlay", "").split("；"):
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo("unchanged, no new version" if version is None else f"calendar version {version.id}")


@calendar_group.command("versions")
@with_appcontext
def calendar_versions():
    """List calendar versions, newest first."""
    for v in list_versions():
        click.echo(f"{v.id:>4}  {local_datetime(v.created_at)}  {v.created_by_name:<12} {v.comment}")


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    for group in (users, demo, calendar_group, audit, supervision, gateway, bpmn):
        app.cli.add_command(group)
    register_engine(app)
    _each_in_unit_of_work(app.cli)


def _each_in_unit_of_work(group: click.Group) -> None:
    """Every command of the app (its own and Flask's `db …`, `routes`) runs as one unit of work."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _each_in_unit_of_work(command)
        elif command.callback is not None:
            command.callback = command_in_unit_of_work(command.callback)
