"""The APScheduler process (an entry point, like the CLI): it wakes due timers, probes data services, keeps the
monthly §26 report, checkpoints the audit chain, watches data freshness (§17), tells applicants of
authorizations about to expire and beats a heartbeat for /readyz; in the
web process (development/demo) or alone (`govshare scheduler`).

Several processes may run it at once: the sweep locks due instances with SKIP LOCKED on PostgreSQL and every
save is version-checked, so no timer fires twice.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app import clock, health
from app.audit.checkpoints import write_checkpoint
from app.engine.runtime import SweepResult, fire_timer_batch
from app.errors import Conflict
from app.extensions import db
from app.notices import mailer
from app.ops import logs
from app.sharing import national
from app.sharing.services import notify_expiring
from app.supervision import stats
from app.supervision.calls import probe_services
from app.supervision.freshness import watch
from app.supervision.partitions import keep_calls
from app.supervision.reports import generate_last_month
from app.transactions import unit_of_work

log = logging.getLogger(__name__)


def _guarded(app: Flask, job_id: str, job: Callable[[], object]) -> None:
    """Run one job inside an app context as one unit of work (a job that needs several, like the timer sweep,
    opens them itself); errors are logged, never raised into the scheduler. Each run is kept (health.JobState)
    and logged as one line, in a transaction of its own, so a failed job's rollback keeps its record."""
    with app.app_context():
        started, began = clock.now(), time.perf_counter()
        error = None
        try:
            with unit_of_work():
                job()
        except Exception as err:
            log.exception("%s failed", job_id)
            error = f"{type(err).__name__}: {err}"
        duration = (time.perf_counter() - began) * 1000
        logs.job_run(job_id, duration, error)
        try:
            with unit_of_work():
                health.record_job_run(job_id, SCHEDULER_NAME, started, duration, error)
        except Exception:  # noqa: BLE001 — a database that is down: the log line above is the record
            log.warning("run of %s not recorded", job_id, exc_info=True)


def fire_due_timers(
    now: datetime | None = None, *, batch: int = 100, max_instances: int = 10_000
) -> SweepResult:
    """Wake every instance whose timer is due, run it and save it, one transaction per batch. Cost depends on
    the due instances only; after downtime one sweep catches up (every passed deadline fires). Safe with
    several processes: a batch lost to another process is rolled back and left to the next sweep."""
    now = now or clock.now()
    result = SweepResult()
    while result.instances + result.skipped < max_instances:
        done = None
        try:
            with unit_of_work():
                done = fire_timer_batch(now, batch)
                if done.lost:
                    raise _BatchLost  # roll the batch back
        except (_BatchLost, Conflict):  # lost while running, or at commit: nothing of the batch was kept
            if done is not None:
                result.skipped += done.skipped + done.due
            break
        result.skipped += done.skipped
        for instance_id, fired, incidents in done.fired:
            result.instances += 1
            result.timers_fired += fired
            result.incidents += incidents
            result.instance_ids.append(instance_id)
        if done.due < batch:
            break
    return result


class _BatchLost(Exception):
    """Another process wrote while a batch was read (SQLite): nothing of the batch is kept."""


def _fire_timers() -> None:
    result = fire_due_timers()
    if result.instances:
        log.info("timer sweep: %s instances, %s timers fired", result.instances, result.timers_fired)


def sweep(app: Flask) -> None:
    """One timer sweep."""
    _guarded(app, "timer-sweep", _fire_timers)


def probe(app: Flask) -> None:
    """Health probes of data services with a health URL (§26 availability)."""
    _guarded(app, "service-probes", probe_services)


def monthly_report(app: Flask) -> None:
    """Generate and keep last month's §26 report (once; later runs find it kept)."""
    _guarded(app, "monthly-report", generate_last_month)


def audit_checkpoint(app: Flask) -> None:
    """Append the audit chain's head to the checkpoint file outside the database (§27)."""
    _guarded(app, "audit-checkpoint", lambda: write_checkpoint(db.session()))


