"""Sign-in, sign-out and the profile page with API tokens."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import EmptyForm, LoginForm, TokenForm
from app.auth.services import SignInFailed, authenticate, create_api_token, revoke_api_token, sign_out
from app.errors import ValidationFailed
from app.extensions import db, login_manager
from app.org.models import User
from app.org.services import (
    add_phrase,
    cancel_delegation,
    delegate,
    delegations_of,
    delete_phrase,
    deputies_for,
    phrases_of,
    set_notices,
)
from app.redirects import is_local_path

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login: the signed-in user from the session, while the session's epoch is the user's."""
    user_part, _dot, epoch = user_id.partition(".")
    if not user_part.isdigit() or not epoch.isdigit() or len(user_part) > 10:
        return None
    user = db.session.get(User, int(user_part))
    if user is None or int(epoch) != user.session_epoch:
        return None
    return user


def _safe_next(target: str | None) -> str:
    return target if is_local_path(target) else url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except SignInFailed as exc:
            error = exc.message
            status = 401
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif form.errors:
        status = 400 if "csrf_token" in form.errors else 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST with CSRF token)."""
    form = EmptyForm()
    if form.validate_on_submit():
        sign_out(current_user._get_current_object())
        logout_user()
        flash(_("您已退出登录"), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.index"))


@bp.route("/profile")
@login_required
def profile():
    """The user's profile: department, roles, API tokens, common opinions."""
    return render_template(
        "auth/profile.html",
        token_form=TokenForm(),
        revoke_form=EmptyForm(),
        new_token=None,
        **_profile_extras(),
    )


def _profile_extras(delegation_errors: dict[str, str] | None = None) -> dict:
    """What the profile page shows besides the tokens: common opinions and delegations."""
    return {"phrases": phrases_of(current_user), "delegations": delegations_of(current_user),
            "deputies": deputies_for(current_user), "delegation_errors": delegation_errors or {}}  # fmt: skip


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


@bp.post("/profile/notices")
@login_required
def notices():
    """In-app notices only, or by e-mail as well (with a daily digest of due and overdue tasks)."""
    if EmptyForm().validate_on_submit():
        try:
            set_notices(current_user, request.form.get("email", ""), request.form.get("notice_channel", ""))
        except ValidationFailed as exc:
            db.session.rollback()
            for message in exc.fields.values():
                flash(message, "error")
        else:
            db.session.commit()
            flash(_("已保存通知方式"), "success")
    return redirect(url_for("auth.profile") + "#notices")


@bp.post("/profile/delegations")
@login_required
def add_delegation():
    """委托: name a deputy of the same department and role for a period."""
    if EmptyForm().validate_on_submit():
        try:
            delegate(current_user, request.form.get("deputy", ""), _day("starts_on"), _day("ends_on"))
        except ValidationFailed as exc:
            db.session.rollback()
            return render_template("auth/profile.html", token_form=TokenForm(), revoke_form=EmptyForm(),
                                   new_token=None, **_profile_extras(exc.fields)), 422  # fmt: skip
        db.session.commit()
        flash(_("已设置委托"), "success")
    return redirect(url_for("auth.profile") + "#delegations")


@bp.post("/profile/delegations/<int:delegation_id>/cancel")
@login_required
def end_delegation(delegation_id: int):
    """End a delegation early."""
    if EmptyForm().validate_on_submit():
        cancel_delegation(current_user, delegation_id)
        db.session.commit()
        flash(_("已取消委托"), "info")
    return redirect(url_for("auth.profile") + "#delegations")


@bp.post("/profile/phrases")
@login_required
def add_opinion():
    """Keep a common opinion (常用意见)."""
    if EmptyForm().validate_on_submit():
        try:
            add_phrase(current_user, request.form.get("text", ""))
        except ValidationFailed as exc:
            flash(exc.fields.get("text", exc.message), "error")
        else:
            db.session.commit()
            flash(_("已添加常用意见"), "success")
    return redirect(url_for("auth.profile") + "#phrases")


@bp.post("/profile/phrases/<int:phrase_id>/delete")
@login_required
def delete_opinion(phrase_id: int):
    """Remove a common opinion."""
    if EmptyForm().validate_on_submit():
        delete_phrase(current_user, phrase_id)
        db.session.commit()
    return redirect(url_for("auth.profile") + "#phrases")


@bp.post("/profile/tokens")
@login_required
def create_token():
    """Create an API token and show it once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/profile.html",
            token_form=form,
            revoke_form=EmptyForm(),
            new_token=None,
            **_profile_extras(),
        ), 422
    token, plain = create_api_token(current_user, form.name.data)
    flash(_("令牌已创建。请立即复制保存，它只显示这一次。"), "success")
    return render_template(
        "auth/profile.html",
        token_form=TokenForm(formdata=None),
        revoke_form=EmptyForm(),
        new_token=plain,
        **_profile_extras(),
    )


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's tokens."""
    form = EmptyForm()
    if form.validate_on_submit():
        revoke_api_token(current_user, token_id)
        flash(_("令牌已吊销"), "info")
    return redirect(url_for("auth.profile"))
