"""The inbox: my tasks and my queue, the task page with its form and deadline, notifications."""

from __future__ import annotations

from urllib.parse import parse_qs

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import attachments
from app.access import follows_up, require
from app.auth.forms import EmptyForm
from app.calendar.services import status_of
from app.engine import runtime, store
from app.engine.forms import clean_form, validate_form
from app.engine.history import case_steps
from app.engine.models import HumanTask, ProcessInstance
from app.engine.registry import step_documentation
from app.errors import PermissionDenied, ServiceError, ValidationFailed
from app.extensions import db
from app.inbox import opinions, urging
from app.inbox.batch import batch_tasks, complete_batch
from app.inbox.formdata import fields_of, from_form
from app.inbox.listing import (
    DUE_FILTERS,
    SCOPES,
    SORTS,
    delete_filter,
    filter_query,
    following_departments,
    inbox,
    parse_filters,
    process_choices,
    save_filter,
    saved_filters,
    scope_counts,
    unread,
)
from app.inbox.opinions import complete_with_files
from app.inbox.summaries import describe, fuller, prefill
from app.notices.notifications import mark_all_read, mark_read, notifications_for, read_ids
from app.org.services import phrases_of
from app.redirects import is_local_path
from app.transactions import unit_of_work

bp = Blueprint("inbox", __name__)


def badge(task: HumanTask):
    """The deadline badge of a task, or None."""
    return status_of(task.due_date, task.deadline_provisional) if task.due_date else None


def case_summary(instance: ProcessInstance, data: dict) -> list[tuple[str, str, str | None]]:
    """(label, value, link) rows describing the case a task belongs to (`data`: the instance's data)."""
    link, rows = describe(instance.process_id, instance.business_key, data)
    return [
        (_("业务编号"), instance.business_key, link),
        (_("流程"), instance.process_version.name, None),
        *rows,
    ]


@bp.app_context_processor
def inject_counts():
    """Unread notifications and open tasks for the navigation bar (once per request)."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    if "nav_counts" not in g:
        g.nav_counts = {
            "unread": unread(current_user),
            "tasks": sum(scope_counts(current_user).values()),
        }
    return {"nav_counts": g.nav_counts}


@bp.route("/tasks")
@login_required
def tasks():
    """My tasks, my queue (claim), what I have done: filters, case-number search, paging; by due date."""
    counts = scope_counts(current_user)
    args = request.args.to_dict()
    if "scope" not in args:  # open on my own work, or on the queue when I hold nothing
        args["scope"] = "mine" if counts["mine"] or not counts["queue"] else "queue"
    scopes = {
        code: label for code, label in SCOPES.items() if code != "following" or follows_up(current_user)
    }
    filters = parse_filters(args)
    if filters.scope not in scopes:
        raise PermissionDenied(_("只有平台运营方和监督方可以查看在办案件"))
    return render_template(
        "inbox/tasks.html",
        page=inbox(current_user, filters),
        filters=filters,
        scopes=scopes,
        sorts=SORTS,
        departments=following_departments(current_user) if filters.scope == "following" else [],
        saved=saved_filters(current_user),
        current_query=filter_query(request.args),
        counts=counts,
        processes=process_choices(),
        due_filters=DUE_FILTERS,
        badge=badge,
        args=request.args,
    )


@bp.route("/tasks/<task_id>")
@login_required
def task(task_id: str):
    """One task: the case so far, the deadline and its basis, the form (prefilled from a saved draft, or from
    the case where the procedure asks for a correction of what was submitted)."""
    item = _visible_task(task_id)
    return _task_page(item, None, {})


def _visible_task(task_id: str) -> HumanTask:
    item = runtime.get_task(task_id)
    require(current_user, "task.view", item)
    return item


def _task_page(item: HumanTask, values, errors: dict[str, str], held: list | None = None) -> str:
    """The task page; `values` None: the saved draft or, without one, what the procedure prefills (the
    instance's data is decoded once, for the summary and the prefill)."""
    data = store.instance_data(item.instance)
    if values is None:
        values = item.draft or prefill(item.process_id, item.form, data)
    schema = runtime.task_form(item)
    return render_template(
        "inbox/task.html",
        task=item,
        summary=case_summary(item.instance, data),
        fuller=fuller(item.process_id, item.form, data) if item.status == "open" else None,
        steps=case_steps(item.business_key),
        basis=step_documentation(item.instance.process_version_id, item.spec_name),
        fields=fields_of(schema),
        schema=schema,
        badge=badge(item),
        values=values,
        errors=errors,
        urgings=urging.urgings_of([item.id]).get(item.id, []),
        phrases=phrases_of(current_user),
        kept=held or [],
    )


@bp.route("/tasks/files/<int:attachment_id>")
@login_required
def opinion_file(attachment_id: int):
    """Download a file given with a step's opinion (whoever sees a step of its case)."""
    return attachments.file_response(opinions.opinion_file(current_user, attachment_id))


@bp.post("/tasks/filters")
@login_required
def save_inbox_filter():
    """保存筛选: the current filter (the page's query string) under a name of the clerk's choosing."""
    args = parse_qs_flat(request.form.get("query", ""))
    if EmptyForm().validate_on_submit():
        try:
            save_filter(current_user, request.form.get("name", ""), args)
            flash(_("已保存筛选"), "success")
        except ValidationFailed as exc:
            flash(next(iter(exc.fields.values()), exc.message), "error")
    query = filter_query(args)  # back to the list, filtered by the filter's own keys only
    return redirect(url_for("inbox.tasks") + ("?" + query if query else ""))


@bp.post("/tasks/filters/<int:filter_id>/delete")
@login_required
def delete_inbox_filter(filter_id: int):
    """Remove a saved filter."""
    if EmptyForm().validate_on_submit():
        delete_filter(current_user, filter_id)
        flash(_("已删除筛选"), "info")
    return redirect(url_for("inbox.tasks"))


def parse_qs_flat(query: str) -> dict[str, str]:
    """A query string as {key: first value}."""
    return {key: values[0] for key, values in parse_qs(query[:1000]).items() if values}


@bp.post("/tasks/<task_id>/urge")
@login_required
def urge(task_id: str):
    """催办: urge an open task with a message (operators and supervisors over its department)."""
    if EmptyForm().validate_on_submit():
        try:
            urging.urge_task(task_id, current_user, request.form.get("message", ""))
            flash(_("已催办"), "success")
        except ServiceError as exc:
            flash(exc.fields.get("message") or exc.message, "error")
    back = request.form.get("next")  # 在办案件 urges from its list and returns to it
    return redirect(back if back and is_local_path(back) else url_for("inbox.task", task_id=task_id))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):
    """Claim a task from the queue."""
    try:
        runtime.claim_task(task_id, current_user)
        flash(_("已认领"), "success")
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str):
    """Put a task back in the queue."""
    try:
        runtime.unclaim_task(task_id, current_user)
        flash(_("已退回待认领"), "info")
    except ServiceError as exc:
        flash(exc.message, "error")
    return redirect(url_for("inbox.tasks"))


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete(task_id: str):
    """Submit the task's form; errors are shown on the fields and nothing is lost."""
    item = _visible_task(task_id)
    data = from_form(runtime.task_form(item), request.form)
    uploads = attachments.uploads(request.files)
    held = attachments.held(current_user.id, request.form.getlist("kept"))
    try:
        complete_with_files(task_id, current_user, data, uploads, held)
    except ValidationFailed as exc:
        db.session.rollback()
        held += attachments.hold(uploads, current_user.id)  # kept for the corrected form
        db.session.commit()
        return _task_page(item, request.form, exc.fields, held), 422
    flash(_("已办结：%(label)s", label=item.label), "success")
    return redirect(url_for("inbox.tasks"))


