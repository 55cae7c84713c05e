"""The engine over HTTP: task API (409 on a lost race), clock override, incident page."""

from __future__ import annotations

from datetime import datetime

import pytest

from app import clock
from app.engine import runtime
from app.extensions import db
from config import ProductionConfig
from tests.conftest import api_token, bearer, csrf_token, deploy_test_models, login, user
from tests.integration.test_engine_runtime import open_task, start_sample


@pytest.fixture
def case(app, seeded):
    """A sample case waiting at the normative check; yields its instance id."""
    with app.app_context():
        deploy_test_models("engine_sample.bpmn")
        clock.freeze(datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
        row = start_sample()
        runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
        return row.id


def _check_id(app, instance_id: int) -> str:
    with app.app_context():
        return open_task(instance_id).id


def test_queue_lists_the_task_with_its_deadline_badge(app, client, case):
    body = client.get("/api/v1/tasks?scope=queue", headers=bearer(api_token(app, "hb_operator"))).get_json()
    (item,) = body["items"]
    assert (item["label"], item["due_date"], item["deadline_badge"]) == (
        "规范性检查",
        "2026-10-10",
        "剩余3个工作日",
    )
    assert (
        client.get("/api/v1/tasks?scope=queue", headers=bearer(api_token(app, "wh_operator"))).get_json()[
            "items"
        ]
        == []
    )


def test_claim_then_complete_over_the_api(app, client, case):
    token = bearer(api_token(app, "hb_operator"))
    task_id = _check_id(app, case)
    assert (
        client.post(f"/api/v1/tasks/{task_id}/claim", headers=token).get_json()["assignee"] == "hb_operator"
    )
    mine = client.get("/api/v1/tasks", headers=token).get_json()["items"]
    assert [t["id"] for t in mine] == [task_id]
    bad = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"accepted": False}}, headers=token)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["fields"] == {"reasons": "请填写不予受理理由"}
    ok = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"accepted": True}}, headers=token)
    assert ok.status_code == 200 and ok.get_json()["status"] == "completed"
    again = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"accepted": True}}, headers=token)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"


def test_someone_elses_task_is_403_and_an_unknown_one_404(app, client, case):
    task_id = _check_id(app, case)
    response = client.post(f"/api/v1/tasks/{task_id}/claim", headers=bearer(api_token(app, "wh_operator")))
    assert response.status_code == 403
    assert client.get("/api/v1/tasks/nope", headers=bearer(api_token(app, "admin"))).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [(None, 422, None), ("[]", 422, "_schema"), ('{"data": 3}', 422, "data"), ("{bad json", 400, "_body")],
)
def test_malformed_completion_bodies_are_4xx_naming_the_problem(app, client, case, body, status, field):
    task_id = _check_id(app, case)
    response = client.post(
        f"/api/v1/tasks/{task_id}/complete",
        data=body,
        headers={**bearer(api_token(app, "hb_operator")), "Content-Type": "application/json"},
    )
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and error["code"] in ("validation_failed", "bad_request")
    if field:
        assert field in error["fields"]


def test_bad_pagination_is_422(app, client, seeded):
    response = client.get("/api/v1/tasks?limit=abc", headers=bearer(api_token(app, "admin")))
    assert response.status_code == 422 and "limit" in response.get_json()["error"]["fields"]


def test_admin_moves_the_clock_of_a_test_server(app, client, seeded):
    response = client.post(
        "/api/v1/admin/clock",
        json={"now": "2026-10-11T00:00:01+08:00"},
        headers=bearer(api_token(app, "admin")),
    )
    assert response.status_code == 200 and response.get_json()["frozen"] is True
    assert clock.now().isoformat() == "2026-10-10T16:00:01+00:00"
    forbidden = client.post(
        "/api/v1/admin/clock", json={"now": None}, headers=bearer(api_token(app, "rst_applicant"))
    )
    assert forbidden.status_code == 403


def test_the_clock_cannot_be_moved_in_production(monkeypatch, tmp_path):
    from app import create_app
    from app.auth.services import create_api_token
    from app.demo import seed

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "Zq8v-3kT1pWm9xR2bY7cN4hL6jF0sD5gA")
    monkeypatch.setattr(ProductionConfig, "AUDIT_KEY", "9f2c4e6a8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a")
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setattr(ProductionConfig, "ARGON2_FAST", True, raising=False)
    prod = create_app(ProductionConfig)
    with prod.app_context():
        db.create_all()
        seed()
        token = create_api_token(user("admin"), "t")[1]
        db.session.commit()
    response = prod.test_client().post("/api/v1/admin/clock", json={"now": None}, headers=bearer(token))
    assert response.status_code == 404


