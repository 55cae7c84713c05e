"""Use cases of the organisation: departments and users."""

from __future__ import annotations

import re
from datetime import date

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import or_

from app import clock
from app.access import can, require
from app.audit.writer import record
from app.auth.credentials import password_problem
from app.auth.passwords import hash_password
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.org.models import (
    ApiToken,
    Delegation,
    Department,
    DepartmentKind,
    Level,
    OpinionPhrase,
    Platform,
    Region,
    User,
    UserRole,
)
from app.org.roles import SEPARATED_DUTIES, Role, parse_role
from app.org.uscc import uscc_error

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def department_by_code(code: str) -> Department:
    """The department with this 统一社会信用代码 (or exact name)."""
    dept = db.session.scalar(
        db.select(Department).where((Department.uscc == code) | (Department.name == code))
    )
    if dept is None:
        raise NotFound(_("部门不存在：%(code)s", code=code))
    return dept


def create_department(
    *,
    uscc: str,
    name: str,
    short_name: str,
    region: Region,
    platform: Platform,
    level: Level,
    kind: DepartmentKind = DepartmentKind.GOVERNMENT,
    operates_platform: bool = False,
) -> Department:
    """Register a department after checking its code, its name and the one-operator-per-platform rule."""
    errors: dict[str, str] = {}
    if problem := uscc_error(uscc):
        errors["uscc"] = problem
    elif db.session.scalar(db.select(Department.id).where(Department.uscc == uscc)):
        errors["uscc"] = _("统一社会信用代码已被其他部门使用")
    if not name.strip():
        errors["name"] = _("部门名称不能为空")
    elif db.session.scalar(db.select(Department.id).where(Department.name == name)):
        errors["name"] = _("部门名称已存在")
    if operates_platform and platform.operator is not None:
        errors["operates_platform"] = _("该平台已有运维管理部门")
    if errors:
        raise ValidationFailed(_("部门信息有误"), fields=errors)
    dept = Department(
        uscc=uscc,
        name=name.strip(),
        short_name=short_name.strip() or name.strip(),
        level=level.value,
        kind=kind.value,
        region=region,
        platform=platform,
        operates_platform=operates_platform,
    )
    db.session.add(dept)
    db.session.flush()
    return dept


def _check_profile(errors: dict[str, str], display_name: str, department_code: str) -> Department | None:
    """A user's name and department: problems go into `errors`."""
    if not display_name.strip():
        errors["display_name"] = _("姓名不能为空")
    elif len(display_name.strip()) > 64:
        errors["display_name"] = _("姓名最多 64 个字")
    department = None
    try:
        department = department_by_code(department_code)
    except NotFound as exc:
        errors["department"] = exc.message
    return department


def _check_roles(errors: dict[str, str], roles: list[str]) -> list[Role]:
    """Known roles, at least one, and at most one of the three administrators' (三员分立)."""
    parsed: list[Role] = []
    if not roles:
        errors["roles"] = _("至少需要一个角色")
    for value in roles:
        try:
            parsed.append(parse_role(value))
        except ValueError as exc:
            errors["roles"] = str(exc)
    if len({r for r in parsed if r in SEPARATED_DUTIES}) > 1:
        errors["roles"] = _("系统管理员、安全保密管理员、安全审计员三员分立，不得由一人兼任")
    return parsed


def create_user(
    *,
    username: str,
    display_name: str,
    department_code: str,
    roles: list[str],
    password: str | None,
    actor: User | None = None,
    demo: bool = False,
) -> User:
    """Create a user in a department with one or more roles; every problem is reported per field.

    A password is given only by the installer's CLI (the account must change it at first sign-in) or by the
    demo seed (`demo`: the README's sign-ins); on the web the 系统管理员 issues an enrolment code instead."""
    errors: dict[str, str] = {}
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = _("用户名须为3–64位小写字母、数字、点、下划线或连字符")
    elif db.session.scalar(db.select(User.id).where(User.username == username)):
        errors["username"] = _("用户名已存在")
    if password is not None and not demo:
        problem = password_problem(password, username=username)
        if problem:
            errors["password"] = problem
    department = _check_profile(errors, display_name, department_code)
    # Roles are the 安全保密管理员's to give (三员分立): an account the 系统管理员 opens on the web has none yet.
    assigns_roles = actor is None or can(actor, "user.roles")
    parsed = _check_roles(errors, roles) if assigns_roles else []
    if roles and not assigns_roles:
        errors["roles"] = _("角色由安全保密管理员分配")
    if errors or department is None:
        raise ValidationFailed(_("用户信息有误"), fields=errors)
    user = User(
        username=username,
        display_name=display_name.strip(),
        department=department,
        password_hash=hash_password(password) if password else None,
        must_change_password=bool(password) and not demo,
    )
    user.role_rows = [UserRole(role=r.value) for r in dict.fromkeys(parsed)]
    db.session.add(user)
    db.session.flush()
    record(
        "user.created",
        actor=actor,
        object_type="user",
        object_id=user.id,
        data={"username": username, "roles": [r.value for r in parsed], "department": department.uscc},
    )
    db.session.flush()
    return user


