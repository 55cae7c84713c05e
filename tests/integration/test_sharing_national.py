"""Cross-province data through the 国家共享平台 (办法§18): a configurable endpoint reached through an outbox (the
case records the request, the scheduler's `national-outbox` job calls the platform outside any transaction and
delivers the answer to the case), with a manual fallback, retries, and an incident when the platform stays down."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app import clock
from app.audit.models import AuditEvent
from app.engine import runtime
from app.engine.models import Incident, ProcessInstance
from app.extensions import db
from app.sharing import services
from app.sharing.models import Authorization, Decision, NationalRequest
from app.transactions import unit_of_work
from tests.conftest import user
from tests.integration.test_operability import _job_table, _run
from tests.integration.test_sharing import application_data, at, open_tasks, task

NATIONAL = "全国人口基础信息（跨省核验）"


@pytest.fixture
def national_platform(app, monkeypatch):
    """A stand-in 国家共享平台 on loopback that answers with whatever the test sets."""
    received: list[dict] = []
    state = {"answer": {"decision": "granted", "reference": "GJ-2026-0001"}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            answer = state["answer_fn"]() if "answer_fn" in state else state["answer"]
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(
        app.config, "NATIONAL_PLATFORM_ENDPOINT", f"http://127.0.0.1:{server.server_port}/apply"
    )
    yield state, received
    server.shutdown()


def _accepted(applicant: str, operator: str, *names: str) -> str:
    at("2026-11-02T10:00:00+08:00")
    with unit_of_work():
        number = services.submit_application(user(applicant), application_data(*names)).number
    with unit_of_work():
        runtime.complete_task(task(number, "normative_check").id, user(operator), {"accepted": True})
    return number


def _outbox_job(app) -> None:
    """One run of the scheduler's national-outbox job, from its job table (its own app context)."""
    _run(_job_table(app)["national-outbox"])
    db.session.expire_all()


def _line():
    return services.applications_of(user("rst_applicant").department_id)[0].lines[0]


def test_without_an_endpoint_the_provincial_operator_forwards_by_hand(content):
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    line = _line()
    assert (line.route, line.via_upper_platform) == ("national", False)
    manual = task(number, "national_manual")
    assert manual.label == f"经国家共享平台申请（人工）：{NATIONAL}"
    assert manual.candidate_department_id == user("hb_operator").department_id
    with pytest.raises(Exception):  # noqa: B017 — the form requires the national reference number
        runtime.complete_task(manual.id, user("hb_operator"), {"granted": True})
    runtime.complete_task(manual.id, user("hb_operator"), {"national_reference": "GJ-88", "granted": True})
    line = db.session.get(type(line), line.id)
    assert line.decision == Decision.GRANTED and "GJ-88" in line.decision_basis
    assert db.session.scalar(db.select(db.func.count(Authorization.id))) == 1
    assert db.session.scalar(db.select(db.func.count(NationalRequest.id))) == 0  # nothing queued


def test_a_configured_endpoint_is_called_by_the_scheduler_and_its_answer_reaches_the_case(
    app, content, national_platform
):
    state, received = national_platform
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    assert received == []  # completing the check made no network call
    (request,) = db.session.scalars(db.select(NationalRequest)).all()
    assert (request.status, request.business_key) == ("queued", number)
    assert open_tasks(number) == {}  # the case waits for the answer
    _outbox_job(app)
    assert received and received[0]["application"] == number and received[0]["resource_name"] == NATIONAL
    assert open_tasks(number) == {}
    line = _line()
    assert line.decision == Decision.GRANTED and "GJ-2026-0001" in line.decision_basis
    assert db.session.get(NationalRequest, request.id).status == "answered"
    _outbox_job(app)
    assert len(received) == 1  # answered once, never called again


def test_the_platform_is_called_with_no_lock_held_on_the_case(app, content, national_platform):
    """While the platform is answering, another transaction can write the case's instance row: the outbox
    claimed the request and committed before calling (a lock held across the call would block it)."""
    state, received = national_platform
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    instance_id = db.session.scalar(
        db.select(ProcessInstance.id).where(
            ProcessInstance.business_key == number, ProcessInstance.process_id == "resource_authorization"
        )
    )
    written = []

    def while_answering():
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                db.session.execute(db.text("SET LOCAL lock_timeout = '2s'"))
            db.session.execute(
                db.text("UPDATE process_instance SET updated_at = updated_at WHERE id = :id"),
                {"id": instance_id},
            )
            db.session.commit()
            written.append(instance_id)
        return {"decision": "refused", "reasons": "对方省份不同意", "reference": "GJ-3"}

    state["answer_fn"] = while_answering
    _outbox_job(app)
    assert written == [instance_id]
    assert _line().decision == Decision.REFUSED


def test_a_pending_answer_falls_back_to_the_operator(app, content, national_platform):
    state, _received = national_platform
    state["answer"] = {"decision": "pending", "reference": "GJ-2026-0002"}
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    _outbox_job(app)
    assert task(number, "national_manual").status == "open"


def test_an_unreachable_platform_is_retried_then_handed_to_the_operator_with_an_incident(
    app, content, monkeypatch
):
    monkeypatch.setitem(app.config, "NATIONAL_PLATFORM_ENDPOINT", "http://127.0.0.1:9/unreachable")
    monkeypatch.setitem(app.config, "NATIONAL_PLATFORM_TIMEOUT", 2)
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    _outbox_job(app)
    (request,) = db.session.scalars(db.select(NationalRequest)).all()
    assert (request.status, request.attempts) == ("queued", 1) and "URLError" in request.last_error
    assert open_tasks(number) == {}  # still waiting: it is retried after a pause
    _outbox_job(app)
    assert db.session.get(NationalRequest, request.id).attempts == 1  # not before its pause
    for pause in (1, 5, 15, 60):
        clock.freeze(clock.now() + timedelta(minutes=pause))
        _outbox_job(app)
    request = db.session.get(NationalRequest, request.id)
    assert (request.status, request.attempts) == ("failed", 5)
    assert task(number, "national_manual").status == "open"
    failures = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "national.forward_failed")
    ).all()
    assert len(failures) == 5 and {f.object_id for f in failures} == {number}
    incident = db.session.scalar(db.select(Incident).where(Incident.resolved_at.is_(None)))
    assert (
        incident.error_type == "NationalPlatformUnavailable" and incident.instance_id == request.instance_id
    )


def test_a_withdrawn_application_is_not_forwarded_after_all(app, content, national_platform):
    _state, received = national_platform
    _accepted("rst_applicant", "hb_operator", NATIONAL)
    with unit_of_work():
        services.withdraw_application(
            user("rst_applicant"),
            services.applications_of(user("rst_applicant").department_id)[0],
            "不再需要",
        )
    _outbox_job(app)
    request = db.session.scalars(db.select(NationalRequest)).one()
    assert request.status == "abandoned" and received == []  # never sent


def test_a_city_applicant_goes_through_the_province_to_the_national_platform(content):
    number = _accepted("wh_applicant", "wh_operator", NATIONAL)
    upper = task(number, "upper_check")
    assert upper.candidate_department_id == user("hb_operator").department_id
    runtime.complete_task(upper.id, user("hb_operator"), {"accepted": True})
    assert task(number, "national_manual").candidate_department_id == user("hb_operator").department_id