def _expiry_notices(app: Flask) -> None:
    told = notify_expiring(clock.local_now().date(), app.config["AUTHORIZATION_EXPIRY_NOTICE_DAYS"])
    if told:
        log.info("expiry notices: %s authorizations", told)


def expiry_notices(app: Flask) -> None:
    """Tell applicants about authorizations ending within the notice period (once each)."""
    _guarded(app, "expiry-notices", lambda: _expiry_notices(app))


def _freshness() -> None:
    opened = watch(clock.now())
    if opened:
        log.info("freshness watch: %s quality issues opened", opened)


def freshness(app: Flask) -> None:
    """Data older than its catalog update cycle opens a §17 quality issue (once per resource while open)."""
    _guarded(app, "freshness-watch", _freshness)


def run_outbox(
    due: Callable[[], list[int]],
    claim: Callable[[int], dict | None],
    call: Callable[[dict], tuple[Any, str | None]],
    settle: Callable[[int, Any, str | None], Any],
) -> Counter:
    """Work through an outbox: for each due row, claim it (one transaction, committed, so no other process
    takes it), make the network call with no transaction open, then record the outcome (a second
    transaction). What `settle` returned, counted."""
    with unit_of_work():
        ids = due()
    outcomes: Counter = Counter()
    for row_id in ids:
        with unit_of_work():
            taken = claim(row_id)
        if taken is None:
            continue  # another process has it
        answer, error = call(taken)
        with unit_of_work():
            outcomes[settle(row_id, answer, error)] += 1
    return outcomes


def deliver_mail() -> Counter:
    """Send the mails that are due; a mail server that is down loses nothing (retried with a pause)."""
    return run_outbox(
        mailer.due_mail_ids,
        mailer.claim,
        lambda mail: (None, mailer.send(mail)),
        lambda mail_id, _answer, error: "sent" if mailer.settle(mail_id, error) else "failed",
    )


def deliver_national_requests() -> Counter:
    """Forward the queued lines to the 国家共享平台 and deliver its answers to the cases (办法§18)."""
    if not national.endpoint():
        return Counter()
    return run_outbox(national.due_request_ids, national.claim, national.call, national.settle)


def mail(app: Flask) -> None:
    """Send the notices waiting in the outbox (retried until the mail server takes them)."""
    _guarded(app, "mail", deliver_mail)


def national_outbox(app: Flask) -> None:
    """Call the 国家共享平台 for the queued cross-province lines (§18), outside any transaction."""
    _guarded(app, "national-outbox", deliver_national_requests)


def _digests(app: Flask) -> None:
    kept = mailer.queue_digests(clock.local_now().date())
    if kept:
        log.info("daily digests: %s", kept)


def digests(app: Flask) -> None:
    """Each morning: the tasks due today and overdue, to those who chose e-mail (once a day each)."""
    _guarded(app, "digests", lambda: _digests(app))


def calls_rollup(app: Flask) -> None:
    """Sum the data calls of closed months (and of months a late report made stale) for the §26 figures; make
    the coming months' partitions (PostgreSQL); drop raw calls past DATA_CALL_RETENTION_MONTHS."""
    _guarded(app, "calls-rollup", lambda: keep_calls(app.config["DATA_CALL_RETENTION_MONTHS"]))


def step_days(app: Flask) -> None:
    """The §26 figures of finished steps that have none or were counted on an older calendar (#30)."""
    _guarded(app, "step-days", stats.keep_step_figures)


def heartbeat(app: Flask) -> None:
    """This scheduler is alive (GET /readyz is not ready when no scheduler has beaten lately)."""
    _guarded(app, "heartbeat", lambda: health.beat(SCHEDULER_NAME))


