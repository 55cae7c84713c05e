"""Applicant pages: apply from the catalog, my applications, the case page; authorizations with revocation."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import attachments, clock
from app.access import can, require
from app.audit.labels import ACTION_LABELS
from app.auth.forms import EmptyForm
from app.calendar.services import days_taken
from app.catalog.rules import requestable_items
from app.catalog.services import resource_by_code, withdrawn_items
from app.catalog.views import resource as catalog_resource_page
from app.db_types import row_id
from app.engine.diagram import instance_diagrams
from app.engine.models import ProcessInstance
from app.engine.queries import case_tasks
from app.engine.registry import step_deadline_days
from app.engine.timeline import case_timeline
from app.errors import NotFound, ServiceError, ValidationFailed
from app.extensions import db
from app.inbox.urging import urgings_of
from app.inbox.views import badge
from app.redirects import is_local_path
from app.sharing import demands, printing, queries, ratings, reuse, services
from app.sharing.disputes import TOPICS, disputes_for, get_dispute, position_data, raise_dispute
from app.sharing.models import (
    APPLICATION_STATUS_LABELS,
    DECISION_LABELS,
    DEMAND_STATUS_LABELS,
    ROUTE_LABELS,
    ApplicationLine,
    Objection,
    ShareApplication,
)
from app.sharing.objections import SERVE_NORMALLY, get_objection, objections_of, raise_objection
from app.sharing.offline import request_offline_exchange
from app.sharing.quality import raise_quality_issue

bp = Blueprint("sharing", __name__)


def _application(number: str) -> ShareApplication:
    return services.application_by_number(current_user, number)


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"}
    )


@bp.route("/applications/<number>/sheet.pdf")
@login_required
def sheet(number: str):
    """共享申请审批表 (PDF) for the file: the application, each answer, every step's decision and opinion."""
    return _pdf(printing.application_sheet(current_user, number), f"{number}-sheet.pdf")


@bp.route("/authorizations/<int:authorization_id>/certificate.pdf")
@login_required
def certificate(authorization_id: int):
    """授权书 (PDF) of one authorization."""
    return _pdf(
        printing.authorization_certificate(current_user, authorization_id),
        f"authorization-{authorization_id}.pdf",
    )


# The application list (申请清单): resources a clerk collects from the catalog to apply for in one application.
APPLY_LIST = "apply_list"
APPLY_LIST_MAX = 20


def apply_list() -> list[str]:
    """Codes on the signed-in clerk's application list (kept in the session)."""
    return list(session.get(APPLY_LIST, []))


@bp.route("/applications/list", methods=["GET", "POST"])
@login_required
def application_list():
    """The application list: add (from a resource page), remove, clear; apply for all of it at once."""
    require(current_user, "sharing.apply")
    codes = apply_list()
    if request.method == "POST" and EmptyForm().validate_on_submit():
        code, action = request.form.get("code", ""), request.form.get("action", "")
        if action == "add":
            resource = resource_by_code(code)
            if resource.current_version is None:
                raise NotFound(_("资源未发布"))
            if code in codes:
                flash(_("“%(n)s”已在申请清单中", n=resource.name), "info")
            elif len(codes) >= APPLY_LIST_MAX:
                flash(_("申请清单最多 %(n)d 个资源，请先提交申请", n=APPLY_LIST_MAX), "error")
            else:
                codes.append(code)
                flash(_("已将“%(n)s”加入申请清单（共 %(c)d 个）", n=resource.name, c=len(codes)), "success")
        elif action == "remove":
            codes = [c for c in codes if c != code]
        elif action == "clear":
            codes = []
        session[APPLY_LIST] = codes
        target = request.form.get("next") or ""
        if action == "add" and is_local_path(target):
            return redirect(target)
        return redirect(url_for("sharing.application_list"))
    resources = [resource_by_code(code) for code in codes]
    return render_template("sharing/apply_list.html", resources=resources)