def update_user(
    user: User,
    *,
    display_name: str,
    department_code: str,
    active: bool,
    actor: User | None = None,
) -> User:
    """Change a user's name, department or status (the 系统管理员's act, audited; roles are the
    安全保密管理员's, `set_roles`; nobody sets another person's password: `issue_code`).

    A change of department or status ends the user's open sessions: what they may see changed. Nothing is
    committed here (the entry point commits)."""
    errors: dict[str, str] = {}
    department = _check_profile(errors, display_name, department_code)
    if actor is not None and actor.id == user.id and not active:
        errors["active"] = _("不能停用自己")
    if errors or department is None:
        raise ValidationFailed(_("用户信息有误"), fields=errors)
    before = {"display_name": user.display_name, "department": user.department.uscc, "active": user.active}
    after = {"display_name": display_name.strip(), "department": department.uscc, "active": bool(active)}
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if not changed:
        return user
    user.display_name, user.department, user.active = display_name.strip(), department, bool(active)
    if set(changed) - {"display_name"}:
        user.session_epoch = (user.session_epoch or 0) + 1  # open sessions end: what the user may do changed
    record(
        "user.updated",
        actor=actor,
        object_type="user",
        object_id=user.id,
        data={"username": user.username, "changes": changed},
    )
    return user


def set_roles(user: User, roles: list[str], actor: User) -> User:
    """Give a user their roles (the 安全保密管理员's act, audited); their open sessions end."""
    require(actor, "user.roles")
    errors: dict[str, str] = {}
    parsed = _check_roles(errors, roles)
    if actor.id == user.id:
        errors["roles"] = _("不能修改自己的角色")
    if errors:
        raise ValidationFailed(_("角色有误"), fields=errors)
    before = sorted(r.value for r in user.roles)
    after = sorted({r.value for r in parsed})
    if before != after:
        user.role_rows = [UserRole(role=value) for value in after]
        user.session_epoch = (user.session_epoch or 0) + 1
        record(
            "user.roles_changed",
            actor=actor,
            object_type="user",
            object_id=user.id,
            data={"username": user.username, "from": before, "to": after},
        )
    return user


def revoke_token_of(token_id: int, actor: User) -> ApiToken:
    """Revoke another user's API token (the 安全保密管理员's act, audited)."""
    require(actor, "user.roles")
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("令牌不存在"))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record(
            "token.revoked",
            actor=actor,
            object_type="api_token",
            object_id=token.id,
            data={"username": token.user.username, "name": token.name, "prefix": token.prefix},
        )
    return token


def list_users() -> list[User]:
    """All users, by username."""
    return list(db.session.scalars(db.select(User).order_by(User.username)))


def visible_departments(user: User) -> list[Department]:
    """The departments `user` may open: all for overseers, a platform's departments for its operators."""
    query = db.select(Department).order_by(Department.level, Department.id)
    if can(user, "department.list_all"):
        return list(db.session.scalars(query))
    if user.has_role(Role.PLATFORM_OPERATOR) and user.department.operates_platform:
        return list(db.session.scalars(query.where(Department.platform_id == user.department.platform_id)))
    return [user.department]


MAX_PHRASES = 30


def phrases_of(user: User) -> list[OpinionPhrase]:
    """The user's common opinions, oldest first."""
    return list(
        db.session.scalars(
            db.select(OpinionPhrase).where(OpinionPhrase.user_id == user.id).order_by(OpinionPhrase.id)
        )
    )


def add_phrase(user: User, text: str) -> OpinionPhrase:
    """Keep a common opinion (常用意见) for the user's opinion fields."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("请填写常用意见"), fields={"text": _("请填写常用意见")})
    if len(text) > 500:
        raise ValidationFailed(_("常用意见过长"), fields={"text": _("最多 500 字")})
    mine = phrases_of(user)
    if any(p.text == text for p in mine):
        raise ValidationFailed(_("已有相同的常用意见"), fields={"text": _("已有相同的常用意见")})
    if len(mine) >= MAX_PHRASES:
        raise ValidationFailed(_("常用意见已满"), fields={"text": _("最多 %(n)d 条", n=MAX_PHRASES)})
    phrase = OpinionPhrase(user_id=user.id, text=text, created_at=clock.now())
    db.session.add(phrase)
    return phrase


def delete_phrase(user: User, phrase_id: int) -> None:
    """Remove one of the user's common opinions."""
    phrase = db.session.get(OpinionPhrase, phrase_id)
    if phrase is None or phrase.user_id != user.id:
        raise NotFound(_("常用意见不存在"))
    db.session.delete(phrase)


