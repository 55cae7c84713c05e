"""Deployed process versions: list them, find the latest, and the parsed-spec cache (deploying is the
studio's: app/studio/deploy.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import g
from flask_babel import gettext as _
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func, or_

from app import clock
from app.engine.language import deadline_days_in, documentation_in
from app.engine.models import ProcessVersion
from app.errors import NotFound
from app.extensions import db, stored
from app.paths import project_dir

BPMN_DIR = project_dir("bpmn")
FORMS_DIR = project_dir("forms")


@dataclass
class ParsedVersion:
    """A version's spec objects, parsed once per process and reused for every instance."""

    spec: object
    subprocess_specs: dict
    forms: dict


_parsed: dict[int, ParsedVersion] = {}


def latest_versions() -> list[ProcessVersion]:
    """The newest version of every deployed process."""
    newest = (
        db.select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
        .group_by(ProcessVersion.process_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            db.select(ProcessVersion).join(
                newest,
                (ProcessVersion.process_id == newest.c.process_id)
                & (ProcessVersion.version == newest.c.version),
            )
        )
    )


_step_days: dict[tuple[int, str], int | None] = {}


def step_deadline_days(process_id: str, step: str) -> int | None:
    """The working days of a user task's deadline in the latest deployed version of a process, read from its
    deadline timer (`deadline(…, N)`): what pages say ("N个工作日") follows the model, not a constant.
    None when the process is not deployed or the timer takes its days from process data."""
    latest = g.setdefault("latest_version_ids", {})  # per request: a statistics page asks for every row
    if process_id not in latest:
        found = (
            db.session.connection().execute(_LATEST, {"process_id": process_id, "today": _today()}).first()
        )
        latest[process_id] = found[0] if found else None
    if latest[process_id] is None:
        return None
    key = (latest[process_id], step)
    if key not in _step_days:
        version = stored(ProcessVersion, latest[process_id])
        _step_days[key] = next(
            (
                days
                for source in version.files.values()
                if (days := deadline_days_in(source, step)) is not None
            ),
            None,
        )
    return _step_days[key]


def newest_version(process_id: str) -> ProcessVersion | None:
    """The newest deployed version of a process, None when it was never deployed."""
    return db.session.scalar(
        db.select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


def latest_version(process_id: str) -> ProcessVersion:
    """The newest deployed version of a process (NotFound when it was never deployed)."""
    version = newest_version(process_id)
    if version is None:
        raise NotFound(_("流程 %(pid)s 尚未部署", pid=process_id))
    return version


# The version in force on a day (#34, 施行日期): the newest one whose effective day has come (or that has none).
_LATEST = (
    db.select(ProcessVersion.id, ProcessVersion.version)
    .where(
        ProcessVersion.process_id == db.bindparam("process_id"),
        or_(ProcessVersion.effective_on.is_(None), ProcessVersion.effective_on <= db.bindparam("today")),
    )
    .order_by(ProcessVersion.version.desc())
    .limit(1)
)


def _today() -> date:
    return clock.local_now().date()


def upcoming_versions() -> list[ProcessVersion]:
    """Versions deployed with a 施行日期 still to come (the studio lists them), soonest first."""
    return list(
        db.session.scalars(
            db.select(ProcessVersion)
            .where(ProcessVersion.effective_on > _today())
            .order_by(ProcessVersion.effective_on, ProcessVersion.process_id)
        )
    )


def latest_version_key(process_id: str) -> tuple[int, int]:
    """(id, version number) of the version of a process in force today (the newest whose 施行日期 has come): what
    starting an instance needs, read without loading the version row (its spec comes from the parse cache)."""
    found = db.session.connection().execute(_LATEST, {"process_id": process_id, "today": _today()}).first()
    if found is None:
        raise NotFound(_("流程 %(pid)s 尚未部署", pid=process_id))
    return found[0], found[1]


def list_versions(process_id: str | None = None) -> list[ProcessVersion]:
    """Deployed versions, by process then newest first."""
    query = db.select(ProcessVersion).order_by(ProcessVersion.process_id, ProcessVersion.version.desc())
    if process_id:
        query = query.where(ProcessVersion.process_id == process_id)
    return list(db.session.scalars(query))


def parsed_by_id(version_id: int) -> ParsedVersion:
    """The parsed spec of a version by id: no query once this process has parsed it."""
    cached = _parsed.get(version_id)
    if cached is not None:
        return cached
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(_("流程版本不存在"))
    return parsed(version)


def parsed(version: ProcessVersion) -> ParsedVersion:
    """The spec of a version, parsed from its stored files once per process."""
    cached = _parsed.get(version.id)
    if cached is None:
        parser = SpiffBpmnParser()
        for name, source in sorted(version.files.items(), key=lambda item: not item[0].endswith(".dmn")):
            if name.endswith(".dmn"):  # decisions first: a business rule task looks its table up when parsed
                parser.add_dmn_str(source.encode("utf-8"), filename=name)
            else:
                parser.add_bpmn_str(source.encode("utf-8"), filename=name)
        cached = ParsedVersion(
            spec=parser.get_spec(version.process_id),
            subprocess_specs=parser.get_subprocess_specs(version.process_id),
            forms=version.forms,
        )
        _parsed[version.id] = cached
    return cached


_step_documentation: dict[tuple[int, str], str | None] = {}


def step_documentation(version_id: int, step: str) -> str | None:
    """What the model says of a user task (its documentation: the article and what it asks), in the version
    an instance runs; read once per process."""
    key = (version_id, step)
    if key not in _step_documentation:
        version = stored(ProcessVersion, version_id)
        _step_documentation[key] = next(
            (text for source in version.files.values() if (text := documentation_in(source, step))), None
        )
    return _step_documentation[key]
