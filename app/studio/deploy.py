"""Deploying models (the 流程分析员's act): validate bpmn/ and forms/ (or given files), store each changed process
as a new immutable, content-hashed version with the processes that call it, audited."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import g
from flask_babel import gettext as _

from app import clock
from app.audit.writer import record
from app.engine.models import ProcessVersion
from app.engine.registry import BPMN_DIR, FORMS_DIR, latest_versions, newest_version
from app.extensions import db
from app.org.models import User
from app.studio.validation import ModelSet, Problem, check_models, closure, decision_files


def model_files(paths: list[Path] | None = None, bpmn_dir: Path = BPMN_DIR) -> list[Path]:
    """The model files to check or deploy: the given ones, or every bpmn/*.bpmn and bpmn/*.dmn."""
    if paths:
        return [Path(p) for p in paths]
    return sorted([*bpmn_dir.glob("*.bpmn"), *bpmn_dir.glob("*.dmn")])


def validate(
    paths: list[Path] | None = None, *, bpmn_dir: Path = BPMN_DIR, forms_dir: Path = FORMS_DIR
) -> ModelSet:
    """Check models (see studio.validation); `problems` is empty when they may be deployed."""
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
    effective_on: date | None = None,
) -> DeployResult:
    """Validate and deploy: a new immutable version of each process whose files or forms changed.
    With `dry_run`, only report which processes would change. `effective_on` (施行日期, #34): cases started
    from that Beijing-time day on get the new versions; until then the versions in force keep starting them."""
    if effective_on is not None and effective_on <= clock.local_now().date():
        effective_on = None  # a day already come: in force at once
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
        latest = newest_version(pid)
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
            effective_on=effective_on,
        )
        db.session.add(version)
        db.session.flush()
        record(
            "process.deployed",
            actor=actor,
            object_type="process_version",
            object_id=version.id,
            data={
                "process_id": pid,
                "version": version.version,
                "comment": comment,
                "hash": digest,
                "effective_on": effective_on.isoformat() if effective_on else None,
            },
        )
        result.created.append(version)
        g.pop("latest_version_ids", None)  # this request's step_deadline_days reads the new version
    if not dry_run:
        db.session.flush()
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