MAX_DELEGATION_DAYS = 92


def _today():
    return clock.local_now().date()


def principals_of(user: User) -> list[int]:
    """Ids of the users whose tasks and notices `user` also receives today, as their deputy (委托); asked once
    per request."""
    memo = g.setdefault("principals_of", {}) if has_request_context() else {}
    if user.id not in memo:
        memo[user.id] = _principals(user)
    return memo[user.id]


def _principals(user: User) -> list[int]:
    today = _today()
    return list(
        db.session.scalars(
            db.select(Delegation.principal_id).where(
                Delegation.deputy_id == user.id,
                Delegation.cancelled_at.is_(None),
                Delegation.starts_on <= today,
                Delegation.ends_on >= today,
            )
        )
    )


def delegations_of(user: User) -> list[Delegation]:
    """The user's delegations, given and received, current and coming (not ended, not cancelled)."""
    return list(
        db.session.scalars(
            db.select(Delegation)
            .where(
                or_(Delegation.principal_id == user.id, Delegation.deputy_id == user.id),
                Delegation.cancelled_at.is_(None),
                Delegation.ends_on >= _today(),
            )
            .order_by(Delegation.starts_on)
        )
    )


def deputies_for(user: User) -> list[User]:
    """Who may be the user's deputy: active colleagues of the same department sharing a role."""
    roles = set(user.roles)
    colleagues = db.session.scalars(
        db.select(User)
        .where(User.department_id == user.department_id, User.id != user.id, User.active.is_(True))
        .order_by(User.username)
    )
    return [c for c in colleagues if roles & set(c.roles)]


def delegate(user: User, deputy_username: str, starts_on: date | None, ends_on: date | None) -> Delegation:
    """Name a deputy for a period (委托); audited."""
    errors: dict[str, str] = {}
    deputy = next((d for d in deputies_for(user) if d.username == (deputy_username or "").strip()), None)
    if deputy is None:
        errors["deputy"] = _("请选择本部门、同一角色的在岗人员")
    if starts_on is None:
        errors["starts_on"] = _("请填写开始日期")
    if ends_on is None:
        errors["ends_on"] = _("请填写结束日期")
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = _("结束日期不能早于开始日期")
        elif ends_on < _today():
            errors["ends_on"] = _("结束日期已过")
        elif (ends_on - starts_on).days > MAX_DELEGATION_DAYS:
            errors["ends_on"] = _("委托最长 %(n)d 天", n=MAX_DELEGATION_DAYS)
    if errors or deputy is None or starts_on is None or ends_on is None:
        raise ValidationFailed(_("委托信息有误"), fields=errors)
    delegation = Delegation(
        principal_id=user.id,
        deputy_id=deputy.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=clock.now(),
    )
    db.session.add(delegation)
    db.session.flush()
    record(
        "delegation.created",
        actor=user,
        object_type="delegation",
        object_id=delegation.id,
        data={"deputy": deputy.username, "from": starts_on.isoformat(), "to": ends_on.isoformat()},
    )
    return delegation


def cancel_delegation(user: User, delegation_id: int) -> Delegation:
    """End a delegation early (the principal); audited."""
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or delegation.principal_id != user.id:
        raise NotFound(_("委托不存在"))
    if delegation.cancelled_at is None:
        delegation.cancelled_at = clock.now()
        record(
            "delegation.cancelled",
            actor=user,
            object_type="delegation",
            object_id=delegation.id,
            data={"deputy": delegation.deputy.username},
        )
    return delegation


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOTICE_CHANNELS = ("inapp", "email")


def set_notices(user: User, email: str, channel: str) -> User:
    """How the user gets notices (#15): in the application only, or by e-mail as well."""
    email = (email or "").strip()
    errors: dict[str, str] = {}
    if channel not in NOTICE_CHANNELS:
        errors["notice_channel"] = _("请选择通知方式")
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors["email"] = _("电子邮箱格式不正确")
    elif channel == "email" and not email:
        errors["email"] = _("选择邮件通知时请填写电子邮箱")
    if errors:
        raise ValidationFailed(_("通知设置有误"), fields=errors)
    user.email, user.notice_channel = email or None, channel
    record(
        "user.notices_set",
        actor=user,
        object_type="user",
        object_id=user.id,
        data={"channel": channel, "email": email or None},
    )
    return user
