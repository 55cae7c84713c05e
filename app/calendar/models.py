"""Calendar versions and the deadlines computed on them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model, db


class CalendarVersion(Model):
    """An immutable snapshot of all calendar data; every change to the data makes a new one."""

    __tablename__ = "calendar_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_name: Mapped[str] = mapped_column(String(64), default="system")
    comment: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict] = mapped_column(JSON)


class StoredDeadline(Model):
    """A deadline computed for something (a task, a step), with the calendar version it used.

    Provisional ones are recomputed when the missing year's arrangement is imported.
    """

    __tablename__ = "deadline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    days: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(40))
    close_time: Mapped[str] = mapped_column(String(5))
    due_date: Mapped[date] = mapped_column(Date, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    provisional_reason: Mapped[str | None] = mapped_column(Text)
    calendar_version_id: Mapped[int] = mapped_column(ForeignKey("calendar_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (db.Index("ix_deadline_subject", "subject_type", "subject_id"),)
