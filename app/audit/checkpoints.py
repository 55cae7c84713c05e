"""Checkpoints of the audit chain's head, kept outside the database (办法§27).

The hash chain shows any change inside the trail, but not the loss of its newest rows: delete the last
entries and what is left is still a valid chain. So every few minutes the head (its seq and hash) is
appended to a file outside the database, each line signed with an HMAC under the application's secret
key. `govshare audit verify` then requires every checkpointed entry to be in the table with the same hash.

What this proves: every entry up to the newest checkpoint is still there, unchanged — unless the database,
the checkpoint file and the secret key were all taken over. Entries after the newest checkpoint are
covered by the chain alone (the window is AUDIT_CHECKPOINT_MINUTES). Copy the file to other storage
(another host, write-once media) to take it out of the application's reach as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.audit.chain import Break, head
from app.audit.models import AuditEvent


def checkpoint_file() -> Path | None:
    """Where checkpoints are appended (AUDIT_CHECKPOINT_FILE); None when checkpoints are off."""
    configured = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else None


def _mac(seq: int, digest: str, at: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{seq}|{digest}|{at}".encode(), hashlib.sha256).hexdigest()


def read_checkpoints() -> list[dict]:
    """Every checkpoint in the file, oldest first (none when there is no file yet)."""
    path = checkpoint_file()
    if path is None or not path.exists():
        return []
    checkpoints = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                checkpoints.append({**json.loads(line), "line": number})
            except json.JSONDecodeError:
                checkpoints.append({"line": number, "seq": None, "hash": None, "at": None, "mac": None})
    return checkpoints


def write_checkpoint(session: Session) -> dict | None:
    """Append the chain's head to the file if it moved since the last checkpoint; the checkpoint, or None."""
    path = checkpoint_file()
    seq, digest = head(session)
    existing = read_checkpoints()
    if path is None or seq == 0 or (existing and existing[-1].get("seq") == seq):
        return None
    at = clock.now().isoformat()
    entry = {"seq": seq, "hash": digest, "at": at, "mac": _mac(seq, digest, at)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return entry


def check_checkpoints(session: Session) -> Break | None:
    """The first checkpoint the trail no longer matches (forged line, entry deleted or replaced), or None."""
    for checkpoint in read_checkpoints():
        seq, digest, at = checkpoint.get("seq"), checkpoint.get("hash"), checkpoint.get("at")
        where = f"检查点文件第 {checkpoint['line']} 行"
        if not isinstance(seq, int) or not hmac.compare_digest(
            str(checkpoint.get("mac")), _mac(seq, str(digest), str(at))
        ):
            return Break(
                None, seq if isinstance(seq, int) else None, f"{where}的签名不符（检查点被伪造或改动）"
            )
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
        if stored is None:
            return Break(None, seq, f"{where}（{at}）记录过第 {seq} 条，表中已没有（最新的记录被删除）")
        if stored != digest:
            return Break(None, seq, f"{where}（{at}）记录的第 {seq} 条哈希与表中不符（记录被替换）")
    return None
