"""Sign-in, sign-out and the profile page with API tokens."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app import clock
from app.auth.credentials import (
    EnrolmentFailed,
    change_password,
    check_second_factor,
    confirm_enrolment,
    enrol,
    new_secret,
    password_expired,
    provisioning_qr,
    second_factor_required,
)
from app.auth.forms import EmptyForm, LoginForm, TokenForm
from app.auth.services import (
    SignInFailed,
    authenticate,
    create_api_token,
    revoke_api_token,
    sign_out,
    signed_in,
)
from app.errors import ValidationFailed
from app.extensions import client_address, db, limiter, login_manager
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


_OPEN_WHILE_EXPIRED = {"auth.change_password_page", "auth.logout", "static", "main.vendor"}


@bp.before_app_request
def _password_first() -> ResponseReturnValue | None:
    """A signed-in person whose password must change (first sign-in, expiry) changes it before anything else."""
    if (
        request.blueprint not in ("api", "gateway")  # first: an API call does not load a signed-in user
        and current_user.is_authenticated
        and request.endpoint not in _OPEN_WHILE_EXPIRED
        and password_expired(current_user)
    ):
        return redirect(url_for("auth.change_password_page"))
    return None


def _safe_next(target: str | None) -> str:
    return target if target and is_local_path(target) else url_for("main.index")


def _login_limits() -> str:
    return current_app.config["LOGIN_LIMIT_PER_CLIENT"]


def _account() -> str:
    return (request.form.get("username") or "").strip().lower()[:64]


def _account_and_client() -> str:
    return f"{_account()}|{client_address()}"


def _failed(response) -> bool:
    return response.status_code == 401


def _unthrottled() -> bool:
    return not current_app.config.get("LOGIN_THROTTLE", True)


PENDING = "pending_sign_in"
PENDING_SECONDS = 300


def _failures_limit(setting: str, key_func):
    """A limit on failed sign-ins (401s) counted per `key_func`, from the setting named `setting`."""
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        methods=["POST"],
        deduct_when=_failed,
        error_message="该账户登录失败次数过多，请稍后再试",
        exempt_when=_unthrottled,
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limits, methods=["POST"], error_message="登录尝试过于频繁，请稍后再试", exempt_when=_unthrottled
)
@_failures_limit("LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT", _account_and_client)
@_failures_limit("LOGIN_FAILURES_PER_ACCOUNT", _account)
def login():
    """The sign-in page: the password, then (where required or enrolled) the second factor."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except SignInFailed as exc:
            db.session.commit()  # the failure's audit row
            error = exc.message
            status = 401
        else:
            target = _safe_next(request.args.get("next"))
            if second_factor_required(user):
                session.clear()
                session[PENDING] = {
                    "user": user.id,
                    "epoch": user.session_epoch or 0,
                    "next": target,
                    "at": clock.now().timestamp(),
                }
                return redirect(url_for("auth.second_factor"))
            return _complete_sign_in(user, target)
    elif form.errors:
        status = 400 if "csrf_token" in form.errors else 422
    return render_template("auth/login.html", form=form, error=error), status


def _complete_sign_in(user: User, target: str):
    """Every factor passed: a fresh session (new id and CSRF token), the sign-in recorded; a password that must
    change is changed first."""
    session.clear()
    login_user(user)
    signed_in(user)
    db.session.commit()
    if password_expired(user):
        flash(_("请先设置新密码"), "warning")
        return redirect(url_for("auth.change_password_page"))
    return redirect(target)


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or clock.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or (user.session_epoch or 0) != pending.get("epoch"):
        return None
    return user


def _pending_account() -> str:
    pending = session.get(PENDING)
    return f"second-factor|{pending.get('user') if isinstance(pending, dict) else '-'}"


