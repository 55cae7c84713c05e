"""The audit event table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime
from app.extensions import Model


class AuditEvent(Model):
    """One thing that happened: who, when, what, on which object. Never updated or deleted.

    Hash-chained (§27): at commit each new row is sealed with its place in the chain (`seq`), the hash of the
    entry before it and its own hash over its content; a database trigger refuses to change a sealed row.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)  # a case's own events (#30)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict | None] = mapped_column(JSON)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # The audit key that sealed the row (None: sealed before keyed MACs, by plain SHA-256; app.audit.keys).
    key_id: Mapped[str | None] = mapped_column(String(32))
    # Where a request came from (等保: who, from where, with what): the client's address behind the trusted
    # proxies, its user agent and the request's id (also in the access log and the X-Request-ID header).
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    request_id: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Model):
    """The chain's newest entry as sealed (one row, MAC'd under the audit key, written in the sealing
    transaction): deleting the newest entries leaves a head that no longer matches, and nobody without the
    key can write a matching one."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    mac: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Model):
    """A checkpoint of the chain (on a schedule and on demand), also appended to a file outside the database:
    the head, how many sealed rows it covers, when, and a MAC under the audit key."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(32))
    mac: Mapped[str] = mapped_column(String(64))
