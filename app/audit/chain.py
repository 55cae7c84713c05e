"""The audit trail's hash chain (办法§27 全流程审计): sealing at commit, and verification.

The writer adds each audit row in the transaction of the change it records. Just before that transaction
commits, its rows are sealed in the order they were recorded: `seq` continues the chain, `prev_hash` is the
hash of the entry before, `hash` = a keyed MAC (HMAC-SM3 under the audit key named by `key_id`,
app.audit.keys) over the canonical JSON of the entry's content and both — so nobody without the key can
edit a row and hash the chain again. Rows sealed before keys existed keep their plain SHA-256 (key_id None)
and are protected by the first keyed row's link. The sealing transaction also writes the MAC'd head
(`audit_head`): deleting the newest rows leaves a head that does not match. Rows not
yet written are inserted already sealed; rows an earlier autoflush wrote are updated (allowed while unsealed).
PostgreSQL serializes sealing with a transaction-scoped advisory lock taken only then (held for the commit,
not the transaction); SQLite with its single write lock. A trigger (see the migration) refuses to update a
sealed row, and on PostgreSQL to delete one. `verify()` recomputes the chain and names the first broken entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from app.audit.keys import Keyring, keyring
from app.audit.models import AuditEvent, AuditHead
from app.clock import as_utc

GENESIS = "0" * 64
CHAIN_LOCK = 827_126_027  # the advisory-lock key of the audit chain (PostgreSQL)
_UNSEALED = "audit_unsealed"


def canonical(entry: Any) -> bytes:
    """The bytes that are hashed (of an AuditEvent or a row of its table): every column but the id and the
    hash itself, in a fixed JSON form (rows sealed before keys existed: the columns they had)."""
    body = {
        "seq": entry.seq,
        "prev": entry.prev_hash,
        "at": as_utc(entry.at).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "department_id": entry.department_id,
        "instance_id": entry.instance_id,
        "task_id": entry.task_id,
        "data": entry.data,
    }
    if entry.key_id is not None:
        body.update(key_id=entry.key_id, ip=entry.client_ip, ua=entry.user_agent, request=entry.request_id)
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: Any, ring: Keyring | None = None) -> str:
    """The entry's MAC under its key (plain SHA-256 for a row sealed before keys existed)."""
    if entry.key_id is None:
        return hashlib.sha256(canonical(entry)).hexdigest()
    return (ring or keyring()).mac(entry.key_id, canonical(entry))


def head_mac(ring: Keyring, key_id: str, seq: int, digest: str) -> str:
    """The MAC of the chain's head (audit_head)."""
    return ring.mac(key_id, f"head|{seq}|{digest}".encode())


