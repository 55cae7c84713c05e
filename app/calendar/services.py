"""The calendar bound to its stored, versioned data: the one place deadlines are computed.

`deadline()` is the function the engine's BPMN timers, the inboxes and the statistics call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from app import clock
from app.audit.writer import record
from app.calendar.arrangement import ArrangementError, YearArrangement, parse_arrangement, parse_overlay
from app.calendar.core import StatutoryCalendar
from app.calendar.deadlines import Deadline, Rule, compute_deadline, deadline_status, working_days_taken
from app.calendar.models import CalendarVersion, StoredDeadline
from app.errors import NotFound, ValidationFailed
from app.extensions import db, stored
from app.org.models import User

DATA_DIR = Path(__file__).resolve().parent / "data"
OFFICIAL_FILE = DATA_DIR / "cn_official.json"
OVERLAY_FILE = DATA_DIR / "hubei_overlay.json"

_calendars: dict[int, StatutoryCalendar] = {}


# --- snapshots and versions ---------------------------------------------------------------------------


def bundled_snapshot() -> dict[str, Any]:
    """The data shipped in the repository: official years 2004–2026 and the Hubei overlay."""
    official = json.loads(OFFICIAL_FILE.read_text(encoding="utf-8"))
    overlay = json.loads(OVERLAY_FILE.read_text(encoding="utf-8"))
    return {"years": official["years"], "overlay": overlay["overlay"]}


def _hash(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def calendar_from_snapshot(snapshot: dict[str, Any], version: int | str) -> StatutoryCalendar:
    """Build the calendar object from a stored snapshot."""
    official = {int(year): parse_arrangement(doc) for year, doc in snapshot["years"].items()}
    return StatutoryCalendar(official, parse_overlay(snapshot.get("overlay", [])), version=version)


def _new_version(snapshot: dict[str, Any], *, actor: User | None, comment: str) -> CalendarVersion | None:
    """Store `snapshot` as a new version, or return None when it equals the current one."""
    digest = _hash(snapshot)
    existing = db.session.scalar(db.select(CalendarVersion).where(CalendarVersion.content_hash == digest))
    if existing is not None and existing.id == latest_version_id():
        return None
    if existing is not None:
        # Going back to earlier content is a new change too; keep hashes unique by noting the revert.
        snapshot = {**snapshot, "reverted_to": existing.id, "at": clock.now().isoformat()}
        digest = _hash(snapshot)
    version = CalendarVersion(
        created_by_id=actor.id if actor else None,
        created_by_name=actor.username if actor else "system",
        comment=comment,
        content_hash=digest,
        data=snapshot,
    )
    db.session.add(version)
    db.session.flush()
    record(
        "calendar.version_created",
        actor=actor,
        object_type="calendar_version",
        object_id=version.id,
        data={"comment": comment},
    )
    if has_app_context():
        g.pop("calendar_version_id", None)
    return version


def ensure_calendar() -> CalendarVersion:
    """The latest version; the bundled data becomes version 1 the first time."""
    version = db.session.scalar(db.select(CalendarVersion).order_by(CalendarVersion.id.desc()).limit(1))
    if version is not None:
        return version
    try:
        with db.session.begin_nested():
            created = _new_version(
                bundled_snapshot(), actor=None, comment=_("内置数据（国务院办公厅历年放假安排）")
            )
    except IntegrityError:  # another process loaded it first
        created = None
    return created or db.session.scalar(
        db.select(CalendarVersion).order_by(CalendarVersion.id.desc()).limit(1)
    )


def latest_version_id() -> int | None:
    """The id of the newest calendar version (None before the first)."""
    return db.session.scalar(db.select(db.func.max(CalendarVersion.id)))


def active_calendar() -> StatutoryCalendar:
    """The calendar of the newest version, built once per version and process, looked up once per request."""
    version_id = g.get("calendar_version_id") if has_app_context() else None
    if version_id is None:
        version_id = latest_version_id()
        if version_id is None:
            version_id = ensure_calendar().id
        g.calendar_version_id = version_id
    cal = _calendars.get(version_id)
    if cal is None:
        version = stored(CalendarVersion, version_id)
        cal = calendar_from_snapshot(version.data, version.id)
        _calendars[version_id] = cal
    return cal


def list_versions() -> list[CalendarVersion]:
    """All versions, newest first."""
    return list(db.session.scalars(db.select(CalendarVersion).order_by(CalendarVersion.id.desc())))


# --- deadlines ---------------------------------------------------------------------------------------


def office_close_time() -> time:
    """The configured office close time (for the after-hours rule)."""
    return time.fromisoformat(current_app.config.get("OFFICE_CLOSE_TIME", "17:30"))


def deadline(
    event_at: datetime, days: int, rule: Rule | str | None = None, close_time: str | None = None
) -> Deadline:
    """THE deadline function: `days` working days after `event_at` under `rule` on the active calendar."""
    return compute_deadline(
        active_calendar(), event_at, days, rule or Rule.STRICT, close_time or office_close_time()
    )


def days_taken(start_at: datetime, end_at: datetime | None = None) -> int:
    """Working days a step took (or has taken so far), counted like a deadline: the receiving day is not."""
    return working_days_taken(active_calendar(), start_at, end_at or clock.now())


def status_of(due_date: date, provisional: bool = False):
    """The badge state (剩余N个工作日 / 今日到期 / 已超期N个工作日) of a due date now."""
    return deadline_status(active_calendar(), due_date, clock.now(), provisional)


def record_deadline(
    subject_type: str,
    subject_id: str,
    event_at: datetime,
    days: int,
    rule: Rule | str | None = None,
    close_time: str | None = None,
) -> StoredDeadline:
    """Compute a deadline and store it with the calendar version used (in the caller's transaction)."""
    return store_deadline(subject_type, subject_id, deadline(event_at, days, rule, close_time))


def store_deadlines(items: list[tuple[str, str, Deadline]]) -> None:
    """Store already computed deadlines, (subject type, subject id, deadline), in one statement (in the
    caller's transaction): the engine records every timer deadline this way."""
    if not items:
        return
    now = clock.now()
    db.session.connection().execute(
        insert(StoredDeadline),
        [
            {
                "subject_type": subject_type,
                "subject_id": str(subject_id),
                "event_at": result.event_at,
                "days": result.days,
                "rule": result.rule,
                "close_time": result.close_time.strftime("%H:%M"),
                "due_date": result.due_date,
                "expires_at": result.expires_at,
                "provisional": result.provisional,
                "provisional_reason": result.provisional_reason,
                "calendar_version_id": int(result.calendar_version),
                "created_at": now,
            }
            for subject_type, subject_id, result in items
        ],
    )


def store_deadline(subject_type: str, subject_id: str, result: Deadline) -> StoredDeadline:
    """Store an already computed deadline for `subject` (in the caller's transaction)."""
    row = StoredDeadline(
        subject_type=subject_type,
        subject_id=str(subject_id),
        event_at=result.event_at,
        days=result.days,
        rule=result.rule,
        close_time=result.close_time.strftime("%H:%M"),
    )
    _apply(row, result)
    db.session.add(row)
    db.session.flush()
    return row


def _apply(row: StoredDeadline, result: Deadline) -> None:
    row.due_date = result.due_date
    row.expires_at = result.expires_at
    row.provisional = result.provisional
    row.provisional_reason = result.provisional_reason
    row.calendar_version_id = int(result.calendar_version)


@dataclass(frozen=True)
class DeadlineChange:
    """A stored deadline after recomputation: what it was and what it is now."""

    deadline_id: int
    subject_type: str
    subject_id: str
    old_due_date: date
    new_due_date: date
    old_expires_at: datetime
    new_expires_at: datetime
    still_provisional: bool


DeadlineListener = Callable[[list[DeadlineChange]], object]
_listeners: list[DeadlineListener] = []


def on_deadlines_recomputed(listener: DeadlineListener) -> DeadlineListener:
    """Register a function called with the changes after provisional deadlines are recomputed (the engine
    re-arms its waiting timers this way)."""
    _listeners.append(listener)
    return listener


def recompute_provisional_deadlines() -> list[DeadlineChange]:
    """Recompute every stored provisional deadline on the active calendar; returns the changes."""
    g.pop("calendar_version_id", None)
    changes: list[DeadlineChange] = []
    rows = db.session.scalars(db.select(StoredDeadline).where(StoredDeadline.provisional.is_(True)))
    for row in rows:
        result = deadline(clock.as_utc(row.event_at), row.days, row.rule, row.close_time)
        change = DeadlineChange(
            deadline_id=row.id,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            old_due_date=row.due_date,
            new_due_date=result.due_date,
            old_expires_at=row.expires_at,
            new_expires_at=result.expires_at,
            still_provisional=result.provisional,
        )
        _apply(row, result)
        row.updated_at = clock.now()
        changes.append(change)
    db.session.flush()
    for listener in _listeners:
        listener(changes)
    return changes


# --- changing the data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    year: int
    version: CalendarVersion | None  # None: the data was already identical
    recomputed: list[DeadlineChange]


def import_arrangement(
    document: Any, *, actor: User | None = None, comment: str = "", expected_year: int | None = None
) -> ImportResult:
    """Validate a year's arrangement, store it as a new calendar version and recompute provisional deadlines."""
    try:
        arrangement = parse_arrangement(document, expected_year=expected_year)
    except ArrangementError as exc:
        raise ValidationFailed(
            _("放假安排数据有误"), fields={"arrangement": "；".join(exc.problems)}
        ) from exc
    current = ensure_calendar()
    years = dict(current.data["years"])
    years[str(arrangement.year)] = arrangement.to_document()
    snapshot = {**current.data, "years": years}
    snapshot.pop("reverted_to", None)
    snapshot.pop("at", None)
    comment = comment or _("导入%(year)d年放假安排", year=arrangement.year)
    version = _new_version(snapshot, actor=actor, comment=comment)
    recomputed = recompute_provisional_deadlines() if version is not None else []
    db.session.flush()
    return ImportResult(arrangement.year, version, recomputed)


def replace_overlay(entries: Any, *, actor: User | None = None, comment: str = "") -> CalendarVersion | None:
    """Replace the Hubei overlay (each entry with its source) as a new calendar version."""
    try:
        parse_overlay(entries)
    except ArrangementError as exc:
        raise ValidationFailed(_("省级调整数据有误"), fields={"overlay": "；".join(exc.problems)}) from exc
    current = ensure_calendar()
    snapshot = {"years": current.data["years"], "overlay": list(entries)}
    version = _new_version(snapshot, actor=actor, comment=comment or _("修改湖北省级调整"))
    if version is not None:
        recompute_provisional_deadlines()
    db.session.flush()
    return version


def year_arrangement(year: int) -> YearArrangement:
    """The arrangement of `year` on the active calendar (official or provisional)."""
    try:
        return active_calendar().arrangement(year)
    except ValueError as exc:
        raise NotFound(str(exc)) from exc


@dataclass(frozen=True)
class Taken:
    """How long a step took, as the §26 figures count it, and on which calendar version."""

    days: int  # working days from receipt to completion, the receiving day not counted
    on_time: bool  # done by its due time (no due time: on time)
    calendar: int  # the calendar version the days were counted on


def active_version() -> int:
    """The id of the active calendar's version (the active calendar is always a stored version)."""
    version = active_calendar().version
    return version if isinstance(version, int) else 0


def time_taken(received_at: datetime, done_at: datetime, due_at: datetime | None) -> Taken:
    """A finished step's working days and punctuality on the active calendar (stored when the step ends, #30)."""
    days = working_days_taken(active_calendar(), received_at, done_at)
    return Taken(days, due_at is None or done_at <= due_at, active_version())
