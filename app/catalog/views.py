"""Catalog pages: browse and search (applicants), my department's catalog (providers), review queue
(大数据管理机构), resource page, history, editing, data services, Excel import and export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from app import clock
from app.access import can, require, visible_department_ids
from app.auth.forms import EmptyForm
from app.catalog import excel, services, sources, watching
from app.catalog.models import Resource, ResourceStatus, WatchTarget
from app.catalog.vocab import (
    BASE_CATEGORIES,
    DATA_TYPES,
    FORMATS,
    ITEM_GRADES,
    LEGAL_BASIS_TYPES,
    OPEN_ATTRIBUTES,
    RESOURCE_CLASSES,
    SERVICE_METHODS,
    SHARE_METHODS,
    SHARE_TYPES,
    TOPICS,
    UPDATE_CYCLES,
    code_for,
    label,
)
from app.db_types import page_number, row_id
from app.errors import NotFound, ServiceError, ValidationFailed
from app.extensions import db
from app.org.models import Department
from app.redirects import is_local_path
from app.sharing import ratings

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

VOCAB = {
    "classes": RESOURCE_CLASSES,
    "base": BASE_CATEGORIES,
    "topics": TOPICS,
    "share_types": SHARE_TYPES,
    "methods": SHARE_METHODS,
    "formats": FORMATS,
    "cycles": UPDATE_CYCLES,
    "open": OPEN_ATTRIBUTES,
    "bases": LEGAL_BASIS_TYPES,
    "data_types": DATA_TYPES,
    "service_methods": SERVICE_METHODS,
}


@bp.app_template_filter("vocab")
def vocab_filter(code: str | None, name: str) -> str:
    """{{ resource.share_type|vocab('share_types') }} → 无条件共享."""
    return label(VOCAB[name], code)


@bp.app_template_filter("subcategory")
def subcategory_filter(code: str | None, resource_class: str) -> str:
    """The 子类 label of a base or topic resource."""
    if not code:
        return "—"
    return label(BASE_CATEGORIES if resource_class == "base" else TOPICS, code)


def _visible(code: str):
    resource = services.resource_by_code(code)
    if resource.status != ResourceStatus.PUBLISHED and not can(
        current_user, "catalog.view_unpublished", resource
    ):
        raise NotFound(_("资源不存在"))
    return resource


@bp.route("/")
@login_required
def browse():
    """Search and filter the published catalog."""
    args = request.args
    page = services.browse(
        query=args.get("q", ""),
        provider_id=row_id(args.get("provider")),
        resource_class=args.get("class") or None,
        share_type=args.get("share_type") or None,
        level=args.get("level") or None,
        update_cycle=args.get("update_cycle") or None,
        page=page_number(args.get("page")),
    )
    return render_template(
        "catalog/browse.html",
        page=page,
        args=args,
        provider_options=_provider_options(args.get("provider")),
        vocab=VOCAB,
    )


def _provider_options(chosen: str | None) -> Markup:
    """The provider filter's options, every department (a province has ~800): id and name only, joined here —
    a template loop over them, or Markup.format per option, cost more than the search itself (#30). Each name
    is escaped (markupsafe.escape); the id is an integer."""
    rows = db.session.execute(
        db.select(Department.id, Department.short_name).order_by(Department.level, Department.id)
    )
    return Markup(
        "".join(
            f'<option value="{int(department_id)}"{" selected" if str(department_id) == chosen else ""}>'
            f"{escape(name)}</option>"
            for department_id, name in rows
        )
    )


@bp.route("/resources/<path:code>")
@login_required
def resource(code: str, rating_errors: dict | None = None, rating_values=None):
    """One resource: metadata, items, services, its 共享评价, and what an applicant can do."""
    item = _visible(code)
    return render_template(
        "catalog/resource.html",
        resource=item,
        version=item.current_version or item.open_version,
        open_version=item.open_version if can(current_user, "catalog.view_unpublished", item) else None,
        direct=services.may_platform_authorize(item),
        vocab=VOCAB,
        watched=watching.watching(current_user, WatchTarget.RESOURCE, item.code),
        rating=ratings.summary(item),
        reviews=ratings.recent(item),
        may_rate=ratings.rating_authorization(current_user, item) is not None,
        scores=ratings.SCORES,
        rating_errors=rating_errors or {},
        rating_values=rating_values or {},
    )


@bp.route("/leads", methods=["GET", "POST"])
@login_required
def leads():
    """一数一源 (#34): the lead department of each base class and topic, named by the data bureau."""
    require(current_user, "catalog.leads")
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        try:
            if request.form.get("remove", "").isdigit():
                sources.remove_lead(current_user, int(request.form["remove"][:9]))
            else:
                department = request.form.get("department_id", "")
                resource_class, _sep, subcategory = request.form.get("category", "").partition(":")
                sources.set_lead(
                    current_user,
                    resource_class,
                    subcategory,
                    int(department) if department.isdigit() and len(department) < 10 else 0,
                )
        except ServiceError as exc:
            db.session.rollback()
            errors = exc.fields or {"subcategory": exc.message}
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("catalog.leads"))
    departments = db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.name)
    ).all()
    return render_template(
        "catalog/leads.html",
        leads=sources.leads(),
        classes=sources.LED_CLASSES,
        departments=departments,
        errors=errors,
    ), (422 if errors else 200)