_HEAD = text("SELECT seq, hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
_SQLITE_WRITE_LOCK = text("UPDATE audit_event SET seq = seq WHERE id < 0")  # takes the lock, changes nothing


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest sealed entry; (0, GENESIS) for an empty trail."""
    row = session.connection().execute(_HEAD).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def _lock_chain(session: Session) -> None:
    """Serialize sealing: PostgreSQL's advisory lock; SQLite's single write lock (held once this transaction
    has written; taken with a no-op write otherwise, so the head is never read from a stale snapshot)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    elif not getattr(connection.connection.dbapi_connection, "in_transaction", True):
        session.execute(_SQLITE_WRITE_LOCK)


_COLUMNS = [c.key for c in AuditEvent.__table__.columns if c.key != "id"]
_INSERT = insert(AuditEvent)


def seal(session: Session, entries: list[AuditEvent], *, write_head: bool = True) -> None:
    """Give `entries` (unsealed, of this transaction, in the order they were recorded) their place in the
    chain, sealed under the current audit key, and move the MAC'd head. Rows not written yet are inserted
    sealed in one executemany; rows written earlier are updated."""
    ring = keyring()
    _lock_chain(session)
    seq, previous = head(session)
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash, entry.key_id = seq, previous, ring.current
        entry.hash = previous = entry_hash(entry, ring)
    fresh = [entry for entry in entries if inspect(entry).transient]
    if fresh:
        rows = [{k: getattr(e, k) for k in _COLUMNS} for e in fresh]
        session.connection().execute(_INSERT, rows)
    if len(fresh) < len(entries):
        session.flush()
    if write_head:
        values = {
            "seq": seq,
            "hash": previous,
            "key_id": ring.current,
            "mac": head_mac(ring, ring.current, seq, previous),
        }
        updated = session.connection().execute(update(AuditHead).where(AuditHead.id == 1), values)
        if updated.rowcount == 0:
            session.connection().execute(insert(AuditHead), {"id": 1, **values})


def track(session: Session, entry: AuditEvent) -> None:
    """Remember a new audit row of this session, to be sealed when the transaction commits."""
    session.info.setdefault(_UNSEALED, []).append(entry)


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    pending = session.info.pop(_UNSEALED, None)
    if not pending:
        return
    # Rows of a rolled-back savepoint are gone from the session (neither pending nor persistent): only what
    # will be committed is sealed. Rows not yet written wait out the flush of everything else, so that they
    # are inserted once, sealed, instead of inserted and then updated.
    states = [(entry, inspect(entry)) for entry in pending]
    held = [entry for entry, state in states if state.pending]
    for entry in held:
        session.expunge(entry)
    session.flush()
    alive = [entry for entry, state in states if (state.persistent and entry.hash is None) or entry in held]
    if alive:
        seal(session, alive)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_transaction():  # the whole transaction, not a savepoint
        session.info.pop(_UNSEALED, None)


@dataclass
class Break:
    """The first entry where the chain does not hold."""

    id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        return f"seq={self.seq} id={self.id}：{self.reason}"


@dataclass
class VerifyResult:
    """What `govshare audit verify` reports."""

    checked: int
    broken: Break | None
    unsealed: int
    after: int = 0  # the walk began after this seq (a checkpoint already verified; 0: from the first entry)


@dataclass
class Anchor:
    """Where an incremental walk begins: a checkpointed entry whose MAC'd checkpoint holds."""

    seq: int
    hash: str
    keyed: bool  # sealed with an audit key (no unkeyed entry may follow)


_TABLE = AuditEvent.__table__


def _sealed(session: Session, after: int, batch: int = 5000) -> Iterator[Any]:
    """The sealed entries after `after`, in order, as plain rows fetched a batch at a time: memory stays
    bounded however long the trail (no ORM identity map, nothing kept between batches)."""
    last = after
    while True:
        rows = (
            session.connection()
            .execute(select(_TABLE).where(_TABLE.c.seq > last).order_by(_TABLE.c.seq).limit(batch))
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        del rows


def verify(session: Session, since: Anchor | None = None) -> VerifyResult:
    """Walk the chain in order — from the first entry, or after `since` (incremental) — every seq present,
    each entry linked to the one before, each MAC right under its key, no unkeyed row after a keyed one; then
    the head: the newest entry is the one the MAC'd head names."""
    ring = keyring()
    after = since.seq if since else 0
    expected_seq, previous, checked = after + 1, (since.hash if since else GENESIS), 0
    keyed = since.keyed if since else False
    for entry in _sealed(session, after):
        if entry.seq != expected_seq:
            return VerifyResult(
                checked, Break(entry.id, expected_seq, f"缺少第 {expected_seq} 条（记录被删除）"), 0, after
            )
        if entry.prev_hash != previous:
            return VerifyResult(
                checked, Break(entry.id, entry.seq, "与前一条的链接不符（前一条被修改或替换）"), 0, after
            )
        if entry.key_id is None and keyed:
            return VerifyResult(
                checked, Break(entry.id, entry.seq, "未用审计密钥封存（记录被伪造）"), 0, after
            )
        if entry.key_id is not None and entry.key_id not in ring.keys:
            return VerifyResult(
                checked, Break(entry.id, entry.seq, f"封存密钥 {entry.key_id} 不在密钥环中"), 0, after
            )
        keyed = keyed or entry.key_id is not None
        if not hmac.compare_digest(entry_hash(entry, ring), entry.hash or ""):
            return VerifyResult(checked, Break(entry.id, entry.seq, "内容与哈希不符（本条被修改）"), 0, after)
        previous, expected_seq, checked = entry.hash or "", expected_seq + 1, checked + 1
    unsealed = session.scalar(
        select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(1)
    )
    if unsealed is not None:
        return VerifyResult(checked, Break(unsealed, None, "未加入哈希链的记录（绕过了审计写入）"), 1, after)
    broken = _check_head(session, ring, after + checked, previous)
    return VerifyResult(checked, broken, 0, after)


def _check_head(session: Session, ring: Keyring, last_seq: int, last_hash: str) -> Break | None:
    """The MAC'd head names the newest entry; None when it does (or the trail predates keyed heads)."""
    row = session.get(AuditHead, 1)
    if row is None:
        if last_seq and session.scalar(select(AuditEvent.id).where(AuditEvent.key_id.is_not(None)).limit(1)):
            return Break(None, last_seq, "链头记录（audit_head）缺失（链头被删除）")
        return None
    if row.key_id not in ring.keys or not hmac.compare_digest(
        head_mac(ring, row.key_id, row.seq, row.hash), row.mac
    ):
        return Break(None, row.seq, "链头记录的签名不符（链头被伪造或改动）")
    if row.seq != last_seq or row.hash != last_hash:
        return Break(
            None, row.seq, f"链头记录第 {row.seq} 条，表中最新为第 {last_seq} 条（最新的记录被删除）"
        )
    return None
