"""Disputes (办法§25): positions from every party, the platform's negotiation, the leadership office's decision."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app import clock
from app.engine import runtime
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.sharing import disputes, objections, services
from app.sharing.models import Authorization, DisputeStatus
from tests.conftest import login, user
from tests.integration.test_sharing import application_data, at, notes_for, task


def refused_line():
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(
        task(number, "provider_authorization").id,
        user("mz_clerk"),
        {"granted": False, "reasons": "用途超出共享条件", "basis": "目录共享条件"},
    )
    return services.applications_of(user("rst_applicant").department_id)[0].lines[0]


def positions(number: str) -> None:
    for spec, username, text in (
        ("position_applicant", "rst_applicant", "待遇资格认证属于社会救助范畴"),
        ("position_provider", "mz_clerk", "共享条件仅列明民政、法院等部门"),
        ("position_platform", "hb_operator", "建议按最小必要原则授权核验接口"),
    ):
        runtime.complete_task(task(number, spec).id, user(username), {"position": text})


def test_disputed_refusal_escalated_and_decided_by_the_leadership_office(content):
    line = refused_line()
    at("2026-11-04T10:00:00+08:00")
    dispute = disputes.raise_dispute(
        user("rst_applicant"), topic="result", description="认为应予授权", line=line
    )
    number = dispute.number
    deadlines = {
        t: task(number, t).due_date for t in ("position_applicant", "position_provider", "position_platform")
    }
    assert set(deadlines.values()) == {date(2026, 11, 11)}  # 5 WD after Wednesday 11-04
    assert task(number, "position_provider").candidate_department_id == user("mz_clerk").department_id
    assert task(number, "position_platform").candidate_department_id == user("hb_operator").department_id
    positions(number)
    negotiation = task(number, "negotiation")
    with pytest.raises(ValidationFailed):
        runtime.complete_task(negotiation.id, user("hb_operator"), {"agreed": False})  # minutes are required
    runtime.complete_task(
        negotiation.id, user("hb_operator"), {"agreed": False, "minutes": "三方各执己见，未达成一致"}
    )
    coordination = task(number, "coordination")
    assert coordination.candidate_role == "leadership_office"
    assert coordination.candidate_department_id == user("leader").department_id
    with pytest.raises(PermissionDenied):
        runtime.complete_task(coordination.id, user("hb_operator"), {"outcome": "grant", "reasons": "x"})
    runtime.complete_task(
        coordination.id, user("leader"), {"outcome": "grant", "reasons": "属于履职需要，按最小必要原则授权"}
    )
    dispute = disputes.get_dispute(user("leader"), number)
    assert (dispute.status, dispute.outcome, dispute.decided_by_id) == (
        DisputeStatus.DECIDED,
        "grant",
        user("leader").id,
    )
    assert set(dispute.positions) == {"applicant", "provider", "platform"}
    authorization = db.session.scalars(db.select(Authorization)).one()
    assert authorization.line_id == line.id and authorization.decided_by_id == user("leader").id
    for username in ("rst_applicant", "mz_clerk", "hb_operator"):
        assert any(number in m and "协调决定" in m and "予以授权" in m for m in notes_for(username)), username


def test_agreed_negotiation_is_applied_without_escalation(content):
    line = refused_line()
    number = disputes.raise_dispute(
        user("mz_clerk"), topic="conditions", description="共享条件表述需完善", line=line
    ).number
    positions(number)
    with pytest.raises(ValidationFailed):
        runtime.complete_task(
            task(number, "negotiation").id, user("hb_operator"), {"agreed": True, "minutes": "一致"}
        )
    runtime.complete_task(
        task(number, "negotiation").id,
        user("hb_operator"),
        {"agreed": True, "minutes": "同意维持原决定，提供部门完善共享条件", "outcome": "uphold"},
    )
    dispute = disputes.get_dispute(user("rst_applicant"), number)
    assert (dispute.status, dispute.outcome) == (DisputeStatus.AGREED, "uphold")
    assert db.session.scalar(db.select(db.func.count(Authorization.id))) == 0


def test_who_may_raise_a_dispute_and_when(content):
    line = refused_line()
    with pytest.raises(PermissionDenied):
        disputes.raise_dispute(user("wh_applicant"), topic="result", description="x", line=line)
    with pytest.raises(ValidationFailed) as info:
        disputes.raise_dispute(user("rst_applicant"), topic="weather", description="", line=line)
    assert set(info.value.fields) == {"topic", "description"}
    at("2026-11-05T10:00:00+08:00")
    pending = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).lines[0]
    with pytest.raises(ValidationFailed):
        disputes.raise_dispute(user("rst_applicant"), topic="reasons", description="x", line=pending)


def test_a_disputed_objection_goes_to_coordination(content):
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    authorization = db.session.scalars(db.select(Authorization)).one()
    objection = objections.raise_objection(user("rst_applicant"), authorization, {"description": "数据有误"})
    with pytest.raises(ValidationFailed):
        disputes.raise_dispute(user("rst_applicant"), topic="result", description="x", objection=objection)
    runtime.complete_task(
        task(objection.number, "verify").id, user("mz_clerk"), {"outcome": "explained", "explanation": "无误"}
    )
    runtime.complete_task(
        task(objection.number, "review").id, user("rst_applicant"), {"accepted": False, "comment": "仍有误"}
    )
    dispute = disputes.raise_dispute(
        user("rst_applicant"), topic="result", description="校核结论有误", objection=objection
    )
    assert dispute.objection_id == objection.id and task(dispute.number, "position_provider").status == "open"


def test_the_leadership_office_reads_the_dossier(app, client, demo_content):
    with app.app_context():
        line = refused_line()
        number = disputes.raise_dispute(
            user("rst_applicant"), topic="result", description="认为应予授权", line=line
        ).number
        positions(number)
        runtime.complete_task(
            task(number, "negotiation").id, user("hb_operator"), {"agreed": False, "minutes": "未达成一致"}
        )
    login(client, "leader")
    assert number in client.get("/disputes").get_data(as_text=True)
    page = client.get(f"/disputes/{number}").get_data(as_text=True)
    for text in (
        "待遇资格认证属于社会救助范畴",
        "共享条件仅列明民政",
        "未达成一致",
        "领导小组办公室协调决定",
    ):
        assert text in page, text
    inbox = client.get("/tasks").get_data(as_text=True)
    assert "领导小组办公室协调决定：婚姻登记信息" in inbox


def test_disputes_over_the_api(app, client, demo_content):
    from tests.conftest import api_token, bearer

    with app.app_context():
        line_id = refused_line().id
    applicant = bearer(api_token(app, "rst_applicant"))
    missing = client.post(
        "/api/v1/disputes", json={"description": "x", "line_id": line_id}, headers=applicant
    )
    assert missing.status_code == 422 and missing.get_json()["error"]["fields"] == {"topic": "请选择分歧事项"}
    no_subject = client.post(
        "/api/v1/disputes", json={"topic": "result", "description": "x"}, headers=applicant
    )
    assert no_subject.status_code == 422 and "subject" in no_subject.get_json()["error"]["fields"]
    unknown = client.post(
        "/api/v1/disputes", json={"topic": "result", "description": "x", "line_id": 999999}, headers=applicant
    )
    assert unknown.status_code == 404
    created = client.post(
        "/api/v1/disputes",
        json={"topic": "result", "description": "认为应予授权", "line_id": line_id},
        headers=applicant,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert (body["status"], body["topic_label"], body["line_id"]) == ("negotiating", "授权结果", line_id)
    number = body["number"]
    listed = client.get("/api/v1/disputes", headers=bearer(api_token(app, "leader"))).get_json()["items"]
    assert [d["number"] for d in listed] == [number]
    assert (
        client.get(f"/api/v1/disputes/{number}", headers=bearer(api_token(app, "mz_clerk"))).status_code
        == 200
    )
    outsider = client.get(f"/api/v1/disputes/{number}", headers=bearer(api_token(app, "gat_provider")))
    assert outsider.status_code == 403
    assert client.get("/api/v1/disputes", headers=bearer(api_token(app, "gat_provider"))).get_json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


def test_every_time_on_the_case_pages_is_beijing_time(app, demo_content):
    """Everything happens at 21:11 Beijing time (13:11 UTC): no page may show 13:11 (the footer says
    时间均为北京时间), and the pages people read during a dispute show 21:11."""
    with app.app_context():
        line = refused_line()
        clock.freeze(datetime.fromisoformat("2026-11-04T21:11:00+08:00"))
        number = disputes.raise_dispute(
            user("rst_applicant"), topic="result", description="认为应予授权", line=line
        ).number
        positions(number)
        application = line.application.number
        open_task = task(number, "negotiation").id
    pages = {
        "hb_operator": [
            f"/disputes/{number}",
            f"/applications/{application}",
            "/tasks",
            f"/tasks/{open_task}",
            "/notifications",
        ],
        "leader": [f"/disputes/{number}"],
        "auditor": ["/supervision/audit", f"/supervision/audit?case={number}"],
        "rst_applicant": [f"/disputes/{number}", f"/applications/{application}", "/notifications"],
    }
    for username, paths in pages.items():
        browser = app.test_client()
        login(browser, username)
        for path in paths:
            response = browser.get(path)
            page = response.get_data(as_text=True)
            assert response.status_code == 200, path
            assert "13:11" not in page, f"{username} {path} shows UTC"
            if path.startswith("/disputes/"):
                assert page.count("21:11") >= 4, path  # raised, and each party's position
