"""The web face of `govshare bpmn validate / deploy`: an analyst uploads changed BPMN or form files, reads the
validation report, then deploys them with a comment. Uploaded files are checked together with the latest
deployed version of every other model, so a changed form or called process is validated where it is used."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select

from app import clock
from app.audit.writer import record
from app.clock import SHANGHAI
from app.engine import registry, store
from app.engine.models import ProcessInstance, ProcessVersion
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.org.models import User
from app.studio import compare, simulation
from app.studio import deploy as deploy_module
from app.studio import trial as trial_module
from app.studio.models import ModelUpload
from app.studio.validation import ModelSet

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 20
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.(bpmn|dmn|json)$")


def check_files(files: list[tuple[str, bytes]]) -> dict[str, str]:
    """Names and contents an upload may hold: .bpmn, .dmn or .json, plain names, UTF-8, at most 1 MB each."""
    if not files:
        raise ValidationFailed(
            _("请选择要上传的文件"), fields={"files": _("请选择 .bpmn、.dmn 或 .json 文件")}
        )
    if len(files) > MAX_FILES:
        raise ValidationFailed(_("文件过多"), fields={"files": _("一次最多上传 %(n)d 个文件", n=MAX_FILES)})
    checked: dict[str, str] = {}
    for name, content in files:
        if not SAFE_NAME.match(name):
            raise ValidationFailed(
                _("文件名不符合要求"),
                fields={
                    "files": _(
                        "%(name)s：文件名只能含字母、数字、下划线、点和连字符，扩展名为 .bpmn、.dmn 或 .json",
                        name=name,
                    )
                },
            )
        if len(content) > MAX_FILE_BYTES:
            raise ValidationFailed(_("文件过大"), fields={"files": _("%(name)s 超过 1 MB", name=name)})
        if b"\x00" in content:
            raise ValidationFailed(
                _("文件内容有误"), fields={"files": _("%(name)s 含有空字符，不是文本文件", name=name)}
            )
        try:
            checked[name] = content.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed(
                _("文件编码有误"), fields={"files": _("%(name)s 不是 UTF-8 文本", name=name)}
            ) from None
    return checked


@contextmanager
def workspace(files: dict[str, str]) -> Iterator[tuple[list[Path], Path]]:
    """A temporary bpmn/ and forms/ pair: the latest deployed models with the uploaded files laid over them."""
    with tempfile.TemporaryDirectory(prefix="govshare-models-") as tmp:
        bpmn_dir, forms_dir = Path(tmp, "bpmn"), Path(tmp, "forms")
        bpmn_dir.mkdir()
        forms_dir.mkdir()
        for version in registry.latest_versions():
            for name, text in version.files.items():
                (bpmn_dir / name).write_text(text, encoding="utf-8")
            for name, schema in version.forms.items():
                (forms_dir / name).write_text(
                    json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8"
                )
        for name, text in files.items():
            (forms_dir / name if name.endswith(".json") else bpmn_dir / name).write_text(
                text, encoding="utf-8"
            )
        yield deploy_module.model_files(bpmn_dir=bpmn_dir), forms_dir


def upload(user: User, files: list[tuple[str, bytes]]) -> ModelUpload:
    """Keep the files and their validation report (what is wrong, or which processes would change)."""
    checked = check_files(files)
    with workspace(checked) as (paths, forms_dir):
        result = deploy_module.deploy(paths, forms_dir=forms_dir, dry_run=True)
    item = ModelUpload(
        uploaded_by_id=user.id,
        uploaded_at=clock.now(),
        files=checked,
        problems=[
            {"file": Path(p.file).name, "line": p.line, "element_id": p.element_id, "message": p.message}
            for p in result.problems
        ],
        changed=result.changed,
        status="rejected" if result.problems else "validated",
    )
    db.session.add(item)
    db.session.flush()
    record(
        "models.uploaded",
        actor=user,
        object_type="model_upload",
        object_id=item.id,
        data={"files": sorted(checked), "problems": len(result.problems), "changed": result.changed},
    )
    db.session.flush()
    return item


def _read(paths: list[Path]) -> list[tuple[str, bytes]]:
    files = []
    for path in paths:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as err:
            raise ValidationFailed(_("文件无法读取"), fields={"files": f"{path}: {err.strerror}"}) from None
    return files


def validate_files(paths: list[Path]) -> ModelSet:
    """Check the given files laid over the latest deployed models, as `deploy FILE…` and an upload do: a
    business rule task finds its deployed decision table, a call activity its deployed process."""
    with workspace(check_files(_read(paths))) as (bpmn_paths, forms_dir):
        return deploy_module.validate(bpmn_paths, forms_dir=forms_dir)


def deploy_files(
    paths: list[Path], user: User | None, comment: str, effective_on: date | None = None
) -> deploy_module.DeployResult:
    """Deploy the given .bpmn and .json files laid over the latest deployed models, as an upload is: a
    changed called process gets deployed with its callers (`govshare bpmn deploy FILE…`)."""
    with workspace(check_files(_read(paths))) as (bpmn_paths, forms_dir):
        return deploy_module.deploy(
            bpmn_paths, forms_dir=forms_dir, actor=user, comment=comment, effective_on=effective_on
        )


def get_upload(upload_id: int) -> ModelUpload:
    """An upload by id (404 if there is none)."""
    item = db.session.get(ModelUpload, upload_id)
    if item is None:
        raise NotFound(_("上传记录不存在"))
    return item


def deploy_upload(
    upload_id: int, user: User, comment: str, effective_on: date | None = None
) -> list[ProcessVersion]:
    """Deploy a validated upload with the analyst's comment; checked again against what is deployed now."""
    item = get_upload(upload_id)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            _("请说明本次变更"), fields={"comment": _("请填写部署说明（变更了什么、依据是什么）")}
        )
    if item.status != "validated":
        raise Conflict(_("该上传未通过校验或已部署，不能部署"))
    with workspace(item.files) as (paths, forms_dir):
        result = deploy_module.deploy(
            paths, forms_dir=forms_dir, actor=user, comment=comment[:2000], effective_on=effective_on
        )
    if result.problems:  # the deployed models changed since the upload was checked
        raise Conflict(_("模型在上传后已有变化，请重新上传校验"))
    item.status = "deployed"
    item.comment = comment[:2000]
    item.deployed_at = clock.now()
    item.deployed_versions = [f"{v.process_id} v{v.version}" for v in result.created]
    db.session.flush()
    return result.created


