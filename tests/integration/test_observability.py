"""What the operations team sees (#32): a JSON log line per request and per job run, with the request id; the
定时任务 page from the jobs' own records, 立即执行 through the scheduler's job table; /metrics for the operator's
network or token, with request latency, the work's state and gateway decisions."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from app import clock, create_app
from app.audit.models import AuditEvent
from app.extensions import db
from app.health import JobState
from app.sharing import services
from tests.conftest import csrf_token, end_use_case, login, user
from tests.integration.test_gateway import _ask, _granted_with_binding
from tests.integration.test_operability import _job_table, _run
from tests.integration.test_sharing import application_data


def _json_line(record: logging.LogRecord) -> dict:
    """A record as the app's handler writes it (one JSON line)."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "govshare", False))
    line = handler.format(record)
    assert "\n" not in line
    return json.loads(line)


def test_each_request_is_one_json_line_with_its_id_user_status_and_duration(app, client, seeded, caplog):
    caplog.set_level(logging.INFO, logger="govshare.access")
    login(client, "hb_operator")
    answer = client.get("/tasks", headers={"X-Request-ID": "nginx-0123456789"})
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "nginx-0123456789"
    (record,) = [r for r in caplog.records if r.name == "govshare.access" and r.path == "/tasks"]
    line = _json_line(record)
    assert line["request_id"] == "nginx-0123456789" and line["user"] == "hb_operator"
    assert (line["method"], line["path"], line["status"], line["logger"]) == (
        "GET",
        "/tasks",
        200,
        "govshare.access",
    )
    assert line["duration_ms"] >= 0 and line["remote_addr"] == "127.0.0.1" and line["time"]
    # An id that is not a plain token is replaced by a new one, which the response and the line carry.
    caplog.clear()
    forged = client.get("/tasks", headers={"X-Request-ID": "forged id; drop table"})
    made = forged.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    (record,) = [r for r in caplog.records if r.name == "govshare.access"]
    assert _json_line(record)["request_id"] == made


def test_an_error_is_logged_with_the_id_of_the_request_it_broke(caplog):
    broken = create_app("testing")

    @broken.route("/boom")
    def boom():
        raise RuntimeError("the disk is full")

    caplog.set_level(logging.INFO)
    answer = broken.test_client().get("/boom", headers={"X-Request-ID": "req-boom-0001"})
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "req-boom-0001"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(getattr(r, "request_id", None) == "req-boom-0001" for r in errors)
    line = _json_line(errors[0])
    assert line["request_id"] == "req-boom-0001" and "the disk is full" in line.get("exc_info", "")


def test_jobs_page_shows_each_run_and_runs_a_job_now_as_the_scheduler_would(
    app, client, demo_content, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="govshare.jobs")
    with app.app_context():
        _run(_job_table(app)["heartbeat"])
        # A failing job: recorded with its error, the failure counted, the next job unaffected.
        monkeypatch.setattr("app.scheduler.probe_services", lambda: 1 / 0)
        _run(_job_table(app)["service-probes"])
        state = db.session.get(JobState, "service-probes")
        assert (state.runs, state.failures, state.last_result) == (1, 1, "error")
        assert state.last_error.startswith("ZeroDivisionError")
    lines = [_json_line(r) for r in caplog.records if r.name == "govshare.jobs"]
    assert [(x["job"], x["result"]) for x in lines] == [("heartbeat", "ok"), ("service-probes", "error")]
    assert lines[1]["level"] == "ERROR" and lines[1]["error"].startswith("ZeroDivisionError")
    end_use_case()
    operator = app.test_client()
    login(operator, "hb_operator")
    assert operator.get("/admin/jobs").status_code == 403
    assert (
        operator.post("/admin/jobs/mail/run", data={"csrf_token": csrf_token(operator, "/tasks")}).status_code
        == 403
    )
    login(client, "admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "调度心跳" in page and "数据服务可用性探测" in page and "ZeroDivisionError" in page
    assert page.count("尚未运行") == 10  # the twelve jobs less the two that ran
    assert 'action="/admin/jobs/heartbeat/run"' not in page  # only a scheduler beats
    ran = client.post(
        "/admin/jobs/freshness-watch/run", data={"csrf_token": csrf_token(client, "/admin/jobs")}
    )
    assert ran.status_code == 302
    assert "已执行：数据更新及时性检查" in client.get("/admin/jobs").get_data(as_text=True)
    assert (
        client.post(
            "/admin/jobs/heartbeat/run", data={"csrf_token": csrf_token(client, "/admin/jobs")}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(JobState, "freshness-watch").runs == 1
        audited = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "scheduler.run_now"))
        assert audited.object_id == "freshness-watch" and audited.actor_name == "admin"


def _sample(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_for_the_operators_network_or_token_with_latency_work_and_gateway_decisions(
    app, client, content, monkeypatch
):
    authorization, granted, token = _granted_with_binding()
    before = client.get("/metrics").get_data(as_text=True)
    _ask(client, token, items=granted)
    _ask(client, token, items=granted, business_system="武汉市城市大脑")
    _run(_job_table(app)["heartbeat"])
    text = client.get("/metrics").get_data(as_text=True)
    for outcome, reason in (("permit", "permitted"), ("deny", "wrong_system")):
        added = _sample(text, "govshare_gateway_decisions_total", outcome=outcome, reason=reason) - _sample(
            before, "govshare_gateway_decisions_total", outcome=outcome, reason=reason
        )
        assert added == 1, (outcome, reason)
    assert _sample(text, "govshare_request_seconds_count", endpoint="gateway.check", method="POST") >= 2
    assert _sample(text, "govshare_job_runs_total", job="heartbeat") == 1
    assert "govshare_timer_lag_seconds" in text and "govshare_outbox_backlog" in text
    # A new application waits for its check: open, then overdue once its 3 working days have passed.
    services.submit_application(user("wh_applicant"), application_data("人口基础信息"))
    db.session.commit()
    step = {"process": "share_application", "step": "normative_check"}
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        _sample(text, "govshare_open_tasks", **step) == 1
        and _sample(text, "govshare_overdue_tasks", **step) == 0
    )
    clock.freeze(clock.now() + timedelta(days=10))
    assert _sample(client.get("/metrics").get_data(as_text=True), "govshare_overdue_tasks", **step) == 1
    # Not for other networks, unless with the token.
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=elsewhere).status_code == 403
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "m" * 16 + "etrics-token-0123")
    wrong = client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = {"Authorization": "Bearer " + "m" * 16 + "etrics-token-0123"}
    assert client.get("/metrics", environ_base=elsewhere, headers=right).status_code == 200
