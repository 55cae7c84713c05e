"""Credentials (#27, 等保三级): the password rule, enrolment codes instead of passwords set by someone else,
and the second factor (TOTP, RFC 6238, with recovery codes).

- Nobody sets another person's password. A 系统管理员 issues a one-time, time-limited enrolment code, shown
  once, handed over out of band; the person chooses their own password with it. For an account holding one
  of the three administrators' duties (三员分立) the code works only after a second person of another duty
  has approved it — so no duty can take over another's account alone. Every step is audited.
- A password has at least PASSWORD_MIN_LENGTH characters, three of four character classes, does not
  contain the username and is none of the last PASSWORD_HISTORY passwords; accounts an admin opened change
  it at first sign-in; PASSWORD_MAX_AGE_DAYS (0 = never) makes it expire.
- The second factor is required for the roles in SECOND_FACTOR_ROLES and optional for everyone else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _

from app import clock
from app.audit.writer import record
from app.auth.passwords import hash_password, verify_password
from app.errors import PermissionDenied, ServiceError, ValidationFailed
from app.extensions import db
from app.org.models import EnrolmentCode, User
from app.org.roles import SEPARATED_DUTIES, Role

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
RECOVERY_CODES = 10


class EnrolmentFailed(ServiceError):
    """A code that does not exist, is used, expired, cancelled or not yet approved: one message for all."""

    status = 400
    code = "enrolment_failed"


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().upper().replace("-", "").replace(" ", "").encode()).hexdigest()


def _new_code(groups: int = 3) -> str:
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(groups))


# --- passwords ---------------------------------------------------------------------------------------------


def password_problem(password: str, user: User | None = None, username: str | None = None) -> str | None:
    """Why `password` is not acceptable for this user (in Chinese), or None."""
    config = current_app.config
    minimum = config.get("PASSWORD_MIN_LENGTH", 8)
    if len(password) < minimum:
        return _("密码至少需要 %(n)d 个字符", n=minimum)
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    name = (username or (user.username if user else "") or "").lower()
    if name and name in password.lower():
        return _("密码不能包含用户名")
    if user is not None:
        recent = [user.password_hash, *(user.password_history or [])][: config.get("PASSWORD_HISTORY", 5)]
        if any(h and verify_password(h, password) for h in recent):
            return _("不能使用最近 %(n)d 次用过的密码", n=config.get("PASSWORD_HISTORY", 5))
    return None


def _store_password(user: User, password: str) -> None:
    keep = current_app.config.get("PASSWORD_HISTORY", 5)
    if user.password_hash:
        user.password_history = [user.password_hash, *(user.password_history or [])][: keep - 1]
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    user.must_change_password = False
    user.session_epoch = (user.session_epoch or 0) + 1  # every other session ends


def password_expired(user: User) -> bool:
    """The password must be changed now: an admin opened the account, or it is older than the maximum age."""
    if user.must_change_password:
        return True
    days = current_app.config.get("PASSWORD_MAX_AGE_DAYS", 0)
    changed = user.password_changed_at or user.created_at
    return bool(days) and changed is not None and clock.now() - changed > timedelta(days=days)


def change_password(user: User, current: str, new: str, confirm: str) -> User:
    """The person changes their own password (the current one proves it is them). The caller commits."""
    errors = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = _("当前密码不正确")
    problem = password_problem(new, user)
    if problem:
        errors["new_password"] = problem
    elif new != confirm:
        errors["confirm_password"] = _("两次输入的新密码不一致")
    if errors:
        record(
            "user.password_change_failed",
            actor=user,
            object_type="user",
            object_id=user.id,
            data={"fields": sorted(errors)},
        )
        raise ValidationFailed(_("密码未修改"), fields=errors)
    _store_password(user, new)
    record("user.password_changed", actor=user, object_type="user", object_id=user.id)
    return user


# --- enrolment codes ----------------------------------------------------------------------------------------


def needs_second_person(user: User) -> bool:
    """A reset of this account needs a second person of another duty (三员分立)."""
    return user.has_role(*SEPARATED_DUTIES)


def issue_code(target: User, actor: User | None) -> tuple[EnrolmentCode, str]:
    """A one-time code with which `target` sets their own password (the code: shown once, never stored);
    earlier unused codes of `target` are cancelled. The 系统管理员's act (or the installer's CLI, actor None);
    never for oneself (the profile page changes one's own password). The caller commits."""
    if actor is not None:
        if not actor.has_role(Role.ADMIN):
            record(
                "user.reset_refused",
                actor=actor,
                object_type="user",
                object_id=target.id,
                data={"username": target.username, "why": "not_admin"},
            )
            raise PermissionDenied(_("只有系统管理员可以签发启用码"))
        if actor.id == target.id:
            record(
                "user.reset_refused",
                actor=actor,
                object_type="user",
                object_id=target.id,
                data={"username": target.username, "why": "self"},
            )
            raise PermissionDenied(_("不能为自己签发启用码：请在个人设置中修改密码"))
    now = clock.now()
    for earlier in db.session.scalars(
        db.select(EnrolmentCode).where(
            EnrolmentCode.user_id == target.id,
            EnrolmentCode.used_at.is_(None),
            EnrolmentCode.cancelled_at.is_(None),
        )
    ):
        earlier.cancelled_at = now
    code = _new_code()
    hours = current_app.config.get("ENROLMENT_CODE_HOURS", 72)
    row = EnrolmentCode(
        user=target,
        code_hash=_digest(code),
        requested_by=actor,
        requested_at=now,
        expires_at=now + timedelta(hours=hours),
        needs_approval=actor is not None and needs_second_person(target),
    )
    db.session.add(row)
    db.session.flush()
    record(
        "user.reset_requested",
        actor=actor,
        object_type="user",
        object_id=target.id,
        data={
            "username": target.username,
            "code_id": row.id,
            "needs_approval": row.needs_approval,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    return row, code


def pending_approvals(user: User) -> list[EnrolmentCode]:
    """Codes waiting for a second person that `user` may approve."""
    rows = db.session.scalars(
        db.select(EnrolmentCode)
        .where(
            EnrolmentCode.needs_approval.is_(True),
            EnrolmentCode.approved_at.is_(None),
            EnrolmentCode.used_at.is_(None),
            EnrolmentCode.cancelled_at.is_(None),
            EnrolmentCode.expires_at > clock.now(),
        )
        .order_by(EnrolmentCode.requested_at)
    ).all()
    return [row for row in rows if _may_approve(user, row)]


def _may_approve(user: User, row: EnrolmentCode) -> bool:
    """A second person: of another of the three duties than the requester, neither the requester nor the
    account's holder."""
    if user.id in (row.requested_by_id, row.user_id) or not user.has_role(*SEPARATED_DUTIES):
        return False
    requester = row.requested_by
    return requester is None or not (user.roles & requester.roles & set(SEPARATED_DUTIES))


def decide_reset(code_id: int, approver: User, approve: bool) -> EnrolmentCode:
    """A second person approves (the code starts to work) or refuses (it is cancelled). The caller commits."""
    row = db.session.get(EnrolmentCode, code_id)
    if row is None or row.status != "pending_approval" or not _may_approve(approver, row):
        record("user.reset_decision_refused", actor=approver, object_type="enrolment_code", object_id=code_id)
        raise PermissionDenied(_("不能审批此启用码（须由其他职责的另一人审批）"))
    if approve:
        row.approved_by, row.approved_at = approver, clock.now()
    else:
        row.cancelled_at = clock.now()
    record(
        "user.reset_approved" if approve else "user.reset_rejected",
        actor=approver,
        object_type="user",
        object_id=row.user_id,
        data={"username": row.user.username, "code_id": row.id},
    )
    return row


def enrol(username: str, code: str, password: str, confirm: str) -> User:
    """The person sets their own password with an enrolment code; the second factor is enrolled again at the
    next sign-in. One message for every kind of wrong code. The caller commits (failures too: audited)."""
    user = db.session.scalar(db.select(User).where(User.username == username.strip().lower()))
    row = None
    if user is not None:
        digest = _digest(code)
        for candidate in db.session.scalars(db.select(EnrolmentCode).where(EnrolmentCode.user_id == user.id)):
            if hmac.compare_digest(candidate.code_hash, digest):
                row = candidate
    usable = row is not None and row.status == "issued" and user is not None and user.active
    if usable and user is not None and row is not None and needs_second_person(user) and not row.approved_at:
        usable = False  # the account gained an administrator's duty after the code was issued
    if not usable or user is None or row is None:
        record(
            "user.enrol_failed",
            actor=user,
            object_type="user",
            object_id=user.id if user else None,
            data={"username": username[:64], "status": row.status if row else "unknown"},
        )
        raise EnrolmentFailed(_("启用码无效、已使用、已过期或尚未审批"))
    problem = password_problem(password, user)
    if problem or password != confirm:
        raise ValidationFailed(
            _("密码未设置"),
            fields={"password": problem} if problem else {"confirm_password": _("两次输入的密码不一致")},
        )
    _store_password(user, password)
    row.used_at = clock.now()
    user.totp_secret = user.totp_enabled_at = user.recovery_codes = user.totp_last_step = None
    record("user.enrolled", actor=user, object_type="user", object_id=user.id, data={"code_id": row.id})
    return user


# --- second factor -------------------------------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    """This user must use a second factor (their roles are in SECOND_FACTOR_ROLES), or has enrolled one."""
    required = set(current_app.config.get("SECOND_FACTOR_ROLES", ()))
    return bool(user.totp_enabled_at) or any(role.value in required for role in user.roles)


def new_secret() -> str:
    """A fresh TOTP secret (base32) for enrolment."""
    return pyotp.random_base32()


def provisioning_qr(user: User, secret: str) -> str:
    """The otpauth:// URI of `secret` as an inline SVG QR code for an authenticator app."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="GovShare")
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#1f2937")


def _step_ok(user: User, secret: str, code: str) -> int | None:
    """The time step `code` belongs to (now ±1 step), or None; a step already used does not count again."""
    totp = pyotp.TOTP(secret)
    now = clock.now()
    code = code.strip().replace(" ", "")
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=30 * drift)
        if hmac.compare_digest(totp.at(moment), code):
            step = int(moment.timestamp()) // 30
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None  # replayed
            return step
    return None


def confirm_enrolment(user: User, secret: str, code: str) -> list[str]:
    """The person proves their authenticator works; the second factor is on. Recovery codes (shown once)."""
    step = _step_ok(user, secret, code)
    if step is None:
        record(
            "user.second_factor_failed",
            actor=user,
            object_type="user",
            object_id=user.id,
            data={"during": "enrolment"},
        )
        raise ValidationFailed(
            _("动态口令不正确"), fields={"code": _("动态口令不正确，请核对手机时间后重试")}
        )
    codes = [_new_code(2) for _ in range(RECOVERY_CODES)]
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, clock.now(), step
    user.recovery_codes = [_digest(c) for c in codes]
    record("user.second_factor_enrolled", actor=user, object_type="user", object_id=user.id)
    return codes


def check_second_factor(user: User, code: str) -> bool:
    """A TOTP code (not replayed) or an unused recovery code (then used up); audited either way."""
    if user.totp_secret:
        step = _step_ok(user, user.totp_secret, code)
        if step is not None:
            user.totp_last_step = step
            return True
    digest = _digest(code)
    remaining = list(user.recovery_codes or [])
    for stored in remaining:
        if hmac.compare_digest(stored, digest):
            remaining.remove(stored)
            user.recovery_codes = remaining
            record(
                "user.recovery_code_used",
                actor=user,
                object_type="user",
                object_id=user.id,
                data={"remaining": len(remaining)},
            )
            return True
    record("user.second_factor_failed", actor=user, object_type="user", object_id=user.id)
    return False
