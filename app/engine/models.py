"""Engine tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model


class ProcessVersion(Model):
    """An immutable deployed version of one BPMN process, with the files and forms it needs."""

    __tablename__ = "process_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    # Large; loaded only when used (parsing is cached per version, so starting an instance never needs them).
    files: Mapped[dict] = mapped_column(JSON, deferred=True)  # {file name: BPMN XML}
    forms: Mapped[dict] = mapped_column(JSON, deferred=True)  # {form file name: JSON Schema}
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deployed_by_name: Mapped[str] = mapped_column(String(64), default="system")
    comment: Mapped[str] = mapped_column(Text, default="")
    # 施行日期 (#34): cases started on or after this Beijing-time day get this version (the one clock decides);
    # None: from its deployment on. Running cases keep their version; moving them is the separate migration.
    effective_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("process_id", "version", name="uq_process_version_process_id_version"),
    )


class InstanceStatus:
    """Values of ProcessInstance.status."""

    RUNNING = "running"  # has work the engine can do or a human task open
    WAITING = "waiting"  # only waiting for timers or messages
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    INCIDENT = "incident"  # a script or service failed; an admin retries or cancels

    OPEN = (RUNNING, WAITING)


class ProcessInstance(Model):
    """One running (or finished) case of a process version; the engine state without the spec."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(64), index=True)
    business_key: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The engine state without the spec: zlib-compressed JSON (store.encode_state), parsed fresh on every load.
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(32))
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    process_version: Mapped[ProcessVersion] = relationship()

    # Optimistic locking: an UPDATE that finds another lock_version fails (StaleDataError → 409).
    __mapper_args__ = {"version_id_col": lock_version}


class TaskStatus:
    """Values of HumanTask.status."""

    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class HumanTask(Model):
    """A user task waiting for (or done by) a person, materialized for inbox queries."""

    __tablename__ = "human_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(64), index=True)
    process_id: Mapped[str] = mapped_column(String(64))
    spec_name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    candidate_role: Mapped[str | None] = mapped_column(String(32))
    candidate_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN)
    form: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    deadline_days: Mapped[int | None] = mapped_column(Integer)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    calendar_version: Mapped[int | None] = mapped_column(Integer)
    # The boundary timer enforcing the deadline; its stored deadline is subject ("timer", "<instance>/<timer>").
    timer_task_id: Mapped[str | None] = mapped_column(String(36))
    draft: Mapped[dict | None] = mapped_column(JSON)
    # When a task is completed (#30, §26 figures from aggregates): the working days it took (counted like a
    # deadline: the receiving day not counted), whether it was done by its due time, and the calendar version
    # those days were counted on (a newer calendar: counted again, app/supervision/stats.py).
    days_taken: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    days_calendar: Mapped[int | None] = mapped_column(Integer)

    instance: Mapped[ProcessInstance] = relationship()
    candidate_department = relationship("Department")
    assignee = relationship("User", foreign_keys=[assignee_id])

    # The inbox indexes cover their queries (filter, sort key, id), so a page is read from the index alone.
    __table_args__ = (
        Index(
            "ix_human_task_queue",
            "status",
            "candidate_department_id",
            "candidate_role",
            "assignee_id",
            "due_at",
            "created_at",
            "business_key",
            "process_id",
            "label",
            "id",
        ),
        Index(
            "ix_human_task_assignee", "assignee_id", "status", "due_at", "created_at", "business_key", "id"
        ),
        Index("ix_human_task_done", "completed_by_id", "status", "completed_at", "id"),
        # §26: the steps completed in a period, with what the figures need
        Index(
            "ix_human_task_finished",
            "status",
            "completed_at",
            "spec_name",
            "candidate_department_id",
            "days_calendar",
            "days_taken",
            "on_time",
            "deadline_days",
        ),
    )


class Incident(Model):
    """A failure that stopped an instance: the real error, the task, the time; resolved by retry or cancel."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(200))
    error_type: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(16))  # "retried" or "cancelled"
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    instance: Mapped[ProcessInstance] = relationship()


class TaskUrging(Model):
    """催办 by hand (#15): an operator or supervisor urges an open task with a message."""

    __tablename__ = "task_urging"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    urged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    message: Mapped[str] = mapped_column(Text)
    urged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    urged_by = relationship("User")