SCHEDULER_NAME = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Job:
    """One scheduled job: its id (README, the job table), its name on the 定时任务 page, what runs, its trigger
    from the configuration (an interval, or a daily time in Beijing time), and whether the 系统管理员 may run it
    at once (立即执行) — every job may, as a run does only what is due, once; not the heartbeat, which only a
    scheduler beats."""

    id: str
    title: str
    run: Callable[[Flask], None]
    trigger: Callable[[Any], dict[str, Any]]
    by_hand: bool = True


JOBS: tuple[Job, ...] = (
    Job(
        "timer-sweep",
        "期限定时器（到期提醒、超期督办）",
        sweep,
        lambda c: {"trigger": "interval", "seconds": c["TIMER_SWEEP_SECONDS"]},
    ),
    Job(
        "service-probes",
        "数据服务可用性探测",
        probe,
        lambda c: {"trigger": "interval", "seconds": c["PROBE_INTERVAL_SECONDS"]},
    ),
    Job(
        "audit-checkpoint",
        "审计链检查点",
        audit_checkpoint,
        lambda c: {"trigger": "interval", "minutes": c["AUDIT_CHECKPOINT_MINUTES"]},
    ),
    Job("expiry-notices", "授权到期提醒", expiry_notices, lambda c: {"trigger": "cron", "hour": 8}),
    Job("mail", "发送邮件通知", mail, lambda c: {"trigger": "interval", "seconds": c["MAIL_SWEEP_SECONDS"]}),
    Job(
        "national-outbox",
        "转国家共享平台",
        national_outbox,
        lambda c: {"trigger": "interval", "seconds": c["NATIONAL_OUTBOX_SECONDS"]},
    ),
    Job("digests", "每日待办摘要邮件", digests, lambda c: {"trigger": "cron", "hour": 7, "minute": 30}),
    # Daily at 02:00: makes last month's report on the 1st, and catches up after downtime.
    Job("monthly-report", "月度统计报告", monthly_report, lambda c: {"trigger": "cron", "hour": 2}),
    Job(
        "freshness-watch",
        "数据更新及时性检查",
        freshness,
        lambda c: {"trigger": "interval", "minutes": c["FRESHNESS_WATCH_MINUTES"]},
    ),
    Job("calls-rollup", "调用记录汇总与分区", calls_rollup, lambda c: {"trigger": "cron", "hour": 3}),
    Job(
        "step-days",
        "办理用时统计",
        step_days,
        lambda c: {"trigger": "interval", "minutes": c["STEP_DAYS_MINUTES"]},
    ),
    Job(
        "heartbeat",
        "调度心跳",
        heartbeat,
        lambda c: {"trigger": "interval", "seconds": c["SCHEDULER_HEARTBEAT_SECONDS"]},
        by_hand=False,
    ),
)
JOBS_BY_ID = {job.id: job for job in JOBS}


def run_now(app: Flask, job_id: str) -> None:
    """立即执行: one run of a job as the scheduler runs it (its own unit of work and record)."""
    job = JOBS_BY_ID.get(job_id)
    if job is None or not job.by_hand:
        raise LookupError(job_id)
    job.run(app)


def add_jobs(scheduler, app: Flask) -> None:
    """Every scheduled job (README, 定时任务) in `scheduler`'s job table, with its trigger; the heartbeat beats
    at once."""
    for job in JOBS:
        trigger = job.trigger(app.config)
        if job.id == "heartbeat":
            trigger["next_run_time"] = datetime.now(UTC)
        scheduler.add_job(job.run, args=[app], id=job.id, max_instances=1, coalesce=True, **trigger)


def start_background(app: Flask) -> BackgroundScheduler:
    """Run the sweep every TIMER_SWEEP_SECONDS in a background thread of this process."""
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    add_jobs(scheduler, app)
    scheduler.start()
    return scheduler


def run_blocking(app: Flask) -> None:
    """Run only the scheduler, in the foreground (production: its own process)."""
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    add_jobs(scheduler, app)
    log.info("scheduler started: timer sweep every %s s", app.config["TIMER_SWEEP_SECONDS"])
    scheduler.start()
