"""The audit key: each audit row's hash is a keyed MAC (HMAC-SM3 by default, 国密 SM3 from OpenSSL 3 through
hashlib; HMAC-SHA256 selectable), so nobody without the key can rewrite the trail and hash it again (§27).

Keys live in a keyring: the `AUDIT_KEY` setting (hex or text, at least 32 characters) and, once
`govshare audit rotate-key` has run, the keyring file (`AUDIT_KEYRING_FILE`, JSON, mode 0600) holding every
key ever used by id and which one is current. Each row records the id of the key that sealed it, so rotation
starts a new key without breaking old rows. The key is separate from SECRET_KEY: rotating the session key
does not touch the trail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

ALGORITHMS = {"hmac-sm3": "sm3", "hmac-sha256": "sha256"}
_CACHE = "audit_keyring"


@dataclass
class Keyring:
    """Every audit key by id, the current one, and the MAC algorithm."""

    current: str
    keys: dict[str, bytes] = field(default_factory=dict)
    algorithm: str = "hmac-sm3"

    def mac(self, key_id: str, message: bytes) -> str:
        """The MAC of `message` under key `key_id` (KeyError for an unknown id)."""
        return hmac.new(self.keys[key_id], message, ALGORITHMS[self.algorithm]).hexdigest()


def key_bytes(text: str) -> bytes:
    """A configured key as bytes: hex when it is hex, its UTF-8 bytes otherwise."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()


def key_id_of(key: bytes) -> str:
    """A short public name of a key (the first 12 hex digits of its SM3 digest)."""
    return "k" + hashlib.new("sm3", b"govshare-audit-key-id|" + key).hexdigest()[:12]


def weak(text: str | None) -> str | None:
    """Why a configured secret is too weak for production (empty, short, one repeated character,
    few distinct characters), or None."""
    if not text:
        return "未设置"
    if len(text) < 32:
        return "少于32个字符"
    if len(set(text)) < 8:
        return "字符种类太少（如同一字符重复）"
    return None


def _keyring_file() -> Path | None:
    configured = current_app.config.get("AUDIT_KEYRING_FILE")
    return Path(configured) if configured else None


def _load() -> Keyring:
    config = current_app.config
    algorithm = config.get("AUDIT_MAC_ALGORITHM", "hmac-sm3")
    if algorithm not in ALGORITHMS:
        raise RuntimeError(f"AUDIT_MAC_ALGORITHM 应为 {'、'.join(ALGORITHMS)} 之一")
    ring = Keyring(current="", algorithm=algorithm)
    if config.get("AUDIT_KEY"):
        key = key_bytes(config["AUDIT_KEY"])
        ring.current = key_id_of(key)
        ring.keys[ring.current] = key
    path = _keyring_file()
    if path is not None and path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        ring.keys.update({kid: bytes.fromhex(value) for kid, value in stored.get("keys", {}).items()})
        ring.current = stored.get("current") or ring.current
    if not ring.current:
        raise RuntimeError("未配置审计密钥（AUDIT_KEY）：审计记录无法加密封存")
    return ring


def keyring() -> Keyring:
    """This application's keyring (read again when the keyring file changes, e.g. after rotate-key)."""
    path = _keyring_file()
    stamp = path.stat().st_mtime_ns if path is not None and path.exists() else None
    cached = current_app.extensions.get(_CACHE)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _load())
        current_app.extensions[_CACHE] = cached
    return cached[1]


def rotate() -> str:
    """Start a new current key (random, 32 bytes) in the keyring file, keeping every earlier key; its id."""
    path = _keyring_file()
    if path is None:
        raise RuntimeError("未配置密钥环文件（AUDIT_KEYRING_FILE）")
    ring = keyring()
    key = secrets.token_bytes(32)
    new_id = key_id_of(key)
    keys = {kid: value.hex() for kid, value in ring.keys.items()}
    keys[new_id] = key.hex()
    stored = {"current": new_id, "keys": keys}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(stored, out, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    current_app.extensions.pop(_CACHE, None)
    return new_id
