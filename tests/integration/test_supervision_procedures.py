"""Offline exchange approval (办法§16) and data quality issues (办法§17)."""

from __future__ import annotations

from datetime import date

import pytest

from app.catalog.services import resource_by_code
from app.engine import runtime
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.sharing import offline, quality, services
from app.sharing.models import Authorization
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import application_data, at, code, notes_for, task


def _fresh(record):
    """The record as stored now (re-read by its number)."""
    model = type(record)
    db.session.expire_all()
    return db.session.scalar(db.select(model).where(model.number == record.number))


def granted() -> Authorization:
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    return db.session.scalars(db.select(Authorization)).one()


def test_offline_exchange_needs_the_data_authoritys_approval(content):
    authorization = granted()
    with pytest.raises(PermissionDenied):
        offline.request_offline_exchange(user("rst_applicant"), authorization, "U盘", "x")
    with pytest.raises(ValidationFailed) as info:
        offline.request_offline_exchange(user("mz_clerk"), authorization, "", "")
    assert set(info.value.fields) == {"method", "reason"}
    exchange = offline.request_offline_exchange(
        user("mz_clerk"), authorization, "加密移动介质", "对方系统暂未接入共享平台"
    )
    approve = task(exchange.number, "approve")
    assert (approve.candidate_role, approve.candidate_department_id) == (
        "supervisor",
        user("supervisor").department_id,
    )
    assert approve.due_date == date(2026, 11, 9)
    with pytest.raises(ValidationFailed):
        runtime.complete_task(approve.id, user("supervisor"), {"approved": False})
    runtime.complete_task(approve.id, user("supervisor"), {"approved": False, "reasons": "应先完成系统接入"})
    exchange = _fresh(exchange)
    assert (exchange.status, exchange.decision_reasons) == ("refused", "应先完成系统接入")
    assert any("未同意：应先完成系统接入" in m for m in notes_for("mz_clerk"))


def test_quality_issue_corrected_by_the_provider(content):
    at("2026-11-02T10:00:00+08:00")
    resource = resource_by_code(code("婚姻登记信息"))
    with pytest.raises(PermissionDenied):
        quality.raise_quality_issue(user("wh_operator"), resource, "x")  # another platform's operator
    issue = quality.raise_quality_issue(user("hb_operator"), resource, "部分记录登记机关为空")
    correct = task(issue.number, "correct")
    assert correct.candidate_department_id == user("mz_clerk").department_id and correct.due_date == date(
        2026, 11, 9
    )
    runtime.complete_task(correct.id, user("mz_clerk"), {"response": "已补录登记机关"})
    issue = _fresh(issue)
    assert (issue.status, issue.conclusion) == ("resolved", "已补录登记机关")
    assert any("已处理" in m for m in notes_for("hb_operator"))


def test_disagreeing_providers_verify_together(content):
    at("2026-11-02T10:00:00+08:00")
    first, second = resource_by_code(code("人口基础信息")), resource_by_code(code("婚姻登记信息"))
    issue = quality.raise_quality_issue(user("hb_operator"), first, "同一人的婚姻状况两库不一致", second)
    runtime.complete_task(
        task(issue.number, "verify_a").id, user("gat_provider"), {"response": "户籍库婚姻状况待更新"}
    )
    runtime.complete_task(
        task(issue.number, "verify_b").id, user("mz_clerk"), {"response": "婚姻登记库记录为离婚"}
    )
    conclude = task(issue.number, "conclude")
    assert conclude.candidate_department_id == user("hb_operator").department_id
    runtime.complete_task(
        conclude.id, user("hb_operator"), {"conclusion": "以婚姻登记为准，公安厅更新户籍库"}
    )
    issue = _fresh(issue)
    assert issue.status == "resolved" and len(issue.responses) == 2


def test_supervision_page_lists_what_the_department_is_involved_in(app, client, demo_content):
    with app.app_context():
        authorization = granted()
        offline.request_offline_exchange(user("mz_clerk"), authorization, "加密移动介质", "系统未接入")
        auth_id = authorization.id
    reviewer = app.test_client()
    login(reviewer, "supervisor")
    import re

    task_ids = re.findall(
        r'/tasks/([0-9a-f-]{36})"',
        reviewer.get("/tasks?scope=queue&process=offline_exchange").get_data(as_text=True),
    )
    assert "加密移动介质" in reviewer.get(f"/tasks/{task_ids[0]}").get_data(as_text=True)
    login(client, "mz_clerk")
    assert "系统未接入" in client.get("/supervision").get_data(as_text=True)
    form = client.get(f"/offline/new?authorization={auth_id}")
    assert form.status_code == 200
    response = client.post(
        "/offline/new",
        data={
            "csrf_token": csrf_token(client, f"/offline/new?authorization={auth_id}"),
            "authorization": auth_id,
            "method": "",
            "reason": "",
        },
    )
    assert response.status_code == 422 and "线下交换方式" in response.get_data(as_text=True)
