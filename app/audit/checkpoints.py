"""Checkpoints of the audit chain (办法§27), kept in the database and appended to a file outside it.

The keyed chain shows any change inside the trail, and the MAC'd head the loss of its newest rows; a
checkpoint adds a dated record of how far the trail reached: the head's seq and hash, how many sealed rows
it covers, when, and a MAC under the audit key (not SECRET_KEY: rotating the session key leaves checkpoints
valid). The scheduler writes one every AUDIT_CHECKPOINT_MINUTES, `govshare audit checkpoint` on demand.

`govshare audit verify` fails, naming what is wrong, when a checkpoint's MAC does not hold, when a row a
checkpoint covers is missing or changed, and — where a checkpoint file is configured — when the file is
missing or empty while the database holds checkpoints, or behind the newest of them. Copy the file to other
storage (another host, write-once media, syslog) to take it out of the application's reach as well.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit.chain import Anchor, Break, head
from app.audit.keys import Keyring, keyring
from app.audit.models import AuditCheckpoint, AuditEvent

_syslog = logging.getLogger("govshare.audit.checkpoint")


def checkpoint_file() -> Path | None:
    """Where checkpoints are appended (AUDIT_CHECKPOINT_FILE); None when the file is off."""
    configured = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else None


def _message(seq: int, digest: str, count: int, at: str) -> bytes:
    return f"checkpoint|{seq}|{digest}|{count}|{at}".encode()


def _mac(ring: Keyring, key_id: str, seq: int, digest: str, count: int, at: str) -> str:
    return ring.mac(key_id, _message(seq, digest, count, at))


def read_checkpoints() -> list[dict]:
    """Every checkpoint in the file, oldest first (none when there is no file)."""
    path = checkpoint_file()
    if path is None or not path.exists():
        return []
    checkpoints = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                checkpoints.append({**json.loads(line), "line": number})
            except json.JSONDecodeError:
                checkpoints.append({"line": number, "seq": None})
    return checkpoints


def write_checkpoint(session: Session) -> dict | None:
    """Record the chain's head as a checkpoint if it moved since the last one (a row in this transaction and
    a line appended to the file); the checkpoint, or None. The caller commits."""
    seq, digest = head(session)
    last = session.scalar(select(func.max(AuditCheckpoint.seq)))
    if seq == 0 or last == seq:
        return None
    ring = keyring()
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq <= seq)) or 0
    at = clock.now()
    stamp = at.isoformat()
    mac = _mac(ring, ring.current, seq, digest, count, stamp)
    session.add(
        AuditCheckpoint(seq=seq, head_hash=digest, row_count=count, at=at, key_id=ring.current, mac=mac)
    )
    entry = {"seq": seq, "hash": digest, "count": count, "at": stamp, "key_id": ring.current, "mac": mac}
    path = checkpoint_file()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
    _syslog.info("audit checkpoint %s", json.dumps(entry, ensure_ascii=False))
    return entry


def _against_table(
    session: Session,
    ring: Keyring,
    where: str,
    seq,
    digest,
    count,
    at,
    key_id,
    mac,
    *,
    walked: bool = False,
) -> Break | None:
    """Does a checkpoint still hold: its MAC, the entry it names, the number of rows it covers? After a full
    walk (`walked`: every seq from 1 on is present, once) the rows up to seq are exactly seq of them, so the
    count is checked without counting."""
    if isinstance(seq, int) and key_id not in ring.keys:
        return Break(None, seq, f"{where}的封存密钥 {key_id} 不在密钥环中")
    if (
        not isinstance(seq, int)
        or key_id not in ring.keys
        or not hmac.compare_digest(str(mac), _mac(ring, key_id, seq, str(digest), int(count or 0), str(at)))
    ):
        return Break(None, seq if isinstance(seq, int) else None, f"{where}的签名不符（检查点被伪造或改动）")
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    if stored is None:
        return Break(None, seq, f"{where}（{at}）记录过第 {seq} 条，表中已没有（记录被删除）")
    if stored != digest:
        return Break(None, seq, f"{where}（{at}）记录的第 {seq} 条哈希与表中不符（记录被替换）")
    present = (
        seq
        if walked
        else session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq <= seq))
    )
    if present != count:
        return Break(None, seq, f"{where}（{at}）覆盖 {count} 条记录，表中只有 {present} 条（记录被删除）")
    return None


def newest_anchor(session: Session) -> tuple[Anchor | None, Break | None]:
    """Where an incremental verify begins: the newest database checkpoint, once it holds (its MAC, the entry
    it names, the rows it covers: a deleted older row shows here). (None, None) when there is none."""
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    if row is None:
        return None, None
    broken = _against_table(
        session,
        keyring(),
        f"数据库检查点 #{row.id}",
        row.seq,
        row.head_hash,
        row.row_count,
        row.at.isoformat(),
        row.key_id,
        row.mac,
    )
    if broken:
        return None, broken
    key_id = session.scalar(select(AuditEvent.key_id).where(AuditEvent.seq == row.seq))
    return Anchor(row.seq, row.head_hash, key_id is not None), None


def check_checkpoints(session: Session, *, every: bool = True) -> Break | None:
    """The first checkpoint (database or file) the trail no longer matches, or a checkpoint file that is
    missing, empty or behind the database's newest checkpoint; None when all hold. After a full walk
    (`every`) each checkpoint is checked; after an incremental one, the newest of each place (the older ones
    held when they were the newest, and the walk from the newest covers what came after)."""
    ring = keyring()
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.seq)
    stored = (
        list(session.scalars(query))
        if every
        else list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)))
    )
    for row in stored:
        broken = _against_table(
            session,
            ring,
            f"数据库检查点 #{row.id}",
            row.seq,
            row.head_hash,
            row.row_count,
            row.at.isoformat(),
            row.key_id,
            row.mac,
            walked=every,
        )
        if broken:
            return broken
    path = checkpoint_file()
    if path is None:
        return None
    lines = read_checkpoints()
    newest = stored[-1].seq if stored else None
    if newest is not None and not path.exists():
        return Break(None, newest, f"检查点文件 {path} 不存在（数据库中有检查点：文件被删除）")
    if newest is not None and not lines:
        return Break(None, newest, f"检查点文件 {path} 为空（文件被清空）")
    for line in lines if every else lines[-1:]:
        broken = _against_table(
            session,
            ring,
            f"检查点文件第 {line['line']} 行",
            line.get("seq"),
            line.get("hash"),
            line.get("count"),
            line.get("at"),
            line.get("key_id"),
            line.get("mac"),
            walked=every,
        )
        if broken:
            return broken
    if newest is not None and max(line["seq"] or 0 for line in lines) < newest:
        return Break(
            None, newest, f"检查点文件落后于数据库（最新检查点第 {newest} 条不在文件中：文件被截断）"
        )
    return None