def deployed_sources() -> tuple[dict[str, str], dict[str, dict]]:
    """The deployed BPMN files and forms by file name (of every process's latest version)."""
    deployed: dict[str, str] = {}
    forms: dict[str, dict] = {}
    for version in registry.latest_versions():
        deployed.update(version.files)
        forms.update(version.forms)
    return deployed, forms


def trial(item: ModelUpload, start_day: date) -> list[trial_module.TrialRow]:
    """期限试算 of an upload's BPMN files against the deployed ones."""
    return trial_module.deadline_trial(item.files, deployed_sources()[0], start_day)


@dataclass
class CaseRun:
    """A test run of one changed process from one case's start data."""

    process_id: str
    business_key: str
    paths: list[simulation.SimPath]
    complete: bool


def test_run(item: ModelUpload, start_day: date, samples: int = 2) -> list[CaseRun]:
    """路径试运行 of each process the upload changes, from the start data of its latest cases (the demo's cases
    on a demo installation), on `start_day` 10:00 Beijing time."""
    start = datetime.combine(start_day, time(10, 0), tzinfo=SHANGHAI)
    runs: list[CaseRun] = []
    with workspace(item.files) as (paths, forms_dir):
        for process_id in item.changed or []:
            rows = db.session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.process_id == process_id)
                .order_by(ProcessInstance.id.desc())
                .limit(samples)
            ).all()
            for row in rows:
                found, complete = simulation.run_paths(
                    paths, forms_dir, process_id, store.start_data(row), start
                )
                runs.append(CaseRun(process_id, row.business_key, found, complete))
    return runs


def changes(item: ModelUpload) -> dict[str, list[compare.Change]]:
    """Each uploaded file's changes against the deployed file of the same name, in words (版本对比)."""
    deployed, forms = deployed_sources()
    result: dict[str, list[compare.Change]] = {}
    for name, text in sorted(item.files.items()):
        try:
            if name.endswith(".bpmn"):
                result[name] = compare.describe(deployed[name], text) if name in deployed else []
            elif name.endswith(".dmn"):
                result[name] = compare.describe_decisions(deployed.get(name), text)
            else:
                result[name] = compare.describe_form(forms.get(name), json.loads(text))
        except (ValueError, etree.XMLSyntaxError):  # a malformed file: the validation report says why
            result[name] = []
    return result


def recent_uploads(limit: int = 20) -> list[ModelUpload]:
    """The latest uploads, newest first."""
    return list(db.session.scalars(select(ModelUpload).order_by(ModelUpload.id.desc()).limit(limit)))