def test_incident_page_retries_after_the_cause_is_fixed(app, client, case):
    from app.engine.models import Incident

    with app.app_context():
        incident = Incident(instance_id=case, error_type="ConnectionError", message="国家共享平台接口超时")
        db.session.add(incident)
        db.session.commit()
        incident_id = incident.id
    login(client, "admin")
    html = client.get("/admin/incidents").get_data(as_text=True)
    assert "国家共享平台接口超时" in html
    response = client.post(
        f"/admin/incidents/{incident_id}/retry", data={"csrf_token": csrf_token(client, "/admin/incidents")}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Incident, incident_id).resolution == "retried"


def test_incident_page_is_for_admins(client, seeded):
    login(client, "hb_operator")
    assert client.get("/admin/incidents").status_code == 403


def test_a_draft_is_kept_until_the_task_is_completed(app, client, case):
    token = bearer(api_token(app, "hb_operator"))
    task_id = _check_id(app, case)
    saved = client.put(
        f"/api/v1/tasks/{task_id}/draft", json={"data": {"accepted": False, "reasons": "缺少"}}, headers=token
    )
    assert saved.status_code == 200
    assert saved.get_json()["assignee"] == "hb_operator"  # saving a queue task claims it
    assert client.get(f"/api/v1/tasks/{task_id}", headers=token).get_json()["draft"] == {
        "accepted": False,
        "reasons": "缺少",
    }
    unknown = client.put(f"/api/v1/tasks/{task_id}/draft", json={"data": {"colour": "红"}}, headers=token)
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["fields"] == {"colour": "表单中没有该字段"}
    assert client.put(f"/api/v1/tasks/{task_id}/draft", json=[1], headers=token).status_code == 422
    other = client.put(
        f"/api/v1/tasks/{task_id}/draft", json={"data": {}}, headers=bearer(api_token(app, "wh_operator"))
    )
    assert other.status_code == 403
    client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"accepted": True}}, headers=token)
    with app.app_context():
        assert runtime.get_task(task_id).draft is None
    late = client.put(f"/api/v1/tasks/{task_id}/draft", json={"data": {}}, headers=token)
    assert late.status_code == 409


def test_the_task_page_saves_a_draft_and_keeps_an_oversized_one_on_screen(app, client, case):
    task_id = _check_id(app, case)
    login(client, "hb_operator")
    page = f"/tasks/{task_id}"
    token = csrf_token(client, page)
    response = client.post(
        f"{page}/draft", data={"csrf_token": token, "accepted": "false", "reasons": "材料不全，待补"}
    )
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "草稿已保存" in html and "材料不全，待补" in html and "已载入保存的草稿" in html
    assert 'value="false" checked' in html
    huge = "长" * (runtime.DRAFT_VALUE_LIMIT + 1)
    response = client.post(f"{page}/draft", data={"csrf_token": token, "reasons": huge})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "内容过长" in html and huge in html  # nothing typed is lost
    with app.app_context():
        assert runtime.get_task(task_id).draft == {"accepted": "false", "reasons": "材料不全，待补"}


def test_notifications_over_the_api(app, client, seeded):
    from app.notices.notifications import send
    from app.org.roles import Role

    with app.app_context():
        operator = user("hb_operator")
        first = send(
            message="规范性检查即将到期",
            role=Role.PLATFORM_OPERATOR.value,
            department_id=operator.department_id,
            link="/cases/GS-1",
        ).id
        send(message="给别人的通知", user_id=user("rst_applicant").id)
        second = send(message="申请已受理", user_id=operator.id).id
        db.session.commit()
    token = bearer(api_token(app, "hb_operator"))
    body = client.get("/api/v1/notifications", headers=token).get_json()
    assert [(n["id"], n["read"]) for n in body["items"]] == [(second, False), (first, False)]
    assert body["unread_count"] == 2 and body["items"][1]["link"] == "/cases/GS-1"
    assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
    paged = client.get("/api/v1/notifications?limit=1&offset=1", headers=token).get_json()
    assert [n["id"] for n in paged["items"]] == [first] and paged["total"] == 2
    marked = client.post(f"/api/v1/notifications/{first}/read", headers=token).get_json()
    assert marked == {"id": first, "read": True, "unread_count": 1}
    unread = client.get("/api/v1/notifications?unread=1", headers=token).get_json()["items"]
    assert [n["message"] for n in unread] == ["申请已受理"]
    someone_elses = client.post(
        f"/api/v1/notifications/{second}/read", headers=bearer(api_token(app, "wh_operator"))
    )
    assert someone_elses.status_code == 404 and someone_elses.get_json()["error"]["code"] == "not_found"
    for query in ("limit=0", "limit=x", "unread=yes"):
        response = client.get(f"/api/v1/notifications?{query}", headers=token)
        assert response.status_code == 422, query
    assert client.get("/api/v1/notifications").status_code == 401