@bp.route("/applications/new", methods=["GET", "POST"])
@login_required
def new():
    """Apply for resources (prefilled from the catalog, several `resource=` codes at once), apply again with
    a copy of an earlier application of the department (`?copy=SQ-…`), or renew an authorization
    (`?renew=<authorization id>`)."""
    require(current_user, "sharing.apply")
    today = clock.local_now().date()
    values = {"valid_from": today.isoformat(), "valid_to": (today + timedelta(days=364)).isoformat()}
    chosen: dict[str, list[str]] = {}  # items ticked per resource code; a resource not in it: all it allows
    kept: list = []  # files of an earlier try of this form, held for the clerk
    # The resource comes in the query string and again as a hidden field on POST: each code once.
    codes = list(dict.fromkeys(c for c in request.values.getlist("resource") if c))
    if request.method == "GET" and request.args.get("copy"):
        earlier = _application(request.args["copy"])
        require(current_user, "application.copy", earlier)
        codes = [line.resource.code for line in earlier.lines]
        chosen = {line.resource.code: list(line.items) for line in earlier.lines}
        values |= {key: getattr(earlier, key) for key in ("purpose", "reason", "business_system", "scope")}
    if request.method == "GET" and request.args.get("renew", "").isdigit():
        # 续期: a new application for the same resource, items, purpose, system and scope, from the day after
        # the old authorization ends (or today) for as long as it ran.
        earlier = services.renewal_of(current_user, int(request.args["renew"]))
        start = max(today, earlier.valid_to + timedelta(days=1))
        codes = [earlier.resource.code]
        chosen = {earlier.resource.code: list(earlier.items)}
        values = {key: getattr(earlier, key) for key in ("purpose", "business_system", "scope")} | {
            "reason": _(
                "续期：%(n)s 的授权（编号 %(i)d）于 %(d)s 到期。",
                n=earlier.line.application.number,
                i=earlier.id,
                d=earlier.valid_to.isoformat(),
            )
            + earlier.line.application.reason,
            "valid_from": start.isoformat(),
            "valid_to": (start + (earlier.valid_to - earlier.valid_from)).isoformat(),
        }
    if request.method == "GET" and request.args.get("demand"):
        # 一键申请 from a demand the data now answers (#33): its purpose, legal basis and system, filled in.
        asked = demands.get_demand(request.args["demand"])
        require(current_user, "demand.view", asked)
        values |= {
            "purpose": asked.purpose,
            "reason": _("依据：%(b)s（数据需求 %(n)s）", b=asked.legal_basis, n=asked.number),
            "business_system": asked.business_system,
        }
    if not codes:
        flash(_("请先在资源目录中选择要申请的资源"), "info")
        return redirect(url_for("catalog.browse"))
    resources = _requestable(codes)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = request.form
        chosen = {
            resource.code: request.form.getlist(f"items-{resource.code}") for resource, _v, _a in resources
        }
        data = {
            key: request.form.get(key, "")
            for key in (
                "purpose",
                "reason",
                "business_system",
                "scope",
                "valid_from",
                "valid_to",
                "necessity",
            )
        }
        data["resources"] = [
            {"code": resource.code, "items": request.form.getlist(f"items-{resource.code}")}
            for resource, _v, _a in resources
        ]
        uploads = attachments.uploads(request.files)
        kept = attachments.held(current_user.id, request.form.getlist("kept"))
        try:
            application = services.submit_application(current_user, data, uploads, kept)
        except ValidationFailed as exc:
            errors = exc.fields
            db.session.rollback()
            kept += attachments.hold(uploads, current_user.id)  # the files are kept for the corrected form
            db.session.commit()
        else:
            flash(
                _(
                    "申请已提交：%(n)s。共享平台将在%(d)s个工作日内完成规范性检查。",
                    n=application.number,
                    d=step_deadline_days("share_application", "normative_check") or "—",
                ),
                "success",
            )
            session[APPLY_LIST] = [c for c in apply_list() if c not in codes]  # applied for: off the list
            return redirect(url_for("sharing.case", number=application.number))
    return render_template(
        "sharing/new.html", resources=resources, values=values, errors=errors, chosen=chosen, kept=kept
    ), (422 if errors else 200)


