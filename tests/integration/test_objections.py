"""Objection and correction (办法§23), from an authorization to a verified answer, accepted or disputed."""

from __future__ import annotations

from datetime import date

import pytest

from app.engine import runtime
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.sharing import objections, services
from app.sharing.models import Authorization, ObjectionStatus
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import application_data, at, notes_for, task


@pytest.fixture
def authorization_id(app, demo_content) -> int:
    """An authorization of 婚姻登记信息 to 湖北省人社厅, granted through the procedure (no app context kept)."""
    with app.app_context():
        at("2026-09-24T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
        return db.session.scalars(db.select(Authorization.id)).one()


@pytest.fixture
def authorization(content, authorization_id) -> Authorization:
    return db.session.get(Authorization, authorization_id)


def test_objection_verified_corrected_and_accepted(authorization):
    at("2026-09-29T10:00:00+08:00")
    with pytest.raises(ValidationFailed) as info:
        objections.raise_objection(
            user("rst_applicant"), authorization, {"description": " ", "items": ["身高"]}
        )
    assert set(info.value.fields) == {"description", "items"}
    objection = objections.raise_objection(
        user("rst_applicant"),
        authorization,
        {
            "description": "张某某已于2025年登记离婚，接口仍返回已婚",
            "items": ["登记类型"],
            "evidence": "离婚证",
        },
    )
    assert objection.status == ObjectionStatus.VERIFYING
    verify = task(objection.number, "verify")
    assert verify.candidate_department_id == user("mz_clerk").department_id
    assert verify.due_date == date(
        2026, 10, 12
    )  # 5 WD after Tuesday 09-29 across National Day: 09-30, 10-08, 10-09, 10-10, 10-12
    assert any("正常办理相关业务" in m for m in notes_for("mz_clerk"))  # §23 notice to the provider's clerks
    with pytest.raises(ValidationFailed) as info:
        runtime.complete_task(verify.id, user("mz_clerk"), {"outcome": "corrected"})
    assert "correction" in info.value.fields
    runtime.complete_task(
        verify.id, user("mz_clerk"), {"outcome": "corrected", "correction": "已按离婚登记更正登记类型"}
    )
    assert any("数据已更正" in m for m in notes_for("rst_applicant"))
    review = task(objection.number, "review")
    assert review.candidate_department_id == user("rst_applicant").department_id
    runtime.complete_task(review.id, user("rst_applicant"), {"accepted": True})
    objection = objections.get_objection(user("rst_applicant"), objection.number)
    assert (objection.status, objection.outcome, objection.correction) == (
        "accepted",
        "corrected",
        "已按离婚登记更正登记类型",
    )
    assert objection.closed_at is not None


def test_an_answer_not_accepted_becomes_a_dispute_for_the_platform(authorization):
    at("2026-11-02T10:00:00+08:00")
    objection = objections.raise_objection(
        user("rst_applicant"), authorization, {"description": "登记日期有误"}
    )
    runtime.complete_task(
        task(objection.number, "verify").id,
        user("mz_clerk"),
        {"outcome": "explained", "explanation": "登记日期以登记机关原始记录为准"},
    )
    with pytest.raises(ValidationFailed):
        runtime.complete_task(task(objection.number, "review").id, user("rst_applicant"), {"accepted": False})
    runtime.complete_task(
        task(objection.number, "review").id,
        user("rst_applicant"),
        {"accepted": False, "comment": "原始记录本身有误"},
    )
    assert (
        objections.get_objection(user("rst_applicant"), objection.number).status == ObjectionStatus.DISPUTED
    )
    assert any("请组织协商（办法§25）" in m for m in notes_for("hb_operator"))


def test_only_the_authorized_applicant_may_object(authorization):
    with pytest.raises(PermissionDenied):
        objections.raise_objection(user("wh_applicant"), authorization, {"description": "x"})
    with pytest.raises(PermissionDenied):
        objections.raise_objection(user("mz_clerk"), authorization, {"description": "x"})


def test_the_case_page_shows_the_section_23_notice_while_verifying(app, client, authorization_id):
    auth_id = authorization_id
    login(client, "rst_applicant")
    form = client.get(f"/objections/new?authorization={auth_id}").get_data(as_text=True)
    assert "提出数据异议" in form and "登记类型" in form
    response = client.post(
        "/objections/new",
        data={
            "csrf_token": csrf_token(client, f"/objections/new?authorization={auth_id}"),
            "authorization": auth_id,
            "items": ["登记类型"],
            "description": "婚姻状态与实际不符",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "正常办理相关业务" in page and "校核中" in page
    other = app.test_client()
    login(other, "wh_applicant")
    assert other.get(response.headers["Location"]).status_code == 403


def test_objections_over_the_api(app, client, authorization_id):
    from tests.conftest import api_token, bearer

    token = bearer(api_token(app, "rst_applicant"))
    bad = client.post("/api/v1/objections", json={"authorization_id": authorization_id}, headers=token)
    assert bad.status_code == 422 and "description" in bad.get_json()["error"]["fields"]
    created = client.post(
        "/api/v1/objections",
        json={"authorization_id": authorization_id, "description": "数据有误"},
        headers=token,
    )
    assert created.status_code == 201 and "正常办理相关业务" in created.get_json()["notice"]
    number = created.get_json()["number"]
    assert client.get(f"/api/v1/objections/{number}", headers=token).get_json()["status"] == "verifying"
    assert (
        client.get(f"/api/v1/objections/{number}", headers=bearer(api_token(app, "wh_applicant"))).status_code
        == 403
    )


def test_the_applicant_confirms_seeing_the_providers_findings(app, client, authorization_id):
    """#31: 确认校核结果 shows what the provider found and corrected (its 校核结果 and 更正情况, who, when)
    above the 认可/不认可 choice."""
    login(client, "rst_applicant")
    client.post(
        "/objections/new",
        data={
            "csrf_token": csrf_token(client, f"/objections/new?authorization={authorization_id}"),
            "authorization": authorization_id,
            "items": ["登记类型"],
            "description": "婚姻状态与实际不符",
        },
    )
    with app.app_context():
        (number,) = [o.number for o in objections.objections_of(user("rst_applicant").department_id)]
        runtime.complete_task(
            task(number, "verify").id,
            user("mz_clerk"),
            {"outcome": "corrected", "correction": "已按离婚登记更正登记类型"},
        )
        review = task(number, "review").id
        db.session.commit()
    page = client.get(f"/tasks/{review}").get_data(as_text=True)
    history = page[page.index("办理经过") : page.index('class="card task-form"')]
    assert "异议校核" in history and "省民政厅经办人" in history
    assert "数据有误，已更正" in history and "已按离婚登记更正登记类型" in history
