"""The analyst studio's pages: process models (versions, diagrams), upload → validation report (版本对比,
期限试算, 路径试运行) → deploy with a comment, the modeler on drafts, migration of running cases, task forms."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import clock
from app.access import require
from app.auth.forms import EmptyForm
from app.engine import language, registry
from app.engine.diagram import DiagramView, process_sources, processes_in
from app.errors import NotFound, ServiceError, ValidationFailed
from app.extensions import db
from app.inbox.formdata import fields_of
from app.studio import drafts, form_editor, migration, uploads
from app.studio.compare import decision_tables

bp = Blueprint("studio", __name__, url_prefix="/admin")


@bp.route("/processes")
@login_required
def processes():
    """Each deployed process with its latest version; recent uploads."""
    require(current_user, "process.deploy")
    latest: dict[str, object] = {}
    counts: dict[str, int] = {}
    for version in registry.list_versions():
        latest.setdefault(version.process_id, version)
        counts[version.process_id] = counts.get(version.process_id, 0) + 1
    return render_template(
        "studio/processes.html",
        latest=latest,
        counts=counts,
        uploads=uploads.recent_uploads(),
        upcoming=registry.upcoming_versions(),
    )


@bp.route("/processes/<process_id>")
@login_required
def process(process_id: str):
    """A process: every version (who, when, why) and the diagram and forms of the chosen one (?v=N)."""
    require(current_user, "process.deploy")
    versions = registry.list_versions(process_id)
    if not versions:
        raise NotFound(_("流程不存在"))
    wanted = request.args.get("v", type=int)
    chosen = next((v for v in versions if v.version == wanted), versions[0])
    name, xml = process_sources(chosen)[process_id]
    views = [DiagramView(process_id, f"{name} v{chosen.version}", xml)]
    tables = {
        file: decision_tables(text) for file, text in sorted(chosen.files.items()) if file.endswith(".dmn")
    }
    older = len(migration.candidates(process_id, versions[0]))
    return render_template(
        "studio/process.html",
        process_id=process_id,
        versions=versions,
        chosen=chosen,
        views=views,
        older=older,
        tables=tables,
    )


@bp.route("/processes/<process_id>/migrate", methods=["GET", "POST"])
@login_required
def migrate(process_id: str):
    """Running cases of older versions: a dry run per case, then move the chosen ones (deadlines kept or
    recomputed, as the analyst chooses; a comment is recorded)."""
    form = EmptyForm()
    errors: dict[str, str] = {}
    results = None
    if form.validate_on_submit():
        chosen = [int(v) for v in request.form.getlist("instance") if v.isdigit()]
        try:
            results = migration.migrate(
                current_user,
                process_id,
                chosen,
                deadlines=request.form.get("deadlines", ""),
                comment=request.form.get("comment", "").strip(),
            )
        except ServiceError as exc:
            db.session.rollback()
            errors = exc.fields or {"instances": exc.message}
        else:
            db.session.commit()
            moved = [r for r in results if r.allowed]
            flash(
                _("已迁移 %(n)d 件案件到 v%(v)d", n=len(moved), v=results[0].to_version if results else 0),
                "success",
            )
    target = migration.target_version(process_id)
    plans = migration.dry_run(current_user, process_id)
    return render_template(
        "studio/migrate.html",
        process_id=process_id,
        target=target,
        plans=plans,
        form=form,
        errors=errors,
        results=results,
    ), 422 if errors else 200


@bp.route("/processes/upload", methods=["GET", "POST"])
@login_required
def upload():
    """Upload changed BPMN or form files; the validation report follows."""
    require(current_user, "process.deploy")
    form = EmptyForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        files = [(f.filename or "", f.read()) for f in request.files.getlist("files") if f.filename]
        try:
            item = uploads.upload(current_user, files)
        except ServiceError as exc:
            errors = exc.fields or {"files": exc.message}
        else:
            return redirect(url_for("studio.upload_report", upload_id=item.id))
    return render_template("studio/upload.html", form=form, errors=errors), 422 if errors else 200


@bp.route("/processes/uploads/<int:upload_id>", methods=["GET", "POST"])
@login_required
def upload_report(upload_id: int):
    """The validation report of an upload, its diagrams, and the deploy form (comment required)."""
    require(current_user, "process.deploy")
    item = uploads.get_upload(upload_id)
    form = EmptyForm()
    errors: dict[str, str] = {}
    effective = request.form.get("effective_on", "").strip()
    if form.validate_on_submit():
        day = _day(effective)
        try:
            if effective and day is None:
                raise ValidationFailed(
                    _("施行日期无效"), fields={"effective_on": _("请填写日期，如 2027-01-01")}
                )
            created = uploads.deploy_upload(upload_id, current_user, request.form.get("comment", ""), day)
        except ServiceError as exc:
            errors = exc.fields or {"comment": exc.message}
        else:
            names = "、".join(f"{v.process_id} v{v.version}" for v in created) or _("无变化")
            since = (
                _("%(d)s起新启动的案件使用新版本", d=day.isoformat())
                if day and day > clock.local_now().date()
                else _("新启动的案件使用新版本")
            )
            flash(
                _("已部署：%(names)s。%(since)s，办理中的案件保持原版本。", names=names, since=since),
                "success",
            )
            return redirect(url_for("studio.processes"))
    views: list[DiagramView] = []
    for name, text in item.files.items():
        if name.endswith(".bpmn"):
            wrong = {p["element_id"] for p in item.problems if p["file"] == name and p["element_id"]}
            views.extend(
                DiagramView(pid, f"{title}（{name}）", text, overdue=wrong)
                for pid, title in processes_in(text)
            )  # problem elements drawn in red
    changes = uploads.changes(item) if item.status != "deployed" else {}
    # 期限试算 on the 施行日期 when one is given: the deadlines of the old rule and the new side by side
    trial_day = _day(request.args.get("trial")) or _day(effective) or clock.local_now().date()
    trial = uploads.trial(item, trial_day) if item.status != "deployed" else []
    runs = (
        uploads.test_run(item, trial_day) if item.status == "validated" and request.args.get("run") else None
    )
    return render_template(
        "studio/upload_report.html",
        item=item,
        form=form,
        errors=errors,
        views=views,
        changes=changes,
        trial=trial,
        trial_day=trial_day,
        runs=runs,
        comment=request.form.get("comment", ""),
        effective=effective,
    ), 422 if errors else 200


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.route("/processes/<process_id>/edit")
@login_required
def edit_process(process_id: str):
    """The modeler (bpmn-js, from npm) on the analyst's draft of a process, opened from the latest version;
    `?file=x.dmn`: the decision table editor (dmn-js, from npm) on a table the process uses."""
    draft = drafts.open_draft(current_user, process_id, request.args.get("file") or None)
    db.session.commit()
    # dmn-js sizes the table's columns with style attributes: allowed on this page only (style-src-attr; style
    # elements and scripts stay our own files).
    g.csp_style_attributes = draft.file_name.endswith(".dmn")
    return render_template(
        "studio/modeler.html", draft=draft, form=EmptyForm(), studio=drafts.studio_vocabulary()
    )


TIMER_FORMS_LIMIT = 100


@bp.get("/timers")
@login_required
def timer_forms():
    """The timer expressions a model holds (`?e=…`, repeated) as the modeler edits them: the deadline inside
    (moment, N), a template to write it back, and whether it is a reminder. The model language is read by the
    server only (app/engine/language.py), never re-parsed in the browser."""
    require(current_user, "process.deploy")
    expressions = request.args.getlist("e")[:TIMER_FORMS_LIMIT]
    return jsonify({"timers": [language.timer_form(text[:2000]) for text in expressions]})


@bp.post("/drafts/<int:draft_id>")
@login_required
def save_draft(draft_id: int):
    """Save the edited model (JSON {"xml"}); answers the saved time and the number of revisions."""
    body = request.get_json(silent=True)
    draft = drafts.save_draft(current_user, draft_id, body.get("xml") if isinstance(body, dict) else None)
    db.session.commit()
    return jsonify({"saved_at": draft.updated_at.isoformat(), "revisions": len(draft.revisions)})


@bp.post("/drafts/<int:draft_id>/check")
@login_required
def check_draft(draft_id: int):
    """Validate the saved draft with the deployed models; the report offers to deploy it with a comment."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("studio.processes"))
    item = drafts.check_draft(current_user, draft_id)
    db.session.commit()
    return redirect(url_for("studio.upload_report", upload_id=item.id))


