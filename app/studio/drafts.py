"""Process models edited in the browser (the analyst studio, first part): an analyst opens the latest deployed
version of a process as a draft, saves it as often as wanted (each save kept), and sends it to the same
validation report as an upload, from which it is deployed with a comment; or discards it.

A draft belongs to one analyst; only its owner saves, checks or discards it. Nothing here commits: the entry
point does (except `check`, which files an upload, a use case of its own)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from lxml import etree

from app import clock
from app.access import require
from app.audit.writer import record
from app.engine import registry
from app.engine.language import MOMENT_LABELS
from app.engine.operations import describe_operations
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.org.models import User
from app.org.roles import ROLE_LABELS, Role
from app.studio import uploads
from app.studio.compare import KINDS
from app.studio.models import ModelDraft, ModelDraftRevision, ModelUpload

MAX_DRAFT_BYTES = uploads.MAX_FILE_BYTES


def open_draft(user: User, process_id: str, file_name: str | None = None) -> ModelDraft:
    """The analyst's open draft of `process_id`'s BPMN file (or of `file_name`, a decision table the process
    uses), or a new one from its latest deployed version."""
    require(user, "process.deploy")
    version = registry.latest_version(process_id)
    file_name = file_name or version.source_file
    if file_name not in version.files:
        raise NotFound(_("流程 %(p)s 的最新版本中没有文件 %(f)s", p=process_id, f=file_name))
    draft = db.session.scalar(
        db.select(ModelDraft).where(
            ModelDraft.process_id == process_id,
            ModelDraft.file_name == file_name,
            ModelDraft.owner_id == user.id,
            ModelDraft.status == "open",
        )
    )
    if draft is not None:
        return draft
    xml = version.files[file_name]  # one without a layout is laid out by the modeler, and saved with it
    now = clock.now()
    draft = ModelDraft(
        process_id=process_id,
        file_name=file_name,
        owner_id=user.id,
        base_version_id=version.id,
        status="open",
        xml=xml,
        created_at=now,
        updated_at=now,
    )
    draft.revisions.append(ModelDraftRevision(saved_at=now, xml=xml))
    db.session.add(draft)
    db.session.flush()
    record(
        "model_draft.opened",
        actor=user,
        object_type="model_draft",
        object_id=draft.id,
        data={
            "process_id": process_id,
            "file": file_name,
            "version": version.version,
            "without_layout": "BPMNShape" not in xml,
        },
    )
    return draft


def studio_vocabulary() -> dict[str, Any]:
    """What the properties panel offers: our roles, the forms, the registered operations and their parameters,
    the moments deadlines count from."""
    forms = set(uploads.deployed_sources()[1]) | {path.name for path in registry.FORMS_DIR.glob("*.json")}
    return {
        "roles": [{"value": role.value, "label": str(ROLE_LABELS[role])} for role in Role],
        "forms": sorted(forms),
        "operations": describe_operations(),
        "moments": [{"value": key, "label": label} for key, label in MOMENT_LABELS.items()],
        "kinds": KINDS,  # element types in Chinese, for the panel's heading
    }


def get_draft(user: User, draft_id: int) -> ModelDraft:
    """One of the analyst's open drafts (404 for another's or a discarded one)."""
    require(user, "process.deploy")
    draft = db.session.get(ModelDraft, draft_id)
    if draft is None or draft.owner_id != user.id or draft.status != "open":
        raise NotFound(_("草稿不存在"))
    return draft


def xml_problem(xml: str) -> str | None:
    """Why a saved text is not a BPMN file that can be kept: too long, not XML (with the line), no definitions."""
    if len(xml.encode("utf-8")) > MAX_DRAFT_BYTES:
        return _("模型超过 1 MB")
    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as err:
        return _("第 %(line)s 行 XML 格式错误：%(msg)s", line=err.lineno, msg=err.msg)
    if not root.tag.endswith("}definitions"):
        return _("不是 BPMN 文件（根元素应为 bpmn:definitions）")
    return None


def save_draft(user: User, draft_id: int, xml: str | None) -> ModelDraft:
    """Keep the edited model (a new revision when it changed); malformed XML is refused, naming the line."""
    draft = get_draft(user, draft_id)
    if not isinstance(xml, str) or not xml.strip():
        raise ValidationFailed(_("模型为空"), fields={"xml": _("模型为空")})
    problem = xml_problem(xml)
    if problem:
        raise ValidationFailed(_("草稿未保存"), fields={"xml": problem})
    if xml != draft.xml:
        now = clock.now()
        draft.xml, draft.updated_at = xml, now
        draft.revisions.append(ModelDraftRevision(saved_at=now, xml=xml))
        record(
            "model_draft.saved",
            actor=user,
            object_type="model_draft",
            object_id=draft.id,
            data={"process_id": draft.process_id, "revisions": len(draft.revisions)},
        )
    return draft


def restore_revision(user: User, draft_id: int, revision_id: int) -> ModelDraft:
    """Go back to an earlier save: its text becomes the draft's (as a new revision; nothing is lost)."""
    draft = get_draft(user, draft_id)
    revision = next((r for r in draft.revisions if r.id == revision_id), None)
    if revision is None:
        raise NotFound(_("草稿版本不存在"))
    if revision.xml != draft.xml:
        now = clock.now()
        draft.xml, draft.updated_at = revision.xml, now
        draft.revisions.append(ModelDraftRevision(saved_at=now, xml=revision.xml))
        record(
            "model_draft.restored",
            actor=user,
            object_type="model_draft",
            object_id=draft.id,
            data={"process_id": draft.process_id, "revision_id": revision_id},
        )
    return draft


def discard_draft(user: User, draft_id: int) -> ModelDraft:
    """Give up a draft (its revisions stay on record)."""
    draft = get_draft(user, draft_id)
    draft.status = "discarded"
    record(
        "model_draft.discarded",
        actor=user,
        object_type="model_draft",
        object_id=draft.id,
        data={"process_id": draft.process_id},
    )
    return draft


def check_draft(user: User, draft_id: int) -> ModelUpload:
    """Validate the draft together with the deployed models, as an upload: the report page deploys it."""
    draft = get_draft(user, draft_id)
    item = uploads.upload(user, [(draft.file_name, draft.xml.encode("utf-8"))])  # commits the upload
    draft.last_upload_id = item.id
    return item
