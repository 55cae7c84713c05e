"""Data classification (#34): items graded 一般/重要/核心 and flagged 敏感个人信息 in the catalog (form text and
Excel); applying for such items needs a stated necessity; the line passes a 共享安全评估 step before anyone may
grant it — refused when it fails, granted after it passes — and the authorization and the gateway's decision
carry the grade."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.auth.services import create_gateway_credential
from app.catalog import excel
from app.catalog import services as catalog
from app.catalog.models import DataItem, Resource
from app.engine import runtime
from app.errors import ValidationFailed
from app.extensions import db
from app.sharing import services
from app.sharing.models import ApplicationLine, Authorization
from app.supervision import stats
from tests.conftest import bearer, user
from tests.integration.test_catalog import _review_task
from tests.integration.test_sharing import application_data, at, task

WELFARE = "最低生活保障对象信息"


def _classify() -> Resource:
    """省民政厅 marks 公民身份号码 as 重要数据 and 敏感个人信息; the review publishes the version."""
    resource = db.session.scalar(db.select(Resource).where(Resource.name == WELFARE))
    data = catalog.version_data(resource.current_version)
    for item in data["items"]:
        if item["name"] == "公民身份号码":
            item["grade"], item["sensitive"] = "important", True
    catalog.edit_resource(user("mz_clerk"), resource, data)
    version = catalog.submit_for_review(user("mz_clerk"), resource)
    runtime.complete_task(
        _review_task(version.review_business_key).id,
        user("supervisor"),
        {"approved": True, "comment": "同意"},
    )
    return resource


def test_the_grade_is_kept_shown_in_the_history_and_exported(content):
    resource = _classify()
    item = db.session.scalar(
        db.select(DataItem).where(
            DataItem.version_id == resource.current_version.id, DataItem.name == "公民身份号码"
        )
    )
    assert (item.grade, item.sensitive, item.guarded) == ("important", True, True)
    changes = {c.label: (c.old, c.new) for c in catalog.history(resource)[0][1]}
    assert changes["信息项“公民身份号码”"][1].endswith("重要数据，敏感个人信息")
    sheet = load_workbook(io.BytesIO(excel.export_workbook([resource])))[excel.ITEM_SHEET]
    header = [c.value for c in sheet[1]]
    row = next(
        r
        for r in sheet.iter_rows(min_row=2, values_only=True)
        if r[header.index("信息项名称")] == "公民身份号码"
    )
    assert (row[header.index("数据分级")], row[header.index("敏感个人信息")]) == ("重要数据", "是")


def test_sensitive_items_need_a_necessity_and_an_assessment_before_a_grant(app, client, content):
    _classify()
    at("2026-11-03T10:00:00+08:00")
    with pytest.raises(ValidationFailed) as missing:
        services.submit_application(user("rst_applicant"), application_data(WELFARE))
    assert (
        "公民身份号码" in missing.value.fields["necessity"] and "必要性" in missing.value.fields["necessity"]
    )
    refused_case = services.submit_application(
        user("rst_applicant"), application_data(WELFARE, necessity="养老待遇核验须以身份号码比对")
    ).number
    granted_case = services.submit_application(
        user("rst_applicant"),
        application_data(WELFARE, necessity="低保与养老待遇重复领取核查须以身份号码比对"),
    ).number
    for number in (refused_case, granted_case):
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    # Nobody may grant before the assessment: the provider has no task yet, and the service refuses.
    assessment = task(granted_case, "security_assessment")
    assert assessment.candidate_department_id == user("hb_operator").department_id
    line = db.session.scalar(
        db.select(ApplicationLine).where(ApplicationLine.application.has(number=granted_case))
    )
    db.session.commit()
    with pytest.raises(ValueError, match="共享安全评估"):
        services.record_decision(line.id, user("mz_clerk").id, "granted")
    db.session.rollback()
    # Failed: the line is refused with the opinion and the basis.
    runtime.complete_task(
        task(refused_case, "security_assessment").id,
        user("hb_operator"),
        {"passed": False, "opinion": "用途可用脱敏比对替代"},
    )
    refused = db.session.scalar(
        db.select(ApplicationLine).where(ApplicationLine.application.has(number=refused_case))
    )
    assert refused.decision == "refused" and refused.decision_reasons == "用途可用脱敏比对替代"
    assert "共享安全评估未通过" in refused.decision_basis and refused.assessment["passed"] is False
    # Passed: the provider authorizes; the authorization and the gateway's decision carry the grade.
    runtime.complete_task(assessment.id, user("hb_operator"), {"passed": True, "opinion": "必要，限核验使用"})
    runtime.complete_task(
        task(granted_case, "provider_authorization").id, user("mz_clerk"), {"granted": True}
    )
    authorization = db.session.scalar(db.select(Authorization).where(Authorization.line_id == line.id))
    assert (authorization.grade, authorization.sensitive) == ("important", True)
    _credential, token = create_gateway_credential("楚天云交换网关", user("admin"))
    db.session.commit()
    answer = client.post(
        "/api/v1/authorizations/check",
        json={
            "caller_uscc": user("rst_applicant").department.uscc,
            "business_system": "湖北省社会救助信息系统",
            "resource_code": authorization.resource.code,
            "items": ["公民身份号码"],
            "parameters": {},
        },
        headers=bearer(token),
    ).get_json()
    assert answer["decision"] == "permit" and answer["detail"] == {"grade": "important", "sensitive": True}
    # The §26 figures count the grant and the call of sensitive data.
    figures = stats.compute(stats.Scope(date(2026, 11, 1), date(2026, 11, 30)))
    assert (figures.guarded_grants, figures.sensitive_grants, figures.guarded_calls) == (1, 1, 1)
