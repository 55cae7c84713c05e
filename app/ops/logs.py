"""Logs as the operations team reads them (#32): one JSON line per request — time, request id (the proxy's
X-Request-ID or a new one, echoed in the response), user, method, path, status, duration — and per scheduled
job run; errors carry the request id of the request they broke."""

from __future__ import annotations

import logging
import sys
import time

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from pythonjsonlogger.json import JsonFormatter

ACCESS = logging.getLogger("govshare.access")
JOBS = logging.getLogger("govshare.jobs")
_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RequestContext(logging.Filter):
    """Every record made while a request runs carries its id (an error's traceback line included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


def configure(log_format: str, level: str) -> None:
    """One handler on the root logger, on stderr (systemd's journal), JSON lines or plain text."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                _FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,  # Chinese as written, one UTF-8 line
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "govshare", False)]:
        root.removeHandler(old)
    handler.govshare = True  # type: ignore[attr-defined]  # ours, replaced when another app is made
    root.addHandler(handler)
    root.setLevel(level)


def _started() -> None:
    g.started = time.perf_counter()


def _user() -> str | None:
    try:
        return current_user.username if current_user and current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 — a request that failed before the user was loaded
        return None


def _logged(response):
    """The access line of a request (static files included: nginx may serve them, then they never get here)."""
    started = g.get("started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    ACCESS.info(
        "request",
        extra={
            "request_id": g.get("request_id"),
            "user": _user(),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration,
            "remote_addr": request.remote_addr,
            "endpoint": request.endpoint,
        },
    )
    return response


def run_first(app: Flask, hook) -> None:
    """Put `hook` before every other before-request function registered so far (the extensions' checks)."""
    app.before_request_funcs.setdefault(None, []).insert(0, hook)


def install(app: Flask) -> None:
    """Time each request from its very start and log it when its response is ready (refused ones too)."""
    run_first(app, _started)
    app.after_request(_logged)


def job_run(job_id: str, duration_ms: float, error: str | None) -> None:
    """The log line of one scheduled job run."""
    (JOBS.error if error else JOBS.info)(
        "job",
        extra={
            "job": job_id,
            "duration_ms": round(duration_ms, 1),
            "result": "error" if error else "ok",
            "error": error,
        },
    )