def _requestable(codes: list[str]) -> list[tuple]:
    """(resource, version in force, items it lets be requested) for each code, as the application form lists
    them."""
    resources = []
    for code in codes:
        resource = resource_by_code(code)
        version = resource.current_version
        if version is None:
            raise NotFound(_("资源未发布"))
        allowed = {
            i["name"]
            for i in requestable_items(
                version.share_type or "",
                [{"name": i.name, "share_type": i.share_type} for i in version.items],
            )
        }
        resources.append((resource, version, allowed))
    return resources


@bp.route("/applications/<number>/revise", methods=["GET", "POST"])
@login_required
def revise(number: str):
    """补正 on the application form (§19): the returned application opens as it was submitted, with the
    operator's reasons first; the applicant changes resources, items, texts, period and files and submits the
    补正 step in one go (adding a resource by its code re-shows the form, nothing saved)."""
    application = _application(number)
    require(current_user, "application.revise", application)
    step = services.completion_step(application)
    files = attachments.of("application", application.id)
    errors: dict[str, str] = {}
    if request.method == "GET":
        codes = [line.resource.code for line in application.lines]
        chosen = {line.resource.code: list(line.items) for line in application.lines}
        values: dict = {key: getattr(application, key) for key in services.REVISABLE_TEXTS} | {
            "necessity": application.necessity or "",
            "valid_from": application.valid_from.isoformat(),
            "valid_to": application.valid_to.isoformat(),
        }
        keep = {f.id for f in files}
        return _revise_page(application, step, codes, chosen, values, errors, [], [], keep, files)
    codes = list(dict.fromkeys(c for c in request.form.getlist("resource") if c))
    chosen = {code: request.form.getlist(f"items-{code}") for code in codes}
    dropped = request.form.getlist("drop")
    keep = {int(i) for i in request.form.getlist("keep") if i.isdigit() and len(i) < 10}
    held = attachments.held(current_user.id, request.form.getlist("kept"))
    if request.form.get("add") is not None:  # 增加资源: shown on the form; saved with the 补正
        code = request.form.get("add_code", "").strip()
        try:
            resource_by_code(code)
        except NotFound:
            errors["add_code"] = _("资源代码 %(c)s 不存在", c=code[:64]) if code else _("请填写资源代码")
        else:
            codes = list(dict.fromkeys([*codes, code]))
        return _revise_page(
            application, step, codes, chosen, request.form, errors, dropped, held, keep, files
        ), (422 if errors else 200)
    data: dict = {key: request.form.get(key, "") for key in (*services.COMPLETION_FIELDS, "necessity")}
    data["resources"] = [{"code": c, "items": chosen[c]} for c in codes if c not in dropped]
    uploads = attachments.uploads(request.files)
    try:
        services.complete_revision(current_user, application, step.id, data, uploads, sorted(keep), held)
    except ValidationFailed as exc:
        errors = exc.fields
        db.session.rollback()
        held += attachments.hold(uploads, current_user.id)  # kept for the corrected form
        db.session.commit()
        return _revise_page(
            application, step, codes, chosen, request.form, errors, dropped, held, keep, files
        ), 422
    flash(_("补正已提交：%(n)s，共享平台将重新进行规范性检查。", n=number), "success")
    return redirect(url_for("sharing.case", number=number))


def _revise_page(application, step, codes, chosen, values, errors, dropped, held, keep, files) -> str:
    return render_template(
        "sharing/revise.html",
        application=application,
        step=step,
        resources=_requestable(codes),
        chosen=chosen,
        values=values,
        errors=errors,
        dropped=dropped,
        droppable=True,
        kept=held,
        keep=keep,
        files=files,
    )


@bp.route("/applications")
@login_required
def mine():
    """My department's applications."""
    return render_template(
        "sharing/mine.html", applications=services.applications_of(current_user.department_id)
    )