@bp.post("/drafts/<int:draft_id>/revisions/<int:revision_id>/restore")
@login_required
def restore_revision(draft_id: int, revision_id: int):
    """Make an earlier save the draft's text again; the editor opens on it."""
    draft = None
    if EmptyForm().validate_on_submit():
        draft = drafts.restore_revision(current_user, draft_id, revision_id)
        db.session.commit()
        flash(_("已恢复到所选的保存"), "info")
    draft = draft or drafts.get_draft(current_user, draft_id)
    return redirect(url_for("studio.edit_process", process_id=draft.process_id, file=_other_file(draft)))


def _other_file(draft) -> str | None:
    """The `file` argument of the editor for a draft (None for the process's own BPMN file)."""
    return draft.file_name if draft.file_name.endswith(".dmn") else None


@bp.post("/drafts/<int:draft_id>/discard")
@login_required
def discard_draft(draft_id: int):
    """Give up a draft."""
    if EmptyForm().validate_on_submit():
        draft = drafts.discard_draft(current_user, draft_id)
        db.session.commit()
        flash(_("已放弃 %(p)s 的草稿", p=draft.process_id), "info")
    return redirect(url_for("studio.processes"))


@bp.route("/forms")
@login_required
def forms():
    """The deployed task forms, each with the steps that use it, to edit without JSON."""
    require(current_user, "process.deploy")
    deployed = uploads.deployed_sources()[1]
    return render_template("studio/forms.html", forms={name: deployed[name] for name in sorted(deployed)})


@bp.route("/forms/<name>/edit", methods=["GET", "POST"])
@login_required
def edit_form(name: str):
    """The form editor: rows of fields (name, title, kind, required, options, hint), a preview as the task page
    renders it, and 校验 → the validation report (with the change in words), from which it deploys."""
    require(current_user, "process.deploy")
    deployed = uploads.deployed_sources()[1]
    if name not in deployed:
        raise NotFound(_("表单不存在"))
    form = EmptyForm()
    draft = form_editor.to_draft(deployed[name])
    errors: dict[str, str] = {}
    schema: dict | None = deployed[name]
    if form.validate_on_submit():
        draft = form_editor.from_post(request.form, draft.kept)
        schema, errors = form_editor.to_schema(draft)
        if not errors and schema is not None and request.form.get("action") == "check":
            item = uploads.upload(current_user, [(name, form_editor.dumps(schema).encode("utf-8"))])
            return redirect(url_for("studio.upload_report", upload_id=item.id))
    preview = fields_of(schema) if schema else []
    return render_template(
        "studio/form_editor.html",
        name=name,
        draft=draft,
        errors=errors,
        preview=preview,
        kinds=form_editor.KINDS,
        blank=form_editor.FieldRow(),
        kept=form_editor.dumps(draft.kept) if draft.kept else "",
    ), 422 if errors else 200