def test_incidents_api_lists_retries_and_cancels_for_admins(app, client, seeded, tmp_path):
    from app.studio.deploy import deploy
    from tests.conftest import DATA
    from tests.integration.test_engine_runtime import SAMPLE

    broken = tmp_path / "engine_sample.bpmn"
    broken.write_text(
        SAMPLE.replace(
            '<spiffworkflow:property name="candidateDepartment" value="applicant_department_id" />\n'
            "        </spiffworkflow:properties>",
            '<spiffworkflow:property name="candidateDepartment" value="applicant_department_id" />\n'
            "        </spiffworkflow:properties>\n"
            "        <spiffworkflow:postScript>share = 1 / divisor</spiffworkflow:postScript>",
            1,
        )
    )
    with app.app_context():
        assert deploy([broken], forms_dir=DATA / "forms").problems == []
        row = runtime.start_instance(
            "engine_sample",
            business_key="GS-API-INC",
            actor=user("rst_applicant"),
            data={
                "applicant_department_id": user("rst_applicant").department_id,
                "provider_department_id": user("gat_provider").department_id,
                "divisor": 0,
            },
        )
        runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
        instance_id = row.id
    admin, clerk = bearer(api_token(app, "admin")), bearer(api_token(app, "rst_applicant"))

    assert client.get("/api/v1/incidents", headers=clerk).status_code == 403
    listed = client.get("/api/v1/incidents", headers=admin).get_json()
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 50, 0)
    (incident,) = listed["items"]
    assert (incident["business_key"], incident["task_name"]) == ("GS-API-INC", "提交申请")
    assert "ZeroDivisionError" in incident["message"]  # the real error, not the engine's wrapper
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=clerk).status_code == 403
    retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin)
    assert retried.status_code == 200
    body = retried.get_json()
    assert (body["incident"]["resolution"], body["again"], body["instance_status"]) == (
        "retried",
        None,
        "running",
    )
    assert client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=admin).status_code == 409  # done
    assert client.post("/api/v1/incidents/999999/retry", headers=admin).status_code == 404

    missing = client.post(f"/api/v1/instances/{instance_id}/cancel", json={"reason": ""}, headers=admin)
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    cancelled = client.post(
        f"/api/v1/instances/{instance_id}/cancel", json={"reason": "申请人撤回"}, headers=admin
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/instances/{instance_id}/cancel", json={"reason": "再次取消"}, headers=admin)
    assert again.status_code == 409


def test_the_notifications_page_shows_what_is_read_and_reads_all(app, client, seeded):
    from app.notices.notifications import send

    with app.app_context():
        operator = user("hb_operator")
        first = send(message="规范性检查即将到期", user_id=operator.id).id
        send(message="申请已受理", user_id=operator.id)
        db.session.commit()
    login(client, "hb_operator")
    page = client.get("/notifications").get_data(as_text=True)
    assert "2 条未读" in page and page.index("申请已受理") < page.index("规范性检查即将到期")  # newest first
    client.post(f"/notifications/{first}/read", data={"csrf_token": csrf_token(client, "/notifications")})
    page = client.get("/notifications").get_data(as_text=True)
    assert "1 条未读" in page and page.count(">已读<") == 1
    assert "规范性检查即将到期" not in client.get("/notifications?unread=1").get_data(as_text=True)
    client.post("/notifications/read-all", data={"csrf_token": csrf_token(client, "/notifications")})
    page = client.get("/notifications").get_data(as_text=True)
    assert "条未读" not in page and page.count(">已读<") == 2


def test_reading_a_notification_goes_only_to_a_page_of_this_site(app, client, seeded):
    from app.notices.notifications import send

    with app.app_context():
        note = send(message="申请已受理", user_id=user("hb_operator").id).id
        db.session.commit()
    login(client, "hb_operator")
    token = csrf_token(client, "/notifications")
    for target in ("/\\evil.example", "//evil.example", "https://evil.example/"):
        answer = client.post(f"/notifications/{note}/read", data={"csrf_token": token, "next": target})
        assert answer.headers["Location"] == "/notifications", target
    answer = client.post(
        f"/notifications/{note}/read", data={"csrf_token": token, "next": "/applications/SQ-1"}
    )
    assert answer.headers["Location"] == "/applications/SQ-1"