@bp.route("/applications/<number>")
@login_required
def case(number: str):
    """The case page: every resource's route and decision, open steps with deadlines, the timeline."""
    application = _application(number)
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.business_key == number))
    tasks = case_tasks(number)
    events = case_timeline(number) if instance is not None else []
    authorizations = services.authorizations_by_line(application)
    views = instance_diagrams(instance) if instance is not None else []
    urgings = urgings_of([t.id for t in tasks])
    return render_template(
        "sharing/case.html",
        application=application,
        tasks=tasks,
        events=events,
        views=views,
        labels=ACTION_LABELS,
        authorizations=authorizations,
        badge=badge,
        days_taken=days_taken,
        urgings=urgings,
        files=attachments.of("application", application.id),
    )


@bp.post("/applications/<number>/withdraw")
@login_required
def withdraw(number: str):
    """The applicant withdraws an application nothing of which has been decided, with a reason."""
    application = _application(number)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("sharing.case", number=number))
    try:
        services.withdraw_application(current_user, application, request.form.get("reason", ""))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(next(iter(exc.fields.values()), exc.message), "error")
    else:
        db.session.commit()
        flash(_("申请 %(n)s 已撤回", n=number), "success")
    return redirect(url_for("sharing.case", number=number))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """Download an attachment; only those who may see its case; never rendered inline."""
    item = db.session.get(attachments.Attachment, attachment_id)
    if item is None or item.owner_type != "application":
        raise NotFound(_("附件不存在"))
    application = db.session.get(ShareApplication, item.owner_id)
    require(current_user, "application.view", application)
    return attachments.file_response(item)


@bp.route("/authorizations")
@login_required
def authorizations():
    """Authorizations my department holds or granted, with validity and expiry warnings."""
    today = clock.local_now().date()
    items = services.authorizations_of(current_user.department_id)
    withdrawn = {a.id: withdrawn_items(a.resource) & ({"*"} | set(a.items)) for a in items}
    return render_template(
        "sharing/authorizations.html",
        items=items,
        today=today,
        soon=today + timedelta(days=30),
        withdrawn=withdrawn,
    )


@bp.post("/authorizations/<int:authorization_id>/revoke")
@login_required
def revoke(authorization_id: int):
    """Revoke an authorization with a reason."""
    authorization = services.get_authorization(authorization_id)
    try:
        services.revoke_authorization(current_user, authorization, request.form.get("reason", ""))
    except ServiceError as exc:
        flash(exc.fields.get("reason") or exc.message, "error")
    else:
        flash(_("授权已撤销"), "info")
    return redirect(url_for("sharing.authorizations"))


# The words of statuses, decisions and routes, one table for every page and printed document (sharing.models).
@bp.record_once
def _labels(state) -> None:
    state.app.jinja_env.globals.update(
        application_status_labels=APPLICATION_STATUS_LABELS,
        decision_labels=DECISION_LABELS,
        route_labels=ROUTE_LABELS,
    )


def can_apply() -> bool:
    """For templates: may the current user apply?"""
    return can(current_user, "sharing.apply")


@bp.route("/objections/new", methods=["GET", "POST"])
@login_required
def new_objection():
    """Raise an objection on data received under an authorization (§23)."""
    authorization = services.get_authorization(request.values.get("authorization"))
    require(current_user, "objection.raise", authorization)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = {
            "items": request.form.getlist("items"),
            "description": request.form.get("description", ""),
            "evidence": request.form.get("evidence", ""),
        }
        try:
            objection = raise_objection(current_user, authorization, data)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(_("异议已提交：%(n)s，提供部门将进行校核。", n=objection.number), "success")
            return redirect(url_for("sharing.objection", number=objection.number))
    return render_template(
        "sharing/objection_new.html", authorization=authorization, values=request.form, errors=errors
    ), (422 if errors else 200)


@bp.route("/objections")
@login_required
def objections():
    """Objections my department raised or must answer."""
    return render_template("sharing/objections.html", items=objections_of(current_user.department_id))


@bp.route("/objections/<number>")
@login_required
def objection(number: str):
    """One objection, with the §23 notice while verification runs."""
    item = get_objection(current_user, number)
    tasks = case_tasks(number)
    return render_template(
        "sharing/objection.html", objection=item, tasks=tasks, notice=SERVE_NORMALLY, badge=badge
    )


@bp.route("/demands")
@login_required
def demands_list():
    """供需对接 (#33): the demands my department raised or must answer, and (operators) those of my platform."""
    return render_template(
        "sharing/demands.html", items=demands.demands_for(current_user), labels=DEMAND_STATUS_LABELS
    )


