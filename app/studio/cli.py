"""`govshare bpmn validate | deploy | versions | migrate`: the analyst studio on the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.access import require
from app.clock import local_datetime
from app.engine.registry import list_versions
from app.errors import ServiceError, ValidationFailed
from app.extensions import db
from app.org.models import User
from app.studio import migration
from app.studio.deploy import deploy, validate
from app.studio.uploads import deploy_files, validate_files


def _user(username: str) -> User:
    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        click.echo(f"错误：用户不存在：{username}", err=True)
        sys.exit(1)
    return user


bpmn = click.Group("bpmn", help="Process models: validate, deploy, list versions.")


@bpmn.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def bpmn_validate(paths: tuple[Path, ...]):
    """Check bpmn/ (or the given .bpmn/.dmn/.json files, laid over the deployed models as `deploy FILE…` does);
    prints file:line element-id: message; exit 1 on problems."""
    try:
        models = validate_files(list(paths)) if paths else validate(None)
    except ValidationFailed as err:
        click.echo(f"错误：{err.message}：{'；'.join(err.fields.values())}", err=True)
        sys.exit(1)
    for problem in models.problems:
        click.echo(str(problem), err=True)
    if models.problems:
        click.echo(f"{len(models.problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(models.trees)} file(s), processes: {', '.join(sorted(models.executable))}")


@bpmn.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--comment", default="", help="Why this deployment (recorded with the version).")
@click.option("--as", "as_user", default=None, help="Username recorded as the deployer (analyst or admin).")
@click.option(
    "--effective",
    "effective",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="施行日期 YYYY-MM-DD: cases started from that day on get the new versions (default: at once).",
)
@with_appcontext
def bpmn_deploy(paths: tuple[Path, ...], comment: str, as_user: str | None, effective):
    """Validate and deploy bpmn/ and forms/ (or the given .bpmn/.json files, laid over the deployed models);
    only changed processes get a new version, and the processes that call them with them."""
    actor = None
    if as_user:
        actor = db.session.scalar(db.select(User).where(User.username == as_user))
        if actor is None:
            click.echo(f"错误：用户不存在：{as_user}", err=True)
            sys.exit(1)
        require(actor, "process.deploy")
    try:
        day = effective.date() if effective else None
        result = (
            deploy_files(list(paths), actor, comment, day)
            if paths
            else deploy(actor=actor, comment=comment, effective_on=day)
        )
    except ValidationFailed as err:
        click.echo(f"错误：{err.message}：{'；'.join(err.fields.values())}", err=True)
        sys.exit(1)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    if result.problems:
        click.echo("not deployed", err=True)
        sys.exit(1)
    for version in result.created:
        since = f" (施行日期 {version.effective_on.isoformat()})" if version.effective_on else ""
        click.echo(f"deployed {version.process_id} v{version.version}{since}")
    for pid in result.unchanged:
        click.echo(f"unchanged {pid}")


@bpmn.command("versions")
@click.argument("process_id", required=False)
@with_appcontext
def bpmn_versions(process_id: str | None):
    """List deployed versions."""
    for v in list_versions(process_id):
        click.echo(
            f"{v.process_id:<28} v{v.version:<3} {local_datetime(v.deployed_at)}  {v.deployed_by_name:<10} "
            f"{v.content_hash[:12]}  {v.comment}"
        )


@bpmn.command("migrate")
@click.argument("process_id")
@click.option("--from", "from_version", type=int, default=None, help="Only cases of this version.")
@click.option("--to", "to_version", type=int, default=None, help="Target version (default: the latest).")
@click.option("--dry-run", is_flag=True, help="Only report what would happen to each case.")
@click.option(
    "--deadlines",
    type=click.Choice(migration.DEADLINE_MODES),
    default=migration.KEEP,
    show_default=True,
    help="Open steps keep their deadlines, or get them recomputed by the new version.",
)
@click.option("--instance", "instance_ids", type=int, multiple=True, help="Only these instance ids.")
@click.option("--comment", default="", help="Why (recorded with each migration).")
@click.option("--as", "as_user", required=True, help="Analyst username recorded as the actor.")
@with_appcontext
def bpmn_migrate(process_id, from_version, to_version, dry_run, deadlines, instance_ids, comment, as_user):
    """Move running cases of PROCESS_ID from older versions to a newer one (after a dry run per case)."""
    actor = _user(as_user)
    try:
        plans = migration.dry_run(
            actor,
            process_id,
            to_version=to_version,
            from_version=from_version,
            instance_ids=list(instance_ids) or None,
        )
        if not dry_run and plans:
            chosen = [p.instance_id for p in plans if p.allowed]
            plans = (
                migration.migrate(
                    actor, process_id, chosen, deadlines=deadlines, to_version=to_version, comment=comment
                )
                if chosen
                else plans
            )
            db.session.commit()
    except ServiceError as exc:
        click.echo(f"错误：{exc.message}", err=True)
        sys.exit(1)
    for plan in plans:
        verdict = ("would move" if dry_run else "moved") if plan.allowed else "refused"
        click.echo(
            f"{plan.business_key} (instance {plan.instance_id}) v{plan.from_version} -> v{plan.to_version}: {verdict}"
        )
        for timer in plan.timers:
            if deadlines == migration.KEEP:  # what will happen: the step keeps its deadline
                changed = (
                    f" (the new version would give {timer.recomputed})"
                    if timer.recomputed != timer.current
                    else ""
                )
                click.echo(f"  {timer.step}: keeps {timer.current}{changed}")
            else:
                click.echo(f"  {timer.step}: {timer.current} -> {timer.recomputed}")
        for reason in plan.refused:
            click.echo(f"  {reason}")
    if not plans:
        click.echo("no running cases on older versions")
