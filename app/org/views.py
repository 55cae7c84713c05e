"""Department and user pages."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import require
from app.auth.credentials import decide_reset, issue_code, pending_approvals
from app.auth.forms import EmptyForm
from app.catalog.models import DutyChange
from app.catalog.upkeep import record_duty_change
from app.db_types import row_id
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.org.models import Department, User
from app.org.roles import SEPARATED_DUTIES, Role
from app.org.services import (
    create_user,
    list_users,
    revoke_token_of,
    set_roles,
    update_user,
    visible_departments,
)
from app.supervision.models import FAILINGS
from app.supervision.rectification import rectifications_for

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.route("/departments")
@login_required
def departments():
    """The departments the user may see."""
    return render_template("org/departments.html", departments=visible_departments(current_user))


@bp.route("/departments/<int:department_id>")
@login_required
def department(department_id: int):
    """One department: its platform and its people."""
    dept = db.session.get(Department, department_id)
    if dept is None:
        raise NotFound("部门不存在")
    require(current_user, "department.view", dept)

    items = rectifications_for(current_user, dept.id)  # §31: visible on the department's page
    changes = list(
        db.session.scalars(
            db.select(DutyChange)
            .where(DutyChange.department_id == dept.id)
            .order_by(DutyChange.id.desc())
            .limit(20)
        )
    )
    return render_template(
        "org/department.html",
        dept=dept,
        rectifications=items,
        failings=FAILINGS,
        changes=changes,
        form=EmptyForm(),
    )


@bp.post("/departments/<int:department_id>/duty-changes")
@login_required
def duty_change(department_id: int):
    """Record a change of law or duties (§6): the catalog update clock starts."""
    dept = db.session.get(Department, department_id)
    if dept is None:
        raise NotFound("部门不存在")
    if EmptyForm().validate_on_submit():
        try:
            change = record_duty_change(current_user, dept, request.form.get("description", ""))
        except ValidationFailed as exc:
            flash(exc.fields.get("description", exc.message), "error")
        else:
            flash(_("已登记 %(n)s：请在规定时限内更新本部门的资源目录", n=change.number), "success")
    return redirect(url_for("org.department", department_id=department_id) + "#duty-changes")


@bp.route("/users")
@login_required
def users():
    """All users: the 系统管理员 edits accounts, the 安全保密管理员 their roles and tokens."""
    require(current_user, "user.list")
    return render_template("org/users.html", users=list_users())


def _user_form(user: User | None, errors: dict[str, str], status: int = 200):
    departments = db.session.scalars(
        db.select(Department).where(Department.active.is_(True)).order_by(Department.level, Department.id)
    )
    return render_template(
        "org/user_form.html",
        user=user,
        roles=list(Role),
        departments=list(departments),
        errors=errors,
        values=request.form,
        form=EmptyForm(),
        separated=SEPARATED_DUTIES,
    ), status


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user():
    """Open an account in a department (the 系统管理员); the person sets the password with an enrolment code."""
    require(current_user, "user.manage")
    if request.method == "POST" and EmptyForm().validate_on_submit():
        if request.form.get("password"):
            return _user_form(None, {"password": _("不能替他人设置密码：保存后签发启用码，由本人设置")}, 422)
        try:
            created = create_user(
                username=request.form.get("username", ""),
                display_name=request.form.get("display_name", ""),
                department_code=request.form.get("department", ""),
                roles=request.form.getlist("roles"),
                password=None,
                actor=current_user,
            )
            row, code = issue_code(created, current_user)
        except ValidationFailed as exc:
            return _user_form(None, exc.fields, 422)
        db.session.commit()
        flash(_("已新建用户 %(u)s；角色由安全保密管理员分配", u=created.username), "success")
        return _shown_once(row, code)
    return _user_form(None, {})


def _shown_once(row, code: str):
    """The enrolment code's page: shown once, never cached."""
    response = make_response(render_template("org/enrolment_code.html", row=row, code=code))
    response.headers["Cache-Control"] = "no-store"
    return response


def _user_or_404(user_id: str) -> User:
    user_key = row_id(user_id)
    user = db.session.get(User, user_key) if user_key else None
    if user is None:
        raise NotFound(_("用户不存在"))
    return user


@bp.route("/users/<user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: str):
    """Change a user's name, department, status or password (the 系统管理员); open sessions end on change."""
    require(current_user, "user.manage")
    user = _user_or_404(user_id)
    if request.method == "POST" and EmptyForm().validate_on_submit():
        try:
            update_user(
                user,
                display_name=request.form.get("display_name", ""),
                department_code=request.form.get("department", ""),
                active=request.form.get("active") == "1",
                actor=current_user,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            return _user_form(user, exc.fields, 422)
        db.session.commit()
        flash(_("已保存用户 %(u)s", u=user.username), "success")
        return redirect(url_for("org.users"))
    return _user_form(user, {})


@bp.post("/users/<user_id>/enrolment-code")
@login_required
def issue_enrolment_code(user_id: str):
    """Reset a password: a one-time enrolment code for the person (the 系统管理员; never for oneself; for the
    three administrators' accounts it works once a second person of another duty approves)."""
    require(current_user, "user.manage")
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("org.edit_user", user_id=user.id))
    try:
        row, code = issue_code(user, current_user)
    except PermissionDenied:
        db.session.commit()  # the refused attempt's audit row
        raise
    db.session.commit()
    return _shown_once(row, code)


@bp.route("/enrolment-codes", methods=["GET"])
@login_required
def enrolment_approvals():
    """Password resets of the three administrators' accounts waiting for a second person."""
    if not current_user.has_role(Role.SECURITY_ADMIN, Role.AUDITOR, Role.ADMIN):
        raise PermissionDenied(_("无权审批启用码"))
    return render_template("org/enrolment_approvals.html", rows=pending_approvals(current_user))


@bp.post("/enrolment-codes/<int:code_id>")
@login_required
def decide_enrolment_code(code_id: int):
    """Approve or reject a reset (a second person of another duty)."""
    if EmptyForm().validate_on_submit():
        approve = request.form.get("decision") == "approve"
        try:
            decide_reset(code_id, current_user, approve)
        except PermissionDenied:
            db.session.commit()  # the refused attempt's audit row
            raise
        db.session.commit()
        flash(_("已批准：启用码现在可以使用") if approve else _("已驳回：启用码作废"), "success")
    return redirect(url_for("org.enrolment_approvals"))


@bp.route("/users/<user_id>/roles", methods=["GET", "POST"])
@login_required
def user_roles(user_id: str):
    """A user's roles and API tokens (the 安全保密管理员, 三员分立): roles given, tokens revoked, all audited."""
    require(current_user, "user.roles")
    user = _user_or_404(user_id)
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        try:
            if request.form.get("revoke_token", "").isdigit():
                revoke_token_of(int(request.form["revoke_token"]), current_user)
                message = _("已撤销令牌")
            else:
                set_roles(user, request.form.getlist("roles"), current_user)
                message = _("已保存 %(u)s 的角色；其已登录的会话随即失效", u=user.username)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("org.user_roles", user_id=user.id))
    chosen = request.form.getlist("roles") if errors else [r.value for r in user.roles]
    return render_template(
        "org/user_roles.html", user=user, roles=list(Role), chosen=chosen, errors=errors, form=EmptyForm()
    ), 422 if errors else 200