@bp.route("/demands/new", methods=["GET", "POST"])
@login_required
def new_demand():
    """State data the department needs and cannot find in the catalog."""
    require(current_user, "demand.raise")
    values: dict = {"title": request.args.get("q", "")[:200]}
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        values = request.form
        try:
            demand = demands.submit_demand(current_user, request.form.to_dict())
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            flash(_("需求已提交：%(n)s。共享平台将找到掌握数据的部门。", n=demand.number), "success")
            return redirect(url_for("sharing.demand", number=demand.number))
    return render_template("sharing/new_demand.html", values=values, errors=errors, texts=demands.TEXTS), (
        422 if errors else 200
    )


@bp.route("/demands/<number>", methods=["GET", "POST"])
@login_required
def demand(number: str):
    """One demand: what is needed, who holds it, the answer, its steps; the holder links the published
    resource; the demanders apply in one click."""
    item = demands.get_demand(number)
    require(current_user, "demand.view", item)
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        try:
            demands.fulfil_demand(current_user, item, request.form.get("resource_code", ""))
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            flash(_("已关联资源，需求部门将收到通知"), "success")
            return redirect(url_for("sharing.demand", number=number))
    followed = item.merged_into or item
    return render_template(
        "sharing/demand.html",
        demand=item,
        followed=followed,
        merged=demands.merged_into(followed),
        tasks=case_tasks(number),
        labels=DEMAND_STATUS_LABELS,
        badge=badge,
        errors=errors,
        similar=demands.similar_resources(item) if item.status == "routing" else [],
    ), (422 if errors else 200)


@bp.post("/ratings/<path:code>")
@login_required
def rate(code: str):
    """共享评价 of a resource by a department that holds its authorization; a low score tells the platform (§17)."""
    resource = resource_by_code(code)
    if EmptyForm().validate_on_submit():
        try:
            rating = ratings.rate(current_user, resource, request.form.to_dict())
        except ValidationFailed as exc:
            db.session.rollback()
            return catalog_resource_page(code, rating_errors=exc.fields, rating_values=request.form), 422
        low = min(rating.timeliness, rating.accuracy, rating.completeness) <= ratings.LOW
        flash(
            _("已提交评价；评分较低，已通知共享平台核实（办法§17）") if low else _("已提交评价，谢谢"),
            "success",
        )
    return redirect(url_for("catalog.resource", code=code) + "#ratings")


