"""Readiness (GET /readyz): the database answers and accepts writes, its schema is at the migrations' head,
and a scheduler has beaten recently (if it stops, deadlines silently stop firing). /healthz stays the
liveness probe: the process answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Integer, String, delete, func, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model, db
from app.paths import project_dir

MIGRATIONS = project_dir("migrations")
PROBE = "readyz-probe"


class SchedulerBeat(Model):
    """When each scheduler process last ran its heartbeat job (one row per process name)."""

    __tablename__ = "scheduler_beat"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobState(Model):
    """What each scheduled job did last (the 定时任务 page, the metrics): one row per job, kept by whichever
    scheduler process ran it."""

    __tablename__ = "scheduler_job"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_result: Mapped[str | None] = mapped_column(String(16))  # "ok" or "error"
    last_error: Mapped[str | None] = mapped_column(String(2000))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_host: Mapped[str | None] = mapped_column(String(128))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


def record_job_run(job_id: str, host: str, started: datetime, duration_ms: float, error: str | None) -> None:
    """Keep one run of a job (the caller commits; a lost race with another scheduler is the caller's)."""
    state = db.session.get(JobState, job_id, with_for_update=True)
    if state is None:
        state = JobState(job_id=job_id, runs=0, failures=0)
        db.session.add(state)
    state.last_started_at = started
    state.last_finished_at = clock.now()
    state.last_duration_ms = int(duration_ms)
    state.last_result = "error" if error else "ok"
    state.last_host = host[:128]
    state.runs = (state.runs or 0) + 1
    if error:
        state.failures = (state.failures or 0) + 1
        state.last_error, state.last_error_at = error[:2000], clock.now()


def job_states() -> dict[str, JobState]:
    """Every job's last run, by job id."""
    return {state.job_id: state for state in db.session.scalars(select(JobState))}


@dataclass
class Readiness:
    """What /readyz answers."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Every check passed."""
        return all(value == "ok" for value in self.checks.values())


def beat(name: str) -> None:
    """Record a scheduler's heartbeat (the caller commits)."""
    now = clock.now()
    db.session.execute(delete(SchedulerBeat).where(SchedulerBeat.name == name))
    db.session.execute(insert(SchedulerBeat).values(name=name, beat_at=now))


def _heads() -> set[str]:
    cached = current_app.extensions.get("migration_heads")
    if cached is None:
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        cached = current_app.extensions["migration_heads"] = set(
            ScriptDirectory.from_config(config).get_heads()
        )
    return cached


def readiness() -> Readiness:
    """Run every check; never raises (a failing check is reported, and the session rolled back)."""
    result = Readiness()
    try:
        db.session.execute(insert(SchedulerBeat).values(name=PROBE, beat_at=clock.now()))
        db.session.rollback()
        result.checks["database"] = "ok"
    except Exception as err:  # noqa: BLE001 — the probe reports, never raises
        db.session.rollback()
        result.checks["database"] = f"不可写：{type(err).__name__}"
        return result
    try:
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
        result.checks["migrations"] = (
            "ok" if current == _heads() else f"未升级到最新（{', '.join(sorted(current))}）"
        )
    except Exception as err:  # noqa: BLE001
        db.session.rollback()
        result.checks["migrations"] = f"无法读取：{type(err).__name__}"
    if current_app.config.get("READYZ_REQUIRES_SCHEDULER", True):
        newest = db.session.scalar(select(func.max(SchedulerBeat.beat_at)).where(SchedulerBeat.name != PROBE))
        limit = timedelta(seconds=3 * current_app.config["SCHEDULER_HEARTBEAT_SECONDS"])
        if newest is None:
            result.checks["scheduler"] = "没有调度进程在运行"
        elif clock.now() - newest > limit:
            result.checks["scheduler"] = (
                f"调度进程最近一次心跳在 {newest.isoformat()}，已超过 {int(limit.total_seconds())} 秒"
            )
        else:
            result.checks["scheduler"] = "ok"
    db.session.rollback()
    return result
