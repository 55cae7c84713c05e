"""Password hashing with argon2id."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_default = PasswordHasher()
# Testing only: a cheap setting so the suite stays fast. Never selected in production.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _fast if current_app.config.get("ARGON2_FAST") else _default


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches the stored hash."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    """A hash of a random password under the current settings: verified against when a name is unknown, so
    that a wrong name costs what a wrong password costs."""
    hasher = _hasher()
    cached = _dummies.get(id(hasher))
    if cached is None:
        cached = _dummies[id(hasher)] = hasher.hash(secrets.token_hex(16))
    return cached


_dummies: dict[int, str] = {}