@bp.route("/matters", methods=["GET", "POST"])
@login_required
def matters():
    """复用核验 (#33): my department's 政务服务事项 and the materials they ask for, mapped to catalog resources;
    import from Excel; mark a material no longer asked of people."""
    require(current_user, "matter.manage")
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        try:
            if request.form.get("material_id", "").isdigit():
                material = reuse.set_required(
                    current_user, int(request.form["material_id"][:9]), request.form.get("required") == "1"
                )
                flash(_("已更新：%(m)s", m=material.name), "success")
            else:
                upload = request.files.get("file")
                count = reuse.import_matters(current_user, upload.read() if upload else b"")
                flash(_("已导入 %(n)d 项材料", n=count), "success")
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            return redirect(url_for("sharing.matters"))
    return render_template(
        "sharing/matters.html",
        items=reuse.matters_of(current_user.department_id),
        columns=reuse.COLUMNS,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/disputes/new", methods=["GET", "POST"])
@login_required
def new_dispute():
    """Raise a dispute (§25) about an application line (?line=ID) or a disputed objection (?objection=NUMBER)."""
    line_id = row_id(request.values.get("line"))
    line = db.session.get(ApplicationLine, line_id) if line_id else None
    objection = None
    if request.values.get("objection"):
        objection = db.session.scalar(
            select(Objection).where(Objection.number == request.values["objection"])
        )
    if line is None and objection is None:
        raise NotFound(_("请从申请或异议页面发起协调"))
    # The page shows the case, the resource and the refusal reasons: only to the parties (§25).
    if line is not None:
        require(current_user, "dispute.raise", line)
    if objection is not None:
        require(current_user, "dispute.raise_objection", objection)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            dispute = raise_dispute(
                current_user,
                topic=request.form.get("topic", ""),
                description=request.form.get("description", ""),
                line=line,
                objection=objection,
            )
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            days = step_deadline_days("dispute", "position_applicant") or "—"
            flash(
                _("已提交协调：%(n)s。各方将在%(d)s个工作日内陈述意见。", n=dispute.number, d=days), "success"
            )
            return redirect(url_for("sharing.dispute", number=dispute.number))
    return render_template(
        "sharing/dispute_new.html",
        line=line,
        objection=objection,
        topics=TOPICS,
        values=request.form,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/disputes")
@login_required
def disputes():
    """Disputes my department is party to (all, for the leadership office and the provincial supervisor)."""
    return render_template("sharing/disputes.html", items=disputes_for(current_user), topics=TOPICS)


@bp.route("/disputes/<number>")
@login_required
def dispute(number: str):
    """The dossier: positions, negotiation record, timeline, decision."""
    item = get_dispute(current_user, number)
    tasks = case_tasks(number)
    return render_template(
        "sharing/dispute.html",
        dispute=item,
        positions=position_data(item),
        topics=TOPICS,
        tasks=tasks,
        badge=badge,
    )


@bp.route("/offline/new", methods=["GET", "POST"])
@login_required
def new_offline():
    """The provider asks to exchange data offline for an authorization (§16)."""
    authorization = services.get_authorization(request.values.get("authorization"))
    require(current_user, "offline.request", authorization)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            exchange = request_offline_exchange(
                current_user, authorization, request.form.get("method", ""), request.form.get("reason", "")
            )
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(_("已提交线下交换申请 %(n)s，待大数据管理机构审批。", n=exchange.number), "success")
            return redirect(url_for("sharing.supervision"))
    return render_template(
        "sharing/simple_form.html",
        title=_("申请线下交换（办法§16）"),
        intro=_("数据原则上通过共享平台在线提供；确需线下交换的，须经大数据管理机构同意。"),
        subject=f"{authorization.resource.name} → {authorization.applicant_department.name}",
        hidden={"authorization": authorization.id},
        values=request.form,
        errors=errors,
        fields=[("method", _("线下交换方式"), "text"), ("reason", _("不能在线提供的原因"), "textarea")],
    ), (422 if errors else 200)


@bp.route("/quality/new", methods=["GET", "POST"])
@login_required
def new_quality_issue():
    """The platform notifies a provider of bad data, or two providers of data that disagree (§17)."""
    resource = resource_by_code(request.values.get("resource", ""))
    require(current_user, "quality.raise", resource)
    errors: dict[str, str] = {}
    if request.method == "POST":
        other = None
        try:
            if request.form.get("other"):
                other = resource_by_code(request.form["other"].strip())
            issue = raise_quality_issue(current_user, resource, request.form.get("description", ""), other)
        except NotFound:
            errors = {"other": _("比对资源代码不存在")}
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(_("已通知提供部门：%(n)s", n=issue.number), "success")
            return redirect(url_for("sharing.supervision"))
    return render_template(
        "sharing/simple_form.html",
        title=_("数据质量问题（办法§17）"),
        intro=_("共享平台发现问题数据的，通知提供部门更正；多个部门数据不一致的，会同提供部门共同核实。"),
        subject=f"{resource.name}（{resource.provider.name}）",
        hidden={"resource": resource.code},
        values=request.form
        if request.method == "POST"
        else {"description": ratings.issue_text(request.args.get("rating"), resource) or ""},
        errors=errors,
        fields=[
            ("description", _("问题描述"), "textarea"),
            ("other", _("数据不一致的另一资源代码（可选）"), "text"),
        ],
    ), (422 if errors else 200)


@bp.route("/supervision")
@login_required
def supervision():
    """Offline exchange requests and data quality issues my department is involved in."""
    return render_template(
        "sharing/supervision.html",
        offline=queries.offline_exchanges_for(current_user),
        quality=queries.quality_issues_for(current_user),
    )