@bp.route("/watching")
@login_required
def watches():
    """我的订阅 (#33): what I watch, and a resource class or a provider's catalog to add."""
    require(current_user, "catalog.watch")
    rows = [(w, *watching.describe(w)) for w in watching.watches_of(current_user)]
    providers = db.session.scalars(
        select(Department)
        .where(
            Department.id.in_(
                select(Resource.provider_department_id).where(Resource.status == ResourceStatus.PUBLISHED)
            )
        )
        .order_by(Department.name)
    ).all()
    return render_template(
        "catalog/watching.html",
        rows=rows,
        classes=RESOURCE_CLASSES,
        providers=providers,
        labels=watching.TARGET_LABELS,
    )


@bp.post("/watching")
@login_required
def watch_toggle():
    """Watch a target, or stop (with `watch_id`); back to where the form was."""
    if EmptyForm().validate_on_submit():
        try:
            if request.form.get("watch_id", "").isdigit():
                watching.unwatch(current_user, int(request.form["watch_id"][:9]))
                flash(_("已取消订阅"), "info")
            else:
                watching.watch(
                    current_user, request.form.get("target_type", ""), request.form.get("target", "")
                )
                flash(_("已订阅：发布新版本、撤销、服务中断或数据未按时更新时通知您"), "success")
        except ServiceError as exc:
            db.session.rollback()
            flash(next(iter(exc.fields.values()), exc.message), "error")
    back = request.form.get("next", "")
    return redirect(back if is_local_path(back) else url_for("catalog.watches"))


@bp.route("/resources/<path:code>/history")
@login_required
def history(code: str):
    """Every version with who and when, and field-by-field changes."""
    item = _visible(code)
    require(current_user, "catalog.view_unpublished", item)
    return render_template("catalog/history.html", resource=item, history=services.history(item))


@bp.route("/mine")
@login_required
def mine():
    """My department's catalog in every state."""
    return render_template(
        "catalog/mine.html", resources=services.department_catalog(current_user.department_id), vocab=VOCAB
    )