@bp.route("/tasks/batch", methods=["GET", "POST"])
@login_required
def batch():
    """批量办理: the chosen tasks of one step, one form for all; each completed in its own transaction and
    reported (done, changed by someone else, or why not)."""
    try:
        tasks, schema = batch_tasks(current_user, request.values.getlist("task"))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("inbox.tasks", scope="queue"))
    outcomes, values, errors = None, {}, {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        data = from_form(schema, request.form)
        errors = validate_form(schema, clean_form(data))
        if errors:
            values = request.form
        else:
            outcomes = complete_batch(current_user, tasks, data, transaction=unit_of_work)
    return render_template(
        "inbox/batch.html",
        tasks=tasks,
        fields=fields_of(schema),
        values=values,
        errors=errors,
        outcomes=outcomes,
        done=sum(1 for o in outcomes or [] if o.ok),
        phrases=phrases_of(current_user),
    ), 422 if errors else 200


@bp.post("/tasks/<task_id>/draft")
@login_required
def draft(task_id: str):
    """Save the form as it is, to finish later; nothing is validated but the field names."""
    item = _visible_task(task_id)
    properties = (runtime.task_form(item) or {}).get("properties", {})
    data = {
        name: (
            request.form.getlist(name) if prop.get("type") == "array" else request.form.get(name, "").strip()
        )
        for name, prop in properties.items()
    }
    try:
        runtime.save_draft(task_id, current_user, data)
    except ValidationFailed as exc:  # shown on the fields, with everything typed kept
        return _task_page(item, request.form, exc.fields), 422
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(_("草稿已保存"), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.route("/notifications")
@login_required
def notifications():
    """The user's notifications, newest first, unread ones marked (?unread=1: only those)."""
    unread_only = request.args.get("unread") == "1"
    items = notifications_for(current_user, unread_only=unread_only, limit=100)
    return render_template(
        "inbox/notifications.html",
        items=items,
        read=read_ids(current_user, [n.id for n in items]),
        unread_only=unread_only,
        unread=unread(current_user),
    )


@bp.post("/notifications/read-all")
@login_required
def read_all():
    """Mark every notification read."""
    form = EmptyForm()
    if form.validate_on_submit():
        flash(_("已将 %(n)d 条通知标为已读", n=mark_all_read(current_user)), "success")
    return redirect(url_for("inbox.notifications"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark one notification read and follow its link."""
    mark_read(current_user, notification_id)
    target = request.form.get("next") or ""
    if is_local_path(target):
        return redirect(target)
    return redirect(url_for("inbox.notifications"))
