"""The one clock: every "now" in GovShare comes from here.

Tests freeze and advance it; the CLI's --now sets it for one command; with ALLOW_CLOCK_OVERRIDE a running
demo server can be moved through the API. Times are timezone-aware UTC.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_lock = threading.Lock()
_frozen: datetime | None = None
# A simulation (the analyst studio's test run) sees its own moment; other requests and threads do not.
_simulated: ContextVar[datetime | None] = ContextVar("govshare_simulated_now", default=None)


def now() -> datetime:
    """The current time, UTC, aware; the frozen time when the clock is frozen; a simulation's moment inside
    `simulated()`."""
    moment = _simulated.get()
    if moment is not None:
        return moment
    frozen = _frozen
    return frozen if frozen is not None else datetime.now(UTC)


@contextmanager
def simulated(at: datetime) -> Iterator[None]:
    """Within the block, in this context only, now() is `at` (a test run of a model on a chosen day)."""
    token = _simulated.set(as_utc(at))
    try:
        yield
    finally:
        _simulated.reset(token)


def local_now() -> datetime:
    """The current time in Asia/Shanghai."""
    return now().astimezone(SHANGHAI)


def parse_moment(value: str | datetime) -> datetime:
    """An ISO-8601 time (or a datetime); without an offset it is read as Beijing time. ValueError if malformed."""
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive value is read as UTC (how the database returns it)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def freeze(at: datetime) -> None:
    """Stop the clock at `at` (a naive value is read as Asia/Shanghai, the users' zone)."""
    global _frozen
    if at.tzinfo is None:
        at = at.replace(tzinfo=SHANGHAI)
    with _lock:
        _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward by `delta` and return the new time."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("the clock is not frozen")
        _frozen = _frozen + delta
        return _frozen


def unfreeze() -> None:
    """Let the clock follow the wall clock again."""
    global _frozen
    with _lock:
        _frozen = None


def is_frozen() -> bool:
    """True while the clock is frozen."""
    return _frozen is not None


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze the clock for the duration of a with-block, then restore what was there."""
    global _frozen
    previous = _frozen
    freeze(at)
    try:
        yield
    finally:
        with _lock:
            _frozen = previous


def local_datetime(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time (or an ISO text with its offset, as JSON columns keep times) as Beijing time text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = parse_moment(value)
    return as_utc(value).astimezone(SHANGHAI).strftime(fmt)


def local_date(value: date | None) -> str:
    """A date as YYYY-MM-DD."""
    return "—" if value is None else value.isoformat()
