"""The audit trail's hash chain (办法§27 全流程审计): sealing at commit, and verification.

The writer adds each audit row in the transaction of the change it records. Just before that transaction
commits, its rows are sealed in the order they were recorded: `seq` continues the chain, `prev_hash` is the
hash of the entry before, `hash` = SHA-256 over the canonical JSON of the entry's content and both. Rows not
yet written are inserted already sealed; rows an earlier autoflush wrote are updated (allowed while unsealed).
PostgreSQL serializes sealing with a transaction-scoped advisory lock taken only then (held for the commit,
not the transaction); SQLite with its single write lock. A trigger (see the migration) refuses to update a
sealed row, and on PostgreSQL to delete one. `verify()` recomputes the chain and names the first broken entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import as_utc

GENESIS = "0" * 64
CHAIN_LOCK = 827_126_027  # the advisory-lock key of the audit chain (PostgreSQL)
_UNSEALED = "audit_unsealed"


def canonical(entry: AuditEvent) -> bytes:
    """The bytes that are hashed: every column but the id and the hash itself, in a fixed JSON form."""
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
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEvent) -> str:
    """SHA-256 of the canonical form."""
    return hashlib.sha256(canonical(entry)).hexdigest()


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
    elif not connection.connection.dbapi_connection.in_transaction:
        session.execute(_SQLITE_WRITE_LOCK)


_COLUMNS = [c.key for c in AuditEvent.__table__.columns if c.key != "id"]
_INSERT = insert(AuditEvent.__table__)


def seal(session: Session, entries: list[AuditEvent]) -> None:
    """Give `entries` (unsealed, of this transaction, in the order they were recorded) their place in the
    chain. Rows not written yet are inserted sealed in one executemany; rows written earlier are updated."""
    _lock_chain(session)
    seq, previous = head(session)
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash = seq, previous
        entry.hash = previous = entry_hash(entry)
    fresh = [entry for entry in entries if inspect(entry).transient]
    if fresh:
        rows = [{k: getattr(e, k) for k in _COLUMNS} for e in fresh]
        session.connection().execute(_INSERT, rows)
    if len(fresh) < len(entries):
        session.flush()


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


def _sealed(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the chain in order: every seq present, each entry linked to the one before, each hash right."""
    expected_seq, previous, checked = 1, GENESIS, 0
    for entry in _sealed(session):
        if entry.seq != expected_seq:
            return VerifyResult(
                checked, Break(entry.id, expected_seq, f"缺少第 {expected_seq} 条（记录被删除）"), 0
            )
        if entry.prev_hash != previous:
            return VerifyResult(
                checked, Break(entry.id, entry.seq, "与前一条的链接不符（前一条被修改或替换）"), 0
            )
        if entry_hash(entry) != entry.hash:
            return VerifyResult(checked, Break(entry.id, entry.seq, "内容与哈希不符（本条被修改）"), 0)
        previous, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    unsealed = session.scalar(
        select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(1)
    )
    if unsealed is not None:
        return VerifyResult(checked, Break(unsealed, None, "未加入哈希链的记录（绕过了审计写入）"), 1)
    return VerifyResult(checked, None, 0)
