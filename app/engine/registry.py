"""Deployed process versions: deploy (content-hashed, immutable), list, and the parsed-spec cache."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import g
from flask_babel import gettext as _
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import func

from app import clock
from app.audit.writer import record
from app.engine.language import deadline_days_in
from app.engine.models import ProcessVersion
from app.engine.validation import ModelSet, Problem, check_models, closure, decision_files
from app.errors import NotFound
from app.extensions import db
from app.org.models import User

ROOT = Path(__file__).resolve().parent.parent.parent
BPMN_DIR = ROOT / "bpmn"
FORMS_DIR = ROOT / "forms"


@dataclass
class ParsedVersion:
    """A version's spec objects, parsed once per process and reused for every instance."""

    spec: object
    subprocess_specs: dict
    forms: dict


_parsed: dict[int, ParsedVersion] = {}


def model_files(paths: list[Path] | None = None, bpmn_dir: Path = BPMN_DIR) -> list[Path]:
    """The model files to check or deploy: the given ones, or every bpmn/*.bpmn and bpmn/*.dmn."""
    if paths:
        return [Path(p) for p in paths]
    return sorted([*bpmn_dir.glob("*.bpmn"), *bpmn_dir.glob("*.dmn")])


def validate(
    paths: list[Path] | None = None, *, bpmn_dir: Path = BPMN_DIR, forms_dir: Path = FORMS_DIR
) -> ModelSet:
    """Check models (see engine.validation); `problems` is empty when they may be deployed."""
    files = model_files(paths, bpmn_dir)
    models = check_models(files, forms_dir)
    if not files:
        models.problems.append(Problem(str(bpmn_dir), None, None, "没有找到 .bpmn 文件"))
    return models


@dataclass
class DeployResult:
    """What a deployment did."""

    created: list[ProcessVersion] = field(default_factory=list)
    # process ids that get (or, with dry_run, would get) a new version
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def deploy(
    paths: list[Path] | None = None,
    *,
    actor: User | None = None,
    comment: str = "",
    bpmn_dir: Path = BPMN_DIR,
    forms_dir: Path = FORMS_DIR,
    dry_run: bool = False,
) -> DeployResult:
    """Validate and deploy: a new immutable version of each process whose files or forms changed.
    With `dry_run`, only report which processes would change."""
    models = validate(paths, bpmn_dir=bpmn_dir, forms_dir=forms_dir)
    result = DeployResult(problems=models.problems or _callers_left_behind(models))
    if result.problems:
        return result
    for pid in models.executable:
        called = closure(models, pid)
        needed = sorted({models.process_files[p] for p in called} | decision_files(models, called))
        files = {name: models.sources[name] for name in needed}
        forms = {name: models.forms[name] for f in needed for name in sorted(models.forms_by_file.get(f, ()))}
        digest = hashlib.sha256(
            json.dumps({"files": files, "forms": forms}, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        latest = latest_version(pid, required=False)
        if latest is not None and latest.content_hash == digest:
            result.unchanged.append(pid)
            continue
        result.changed.append(pid)
        if dry_run:
            continue
        version = ProcessVersion(
            process_id=pid,
            version=(latest.version + 1) if latest else 1,
            name=models.process_names[pid],
            content_hash=digest,
            source_file=models.process_files[pid],
            files=files,
            forms=forms,
            deployed_at=clock.now(),
            deployed_by_id=actor.id if actor else None,
            deployed_by_name=actor.username if actor else "system",
            comment=comment,
        )
        db.session.add(version)
        db.session.flush()
        record(
            "process.deployed",
            actor=actor,
            object_type="process_version",
            object_id=version.id,
            data={"process_id": pid, "version": version.version, "comment": comment, "hash": digest},
        )
        result.created.append(version)
        g.pop("latest_version_ids", None)  # this request's step_deadline_days reads the new version
    if not dry_run:
        db.session.commit()
    return result


def _callers_left_behind(models: ModelSet) -> list[Problem]:
    """A deployed process keeps the copy of every process it calls that it was deployed with: deploying a
    called process without its callers would change nothing for new cases. Such a deployment is refused,
    naming the callers to deploy with it."""
    problems = []
    files_of = {models.process_files[pid]: pid for pid in models.process_files}
    for version in latest_versions():
        if version.process_id in models.process_files:
            continue
        called = sorted(files_of[name] for name in version.files if name in files_of)
        for pid in called:
            problems.append(
                Problem(
                    models.process_files[pid],
                    None,
                    pid,
                    _(
                        "已部署的流程 %(caller)s（%(file)s）调用本流程，只部署本文件不会对新案件生效："
                        "请与 %(file)s 一并部署，或在“流程模型”页上传（与已部署的模型合并校验）",
                        caller=version.process_id,
                        file=version.source_file,
                    ),
                )
            )
    return problems


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
        found = db.session.connection().execute(_LATEST, {"process_id": process_id}).first()
        latest[process_id] = found[0] if found else None
    if latest[process_id] is None:
        return None
    key = (latest[process_id], step)
    if key not in _step_days:
        version = db.session.get(ProcessVersion, latest[process_id])
        _step_days[key] = next(
            (
                days
                for source in version.files.values()
                if (days := deadline_days_in(source, step)) is not None
            ),
            None,
        )
    return _step_days[key]


def latest_version(process_id: str, *, required: bool = True) -> ProcessVersion | None:
    """The newest deployed version of a process."""
    version = db.session.scalar(
        db.select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )
    if version is None and required:
        raise NotFound(_("流程 %(pid)s 尚未部署", pid=process_id))
    return version


_LATEST = (
    db.select(ProcessVersion.id, ProcessVersion.version)
    .where(ProcessVersion.process_id == db.bindparam("process_id"))
    .order_by(ProcessVersion.version.desc())
    .limit(1)
)


def latest_version_key(process_id: str) -> tuple[int, int]:
    """(id, version number) of the newest deployed version of a process: what starting an instance needs,
    read without loading the version row (its spec comes from the parse cache by id)."""
    found = db.session.connection().execute(_LATEST, {"process_id": process_id}).first()
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
