"""Use cases of signing in and of API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload

from app import clock
from app.audit.writer import record
from app.auth.passwords import dummy_hash, verify_password
from app.errors import NotFound, ServiceError, ValidationFailed
from app.extensions import db
from app.org.models import ApiToken, GatewayCredential, User

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gs_"
GATEWAY_PREFIX = "gw_"


class SignInFailed(ServiceError):
    """Wrong credentials, an inactive account or a temporary lockout."""

    status = 401
    code = "sign_in_failed"


def authenticate(username: str, password: str) -> User:
    """The user whose credentials these are. Unknown names and wrong passwords take the same work (a dummy
    argon2 verify) and give the same message, so names cannot be enumerated; every failure is audited with
    the client's address (the caller commits the failure's audit row too). Throttling is per client and per
    account and client (the sign-in page's limits), so a stranger cannot lock a real user out."""
    name = username.strip().lower()
    user = db.session.scalar(db.select(User).where(User.username == name))
    if user is None or not user.password_hash:
        verify_password(dummy_hash(), password)
        record(
            "user.sign_in_failed",
            actor=user,
            object_type="user",
            object_id=user.id if user else None,
            data={"username": name[:64], "reason": "unknown" if user is None else "no_password"},
        )
        raise SignInFailed(_("用户名或密码错误"))
    if not verify_password(user.password_hash, password):
        record(
            "user.sign_in_failed",
            actor=user,
            object_type="user",
            object_id=user.id,
            data={"username": name[:64], "reason": "password"},
        )
        raise SignInFailed(_("用户名或密码错误"))
    if not user.active:
        record(
            "user.sign_in_failed",
            actor=user,
            object_type="user",
            object_id=user.id,
            data={"username": name[:64], "reason": "inactive"},
        )
        raise SignInFailed(_("账户已停用，请联系系统管理员"), code="inactive")
    return user


def signed_in(user: User) -> None:
    """The user passed every factor: the sign-in is recorded. The caller commits."""
    user.last_login_at = clock.now()
    record("user.signed_in", actor=user, object_type="user", object_id=user.id)


def sign_out(user: User) -> None:
    """End the user's sessions: the session epoch moves on, so every copy of the old cookie is refused."""
    db.session.execute(db.update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1))
    record("user.signed_out", actor=user, object_type="user", object_id=user.id)
    db.session.flush()


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain token is returned once and never stored."""
    name = (name or "").strip() or _("未命名令牌")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:64], prefix=plain[:10], token_hash=_digest(plain))
    db.session.add(token)
    db.session.flush()
    record(
        "token.created", actor=user, object_type="api_token", object_id=token.id, data={"name": token.name}
    )
    db.session.flush()
    return token, plain


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("令牌不存在"))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record("token.revoked", actor=user, object_type="api_token", object_id=token.id)
        db.session.flush()
    return token


def user_for_token(plain: str) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown, revoked or inactive one."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    # One statement for the token, its user and the user's roles (each API call starts here).
    token = (
        db.session.execute(
            db.select(ApiToken)
            .where(ApiToken.token_hash == _digest(plain))
            .options(joinedload(ApiToken.user).joinedload(User.role_rows))
        )
        .unique()
        .scalar_one_or_none()
    )
    if token is None or token.revoked or not token.user.active:
        return None
    now = clock.now()
    # Last use is noted at most every TOKEN_USE_MINUTES, in its own short transaction: a read stays a read,
    # and a database that refuses writes does not fail the call (the note is only information).
    every = timedelta(minutes=current_app.config["TOKEN_USE_MINUTES"])
    if token.last_used_at is None or now - token.last_used_at > every:
        try:
            with db.engine.begin() as connection:
                connection.execute(
                    db.update(ApiToken)
                    .where(ApiToken.id == token.id)
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False)
                )
        except DBAPIError:
            log.warning("could not note the last use of token %s", token.prefix)
    return token.user


def create_gateway_credential(name: str, actor: User | None) -> tuple[GatewayCredential, str]:
    """A new exchange-gateway credential; the plain token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写网关名称"), fields={"name": _("请填写网关名称")})
    plain = GATEWAY_PREFIX + secrets.token_urlsafe(32)
    credential = GatewayCredential(
        name=name[:64],
        prefix=plain[:10],
        token_hash=_digest(plain),
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    db.session.add(credential)
    db.session.flush()
    record(
        "gateway.credential_created",
        actor=actor,
        object_type="gateway_credential",
        object_id=credential.id,
        data={"name": credential.name, "prefix": credential.prefix},
    )
    return credential, plain


def revoke_gateway_credential(credential_id: int, actor: User | None) -> GatewayCredential:
    """Stop a gateway credential at once."""
    credential = db.session.get(GatewayCredential, credential_id)
    if credential is None:
        raise NotFound(_("网关凭证不存在"))
    if credential.revoked_at is None:
        credential.revoked_at = clock.now()
        record(
            "gateway.credential_revoked",
            actor=actor,
            object_type="gateway_credential",
            object_id=credential.id,
            data={"name": credential.name},
        )
    return credential


class GatewayCaller(NamedTuple):
    """What a gateway check needs of its credential (columns, not the row: every data call passes here)."""

    id: int
    last_used_at: datetime | None


_GATEWAY_BY_HASH = select(GatewayCredential.id, GatewayCredential.last_used_at).where(
    GatewayCredential.token_hash == bindparam("token_hash"), GatewayCredential.revoked_at.is_(None)
)
GATEWAY_USE_SECONDS = 60  # last use is noted at most once a minute


def gateway_for_token(plain: str) -> GatewayCaller | None:
    """The active gateway credential of a token, or None (a person's token is never one). One prepared
    statement on the unit of work's connection (#30)."""
    if not plain.startswith(GATEWAY_PREFIX):
        return None
    row = db.session.connection().execute(_GATEWAY_BY_HASH, {"token_hash": _digest(plain)}).first()
    return None if row is None else GatewayCaller(*row)


def note_gateway_use(caller: GatewayCaller) -> None:
    """Note when a credential was last used, at most once a minute, in the caller's transaction."""
    now = clock.now()
    if caller.last_used_at is None or (now - caller.last_used_at).total_seconds() > GATEWAY_USE_SECONDS:
        db.session.connection().execute(
            update(GatewayCredential).where(GatewayCredential.id == caller.id).values(last_used_at=now)
        )


def gateway_credentials() -> list[GatewayCredential]:
    """Every gateway credential, newest first."""
    return list(db.session.scalars(db.select(GatewayCredential).order_by(GatewayCredential.id.desc())))
