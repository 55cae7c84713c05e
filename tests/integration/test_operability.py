"""Operability (#28): every documented scheduled job is in the scheduler's job table and runs from it; the
freshness watch runs from the scheduler and the CLI; /readyz tells a database that refuses writes, a schema
behind the migrations and a stopped scheduler; a database that is down or read-only answers 503, not 500."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from app import clock, create_app
from app.extensions import db
from app.scheduler import add_jobs
from app.sharing.models import QualityIssue
from tests.conftest import api_token, bearer, csrf_token, end_use_case
from tests.integration.test_cli import run
from tests.integration.test_freshness import daily_resource
from tests.integration.test_sharing_http import _body

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _job_table(app) -> dict:
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    add_jobs(scheduler, app)
    return {job.id: job for job in scheduler.get_jobs()}


def _run(job) -> None:
    end_use_case()
    job.func(*job.args, **job.kwargs)


def test_every_documented_job_is_in_the_schedulers_job_table(app):
    section = README[
        README.index("### Scheduled jobs") : README.index("`GET /healthz` is the liveness probe")
    ]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.M))
    assert len(documented) >= 9
    assert set(_job_table(app)) == documented


def _stale_daily_resource(days: int) -> int:
    resource, _service = daily_resource(stale_days=days)
    db.session.commit()
    return resource.id


def test_the_freshness_watch_runs_from_the_schedulers_job_table(app, demo_content):
    with app.app_context():
        resource_id = _stale_daily_resource(5)
        for _ in range(3):  # hourly runs: one issue while it is open
            _run(_job_table(app)["freshness-watch"])
        issues = db.session.scalars(db.select(QualityIssue)).all()
        assert len(issues) == 1 and issues[0].resource_id == resource_id and issues[0].source == "freshness"


def test_the_freshness_watch_runs_once_from_the_command_line(app, demo_content):
    with app.app_context():
        _stale_daily_resource(5)
    result = run(app, "supervision", "freshness")
    assert result.exit_code == 0 and "新开数据质量问题 1 个" in result.output
    assert "新开数据质量问题 0 个" in run(app, "supervision", "freshness").output


def test_ready_only_with_a_writable_database_at_head_and_a_living_scheduler(app, client, seeded):
    assert client.get("/healthz").status_code == 200
    before = client.get("/readyz")
    assert before.status_code == 503 and before.headers["Retry-After"] == "30"
    assert before.get_json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "scheduler": "没有调度进程在运行",
    }
    with app.app_context():
        _run(_job_table(app)["heartbeat"])
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    clock.freeze(clock.now() + timedelta(seconds=3 * app.config["SCHEDULER_HEARTBEAT_SECONDS"] + 1))
    stale = client.get("/readyz")
    assert stale.status_code == 503 and "已超过" in stale.get_json()["checks"]["scheduler"]
    with app.app_context():
        db.session.execute(db.text("UPDATE alembic_version SET version_num = 'a2b6d8f1c4e7'"))
        db.session.commit()
        try:
            behind = client.get("/readyz").get_json()["checks"]["migrations"]
        finally:
            head = next(iter(__import__("app.health", fromlist=["_heads"])._heads()))
            db.session.execute(db.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()
    assert "未升级到最新" in behind


def _copy_of(app, tmp_path, database_url: str):
    """The test database as a file (SQLite), to open read-only."""
    import shutil

    source = database_url.removeprefix("sqlite:///")
    with app.app_context():
        db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    copy = tmp_path / "readonly.db"
    shutil.copy(source, copy)
    return copy


def test_a_read_only_database_serves_reads_and_answers_writes_with_503(
    app, database_url, tmp_path, demo_content
):
    if not database_url.startswith("sqlite"):
        pytest.skip("a read-only SQLite copy; PostgreSQL's read-only mode is covered by the same handler")
    token = api_token(app, "rst_applicant")
    body = _body(app, "婚姻登记信息")
    copy = _copy_of(app, tmp_path, database_url)
    from config import TestingConfig

    class ReadOnly(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///file:{copy}?mode=ro&uri=true"

    readonly = create_app(ReadOnly)
    client = readonly.test_client()
    clock.freeze(clock.now() + timedelta(hours=1))  # the token's last use is due to be noted: it cannot be
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 200
    write = client.post("/api/v1/applications", headers=bearer(token), json=body)
    assert write.status_code == 503 and write.get_json()["error"]["code"] == "database_unavailable"
    assert write.headers["Retry-After"] == "30"
    page = readonly.test_client()
    signed = page.post(
        "/login",
        data={"csrf_token": csrf_token(page), "username": "rst_applicant", "password": "govshare2026"},
    )
    assert signed.status_code == 503 and signed.headers["Retry-After"] == "30"
    assert "数据库暂时不可用或只读" in signed.get_data(as_text=True)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"].startswith("不可写")


def test_a_database_that_is_down_answers_503_not_500(tmp_path):
    from config import TestingConfig

    class Down(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"

    down = create_app(Down)
    client = down.test_client()
    api = client.get("/api/v1/me", headers={"Authorization": "Bearer gs_x"})
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "database_unavailable"
    assert api.headers["Retry-After"] == "30"
    page = client.get("/login")
    assert page.status_code in (200, 503)
    assert client.get("/healthz").status_code == 503
    assert client.get("/readyz").status_code == 503
    refused = client.post("/login", data={"username": "x", "password": "y"})
    assert refused.status_code in (400, 503)
