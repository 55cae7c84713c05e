"""Cross-province data through the 国家共享平台 (办法§18): a configurable endpoint, with a manual fallback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.audit.models import AuditEvent
from app.engine import runtime
from app.extensions import db
from app.sharing import services
from app.sharing.models import Authorization, Decision
from tests.conftest import user
from tests.test_sharing import application_data, at, open_tasks, task

NATIONAL = "全国人口基础信息（跨省核验）"


@pytest.fixture
def national_platform(app, monkeypatch):
    """A stand-in 国家共享平台 on loopback that answers with whatever the test sets."""
    received: list[dict] = []
    state = {"answer": {"decision": "granted", "reference": "GJ-2026-0001"}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps(state["answer"]).encode()
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
    number = services.submit_application(user(applicant), application_data(*names)).number
    runtime.complete_task(task(number, "normative_check").id, user(operator), {"accepted": True})
    return number


def test_without_an_endpoint_the_provincial_operator_forwards_by_hand(content):
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    line = services.applications_of(user("rst_applicant").department_id)[0].lines[0]
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


def test_a_configured_endpoint_answers_and_no_one_has_to_forward(content, national_platform):
    state, received = national_platform
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    assert received and received[0]["application"] == number and received[0]["resource_name"] == NATIONAL
    assert open_tasks(number) == {}
    line = services.applications_of(user("rst_applicant").department_id)[0].lines[0]
    assert line.decision == Decision.GRANTED and "GJ-2026-0001" in line.decision_basis


def test_a_pending_answer_falls_back_to_the_operator(content, national_platform):
    state, _received = national_platform
    state["answer"] = {"decision": "pending", "reference": "GJ-2026-0002"}
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    assert task(number, "national_manual").status == "open"


def test_an_unreachable_endpoint_falls_back_and_is_recorded(app, content, monkeypatch):
    monkeypatch.setitem(app.config, "NATIONAL_PLATFORM_ENDPOINT", "http://127.0.0.1:9/unreachable")
    monkeypatch.setitem(app.config, "NATIONAL_PLATFORM_TIMEOUT", 2)
    number = _accepted("rst_applicant", "hb_operator", NATIONAL)
    assert task(number, "national_manual").status == "open"
    failure = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "national.forward_failed"))
    assert failure.object_id == number


def test_a_city_applicant_goes_through_the_province_to_the_national_platform(content):
    number = _accepted("wh_applicant", "wh_operator", NATIONAL)
    upper = task(number, "upper_check")
    assert upper.candidate_department_id == user("hb_operator").department_id
    runtime.complete_task(upper.id, user("hb_operator"), {"accepted": True})
    assert task(number, "national_manual").candidate_department_id == user("hb_operator").department_id
