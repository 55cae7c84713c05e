"""Prometheus metrics (#32, GET /metrics): request latency by endpoint and gateway decisions, counted in each
process (across gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set, prometheus-client's multiprocess
mode); the state of the work — open and overdue tasks by step, timer lag, outboxes, scheduled jobs — read from
the database when scraped, so every process answers the same. Only for the operator's networks or a token."""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from app import clock
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.extensions import db, limiter
from app.health import JobState
from app.notices.models import MailOutbox
from app.sharing.models import NationalRequest, NationalRequestStatus

REQUEST_SECONDS = Histogram(
    "govshare_request_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GATEWAY_DECISIONS = Counter(
    "govshare_gateway_decisions_total",
    "Exchange-gateway checks, by outcome and reason",
    ["outcome", "reason"],
)


def gateway_decided(permit: bool, reason: str) -> None:
    """Count one gateway check."""
    GATEWAY_DECISIONS.labels("permit" if permit else "deny", reason).inc()


def _observed(response):
    started = g.get("started")  # the request's start, taken once for the log and the metrics (logs.install)
    if started is not None and request.endpoint != "metrics":
        REQUEST_SECONDS.labels(request.endpoint or "unknown", request.method).observe(
            time.perf_counter() - started
        )
    return response


class WorkCollector:
    """The state of the work, read from the database at each scrape (one small query per family)."""

    def collect(self):
        now = clock.now()
        open_tasks = GaugeMetricFamily(
            "govshare_open_tasks", "Open human tasks, by process and step", labels=["process", "step"]
        )
        overdue = GaugeMetricFamily(
            "govshare_overdue_tasks",
            "Open tasks past their deadline, by process and step",
            labels=["process", "step"],
        )
        rows = db.session.execute(
            select(
                HumanTask.process_id,
                HumanTask.spec_name,
                func.count(),
                func.count().filter(HumanTask.due_at < now),
            )
            .where(HumanTask.status == TaskStatus.OPEN)
            .group_by(HumanTask.process_id, HumanTask.spec_name)
        )
        for process, step, count, late in rows:
            open_tasks.add_metric([process, step], count)
            overdue.add_metric([process, step], late)
        yield open_tasks
        yield overdue
        oldest = db.session.scalar(
            select(func.min(ProcessInstance.next_timer_at)).where(ProcessInstance.next_timer_at <= now)
        )
        yield GaugeMetricFamily(
            "govshare_timer_lag_seconds",
            "How long the oldest due timer has waited to fire (0: none waiting)",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        backlog = GaugeMetricFamily(
            "govshare_outbox_backlog", "Messages waiting to be sent, by outbox", labels=["outbox"]
        )
        failing = GaugeMetricFamily(
            "govshare_outbox_failing",
            "Waiting messages whose last attempt failed (mail), or given up (national)",
            labels=["outbox"],
        )
        mail_waiting, mail_failing = db.session.execute(
            select(func.count(), func.count().filter(MailOutbox.attempts > 0)).where(
                MailOutbox.sent_at.is_(None)
            )
        ).one()
        backlog.add_metric(["mail"], mail_waiting)
        failing.add_metric(["mail"], mail_failing)
        national = dict(
            db.session.execute(
                select(NationalRequest.status, func.count()).group_by(NationalRequest.status)
            ).all()
        )
        backlog.add_metric(["national"], national.get(NationalRequestStatus.QUEUED, 0))
        failing.add_metric(["national"], national.get(NationalRequestStatus.FAILED, 0))
        yield backlog
        yield failing
        runs = CounterMetricFamily("govshare_job_runs", "Runs of each scheduled job", labels=["job"])
        failures = CounterMetricFamily(
            "govshare_job_failures", "Failed runs of each scheduled job", labels=["job"]
        )
        last = GaugeMetricFamily(
            "govshare_job_last_run_timestamp_seconds", "When each job last finished", labels=["job"]
        )
        for state in db.session.scalars(select(JobState)):
            runs.add_metric([state.job_id], state.runs or 0)
            failures.add_metric([state.job_id], state.failures or 0)
            if state.last_finished_at:
                last.add_metric([state.job_id], state.last_finished_at.timestamp())
        yield runs
        yield failures
        yield last


def allowed() -> bool:
    """The scraper is on an allowed network, or shows the metrics token."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = [
        n.strip() for n in current_app.config.get("METRICS_ALLOW_NETWORKS", "").split(",") if n.strip()
    ]
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def metrics() -> Response:
    """The Prometheus text format: this process's (or every worker's) counters, then the work's state."""
    if not allowed():
        return Response("forbidden\n", status=403, mimetype="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    work = CollectorRegistry()
    work.register(WorkCollector())
    return Response(counted + generate_latest(work), mimetype=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    """Time every request (from the start logs.install records); serve /metrics (no sign-in, no rate limit: it is
    the scraper's)."""
    app.after_request(_observed)
    app.add_url_rule("/metrics", "metrics", limiter.exempt(metrics))