def _code_refused(response) -> bool:
    return response.status_code == 422


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(
    _login_limits, methods=["POST"], error_message="尝试过于频繁，请稍后再试", exempt_when=_unthrottled
)
@limiter.limit(
    lambda: current_app.config["SECOND_FACTOR_FAILURES_PER_ACCOUNT"],
    key_func=_pending_account,
    methods=["POST"],
    deduct_when=_code_refused,
    error_message="动态口令错误次数过多，请稍后再试",
    exempt_when=_unthrottled,
)
def second_factor():
    """The second step of signing in: a dynamic code (or a recovery code); enrolment on first use."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("请重新登录"), "warning")
        return redirect(url_for("auth.login"))
    pending = session[PENDING]
    form = EmptyForm()
    errors: dict[str, str] = {}
    enrolling = not user.totp_enabled_at
    if enrolling and "secret" not in pending:
        pending["secret"] = new_secret()
        session[PENDING] = pending
    if request.method == "POST" and form.validate_on_submit():
        code = request.form.get("code", "")
        if enrolling:
            try:
                recovery = confirm_enrolment(user, pending["secret"], code)
            except ValidationFailed as exc:
                db.session.commit()
                errors = exc.fields
            else:
                response = _complete_sign_in(user, pending["next"])
                return render_template("auth/recovery_codes.html", codes=recovery, next=response.location)
        elif check_second_factor(user, code):
            return _complete_sign_in(user, pending["next"])
        else:
            db.session.commit()
            errors = {"code": _("动态口令或恢复码不正确")}
    qr = provisioning_qr(user, pending["secret"]) if enrolling else None
    return render_template(
        "auth/second_factor.html",
        form=form,
        errors=errors,
        enrolling=enrolling,
        qr=qr,
        secret=pending.get("secret") if enrolling else None,
    ), 422 if errors else 200


@bp.route("/profile/second-factor", methods=["GET", "POST"])
@login_required
def enable_second_factor():
    """Turn the second factor on for oneself (optional for roles that do not require it)."""
    if current_user.totp_enabled_at:
        return redirect(url_for("auth.profile"))
    secret = session.get("totp_enrolment") or new_secret()
    session["totp_enrolment"] = secret
    form = EmptyForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            recovery = confirm_enrolment(current_user, secret, request.form.get("code", ""))
        except ValidationFailed as exc:
            db.session.commit()  # the failed attempt's audit row
            errors = exc.fields
        else:
            db.session.commit()
            session.pop("totp_enrolment", None)
            return render_template("auth/recovery_codes.html", codes=recovery, next=url_for("auth.profile"))
    return render_template(
        "auth/second_factor.html",
        form=form,
        errors=errors,
        enrolling=True,
        qr=provisioning_qr(current_user, secret),
        secret=secret,
    ), 422 if errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password_page():
    """Change one's own password (the current one proves it is the person)."""
    form = EmptyForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        try:
            change_password(
                current_user,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
                request.form.get("confirm_password", ""),
            )
        except ValidationFailed as exc:
            db.session.commit()  # the failed attempt's audit row
            errors = exc.fields
        else:
            user = current_user._get_current_object()
            db.session.commit()
            session.clear()
            login_user(user)  # this session goes on under the new epoch; every other one ended
            flash(_("密码已修改"), "success")
            return redirect(url_for("main.index"))
    return render_template(
        "auth/password.html", form=form, errors=errors, rules=password_rules()
    ), 422 if errors else 200


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit(
    _login_limits, methods=["POST"], error_message="尝试过于频繁，请稍后再试", exempt_when=_unthrottled
)
def enrol_page():
    """Set one's own password with the enrolment code an administrator handed over."""
    form = EmptyForm()
    errors: dict[str, str] = {}
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            enrol(
                request.form.get("username", ""),
                request.form.get("code", ""),
                request.form.get("password", ""),
                request.form.get("confirm_password", ""),
            )
        except EnrolmentFailed as exc:
            db.session.commit()  # the failed attempt's audit row
            error = exc.message
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            db.session.commit()
            flash(_("密码已设置，请登录"), "success")
            return redirect(url_for("auth.login"))
    status = 400 if error else 422 if errors else 200
    return render_template(
        "auth/enrol.html", form=form, errors=errors, error=error, rules=password_rules()
    ), status


def password_rules() -> str:
    """The password rule in words."""
    return _(
        "至少 %(n)d 个字符，包含大写字母、小写字母、数字、符号中的至少三类，不含用户名，不与最近 %(h)d 次相同",
        n=current_app.config["PASSWORD_MIN_LENGTH"],
        h=current_app.config["PASSWORD_HISTORY"],
    )


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
    return {
        "phrases": phrases_of(current_user),
        "delegations": delegations_of(current_user),
        "deputies": deputies_for(current_user),
        "delegation_errors": delegation_errors or {},
    }


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
            return render_template(
                "auth/profile.html",
                token_form=TokenForm(),
                revoke_form=EmptyForm(),
                new_token=None,
                **_profile_extras(exc.fields),
            ), 422
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