def _form_data(form) -> tuple[dict[str, Any], list[str]]:
    items, problems = [], []
    for number, line in enumerate((form.get("items") or "").splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not any(parts):
            continue
        while len(parts) < 6:
            parts.append("")
        name, data_type, length, share, grade, sensitive = parts[:6]
        item = {
            "name": name,
            "data_type": code_for(DATA_TYPES, data_type) or data_type,
            "length": int(length) if length.isdigit() else (length or None),
            "share_type": code_for(SHARE_TYPES, share) if share else None,
            "grade": (code_for(ITEM_GRADES, grade) or grade) if grade else "general",
            "sensitive": sensitive in ("敏感", "敏感个人信息", "是"),
        }
        if sensitive and sensitive not in ("敏感", "敏感个人信息", "是", "否"):
            problems.append(f"第{number}行第6项应为“敏感”或留空")
        if length and not length.isdigit():
            problems.append(f"第{number}行长度“{length}”不是整数")
            item["length"] = None
        items.append(item)
    data = {
        key: form.get(key) or None
        for key in (
            "resource_class",
            "subcategory",
            "name",
            "summary",
            "format",
            "share_type",
            "share_conditions",
            "share_method",
            "usage_requirements",
            "open_attribute",
            "update_cycle",
            "published_on",
            "related_codes",
            "legal_basis_type",
            "legal_basis",
        )
    }
    data["items"] = items
    return data, problems


def _items_text(version) -> str:
    if version is None:
        return ""
    return "\n".join(
        ",".join(
            [
                i.name,
                label(DATA_TYPES, i.data_type),
                str(i.length or ""),
                label(SHARE_TYPES, i.share_type) if i.share_type else "",
                label(ITEM_GRADES, i.grade) if i.grade != "general" else "",
                "敏感" if i.sensitive else "",
            ]
        ).rstrip(",")
        for i in version.items
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Create a draft resource for my department."""
    require(current_user, "catalog.create", current_user.department)
    errors, values = {}, request.form
    if request.method == "POST":
        data, problems = _form_data(request.form)
        try:
            if problems:
                raise ValidationFailed(_("资源信息有误"), fields={"items": "；".join(problems)})
            created = services.create_resource(current_user, data)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(_("已保存草稿 %(code)s。检查无误后提交审核。", code=created.code), "success")
            return redirect(url_for("catalog.resource", code=created.code))
    return render_template(
        "catalog/edit.html",
        resource=None,
        values=values,
        errors=errors,
        vocab=VOCAB,
        items_text=values.get("items", ""),
    ), (422 if errors else 200)


@bp.route("/resources/<path:code>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str):
    """Edit the draft, or start a new version of a published resource."""
    item = services.resource_by_code(code)
    require(current_user, "catalog.edit", item)
    version = item.open_version or item.current_version
    errors: dict[str, str] = {}
    values = request.form if request.method == "POST" else (services.version_data(version) if version else {})
    if request.method == "POST":
        data, problems = _form_data(request.form)
        try:
            if problems:
                raise ValidationFailed(_("资源信息有误"), fields={"items": "；".join(problems)})
            services.edit_resource(current_user, item, data)
        except ValidationFailed as exc:
            errors = exc.fields
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("catalog.resource", code=code))
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("catalog.resource", code=code))
    items_text = request.form.get("items", "") if request.method == "POST" else _items_text(version)
    return render_template(
        "catalog/edit.html", resource=item, values=values, errors=errors, vocab=VOCAB, items_text=items_text
    ), (422 if errors else 200)


@bp.post("/resources/<path:code>/submit")
@login_required
def submit(code: str):
    """Submit the draft for review."""
    item = services.resource_by_code(code)
    try:
        services.submit_for_review(current_user, item)
    except ValidationFailed as exc:
        flash(_("不能提交：") + "；".join(exc.fields.values()), "error")
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("已提交大数据管理机构审核"), "success")
    return redirect(url_for("catalog.resource", code=code))


@bp.post("/resources/<path:code>/withdraw")
@login_required
def withdraw(code: str):
    """Withdraw a resource with a reason."""
    item = services.resource_by_code(code)
    try:
        services.withdraw_resource(current_user, item, request.form.get("reason", ""))
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.fields.get("reason") or exc.message, "error")
    else:
        db.session.commit()
        flash(_("资源已撤销；持有授权的部门已收到通知"), "info")
    return redirect(url_for("catalog.resource", code=code))


@bp.route("/resources/<path:code>/services/new", methods=["GET", "POST"])
@login_required
def new_service(code: str):
    """Register a data service (§11); one parameter per line: 名称,说明,管控(是/否)."""
    item = services.resource_by_code(code)
    require(current_user, "catalog.edit", item)
    errors: dict[str, str] = {}
    if request.method == "POST":
        params = []
        for line in (request.form.get("parameters") or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if parts and parts[0]:
                controlled = len(parts) > 2 and parts[2] in ("是", "管控", "true", "yes", "1")
                params.append(
                    {
                        "name": parts[0],
                        "description": parts[1] if len(parts) > 1 else "",
                        "controlled": controlled,
                    }
                )
        data = {key: request.form.get(key) for key in ("name", "method", "endpoint", "description")} | {
            "parameters": params
        }
        try:
            services.register_service(current_user, item, data)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash(_("数据服务已登记"), "success")
            return redirect(url_for("catalog.resource", code=code))
    return render_template(
        "catalog/service.html", resource=item, values=request.form, errors=errors, vocab=VOCAB
    ), (422 if errors else 200)


@bp.route("/review")
@login_required
def review():
    """Catalog versions waiting for review."""
    require(current_user, "catalog.review_queue")
    return render_template(
        "catalog/review.html", versions=services.review_queue(visible_department_ids(current_user))
    )


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_():
    """Import an .xlsx catalog: every row checked, nothing imported when any row is wrong."""
    require(current_user, "catalog.import")
    errors: list = []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors = [_("请选择 .xlsx 文件")]
        else:
            try:
                created = excel.import_workbook(
                    upload.read(), current_user, publish=bool(request.form.get("publish"))
                )
            except excel.ImportFailed as exc:
                errors = [str(e) for e in exc.errors]
            else:
                flash(_("已导入 %(n)d 个资源", n=len(created)), "success")
                return redirect(url_for("catalog.mine"))
    return render_template("catalog/import.html", errors=errors), (422 if errors else 200)


@bp.route("/export.xlsx")
@login_required
def export():
    """Download the published catalog (?mine=1: my department's) as .xlsx."""
    department = current_user.department_id if request.args.get("mine") else None
    content = excel.export_workbook(excel.resources_for_export(department))
    stamp = clock.local_now().strftime("%Y%m%d")
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=catalog-{stamp}.xlsx"},
    )
