"""The share application procedure (办法§12–§22, §24) with a frozen clock across holidays; every deadline date
is checked against a hand count on the 2026 calendar."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from app import clock, scheduler
from app.catalog.models import Resource
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.sharing import services
from app.sharing.models import ApplicationStatus, Authorization, Decision
from tests.conftest import user

ROOT = Path(__file__).resolve().parents[2]


def at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    clock.freeze(moment)
    return moment


def code(name: str) -> str:
    return db.session.scalar(db.select(Resource.code).where(Resource.name == name))


def application_data(*names: str, **overrides) -> dict:
    data = {
        "purpose": "社会救助对象家庭经济状况核对",
        "reason": "依据《社会救助暂行办法》开展低保审核，需要核验申请人的婚姻、企业登记情况",
        "business_system": "湖北省社会救助信息系统",
        "scope": "全省低保、特困申请人",
        "valid_from": "2026-10-01",
        "valid_to": "2027-09-30",
        "resources": [{"code": code(name)} for name in names],
    }
    data.update(overrides)
    return data


def open_tasks(number: str) -> dict[str, HumanTask]:
    rows = db.session.scalars(
        db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
    )
    return {f"{t.spec_name}:{t.candidate_department_id}": t for t in rows}


def task(number: str, spec: str) -> HumanTask:
    (found,) = [t for key, t in open_tasks(number).items() if key.startswith(spec + ":")]
    return found


def notes_for(username: str) -> list[str]:
    from app.notices.notifications import notifications_for

    return [n.message for n in notifications_for(user(username), limit=100)]


def test_direct_and_provider_authorization_across_national_day(content):
    at("2026-09-30T10:00:00+08:00")
    application = services.submit_application(
        user("rst_applicant"), application_data("法人单位基础信息", "婚姻登记信息")
    )
    number = application.number
    assert number == "SQ-2026-000001"
    assert [line.route for line in application.lines] == [None, None]  # decided once the check accepts
    check = task(number, "normative_check")
    assert check.candidate_department_id == user("hb_operator").department_id
    assert (check.due_date, check.deadline_days) == (
        date(2026, 10, 10),
        3,
    )  # §19: Wed 09-30 → make-up Sat 10-10

    at("2026-10-09T10:00:00+08:00")
    runtime.complete_task(check.id, user("hb_operator"), {"accepted": True})
    direct = task(number, "direct_authorization")
    provider = task(number, "provider_authorization")
    db.session.refresh(application)
    assert [line.route for line in application.lines] == ["direct", "provider"]  # share_route.dmn decided
    assert direct.due_date == date(2026, 10, 13)  # §21: 3 WD after acceptance: 10-10 (班), 10-12, 10-13
    assert provider.due_date == date(2026, 10, 22)  # §20: 10 WD after receipt on 10-09
    assert provider.candidate_department_id == user("mz_clerk").department_id
    assert (
        services.applications_of(user("rst_applicant").department_id)[0].status
        == ApplicationStatus.IN_PROGRESS
    )

    at("2026-10-12T09:00:00+08:00")
    runtime.complete_task(direct.id, user("hb_operator"), {"granted": True})
    assert any(
        "法人单位基础信息" in m and "同意" in m for m in notes_for("scjg_provider")
    )  # §21: provider told
    at("2026-10-20T15:00:00+08:00")
    runtime.complete_task(provider.id, user("mz_clerk"), {"granted": True})

    application = db.session.get(type(application), application.id)
    assert application.status == ApplicationStatus.DECIDED
    assert [line.decision for line in application.lines] == [Decision.GRANTED, Decision.GRANTED]
    authorizations = db.session.scalars(db.select(Authorization).order_by(Authorization.id)).all()
    assert len(authorizations) == 2
    marriage = authorizations[1]
    assert marriage.resource.name == "婚姻登记信息"
    assert marriage.applicant_department_id == user("rst_applicant").department_id
    assert marriage.business_system == "湖北省社会救助信息系统" and marriage.purpose.startswith("社会救助")
    assert (marriage.valid_from, marriage.valid_to) == (date(2026, 10, 1), date(2027, 9, 30))
    assert marriage.conditions.startswith("仅限公安") and "登记日期" in marriage.items
    assert marriage.decided_by_id == user("mz_clerk").id
    assert marriage.state_on(date(2027, 10, 1)) == "expired"
    told = [m for m in notes_for("rst_applicant") if number in m]
    assert len(told) == 2 and all("同意授权" in m for m in told)


def test_provider_refusal_requires_reasons_and_a_basis(content):
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    provider = task(number, "provider_authorization")
    with pytest.raises(ValidationFailed) as info:
        runtime.complete_task(provider.id, user("mz_clerk"), {"granted": False})
    assert info.value.fields == {"reasons": "请填写不予授权理由", "basis": "请填写不予授权依据"}
    runtime.complete_task(
        provider.id,
        user("mz_clerk"),
        {"granted": False, "reasons": "申请用途超出共享条件", "basis": "目录共享条件"},
    )
    line = services.applications_of(user("rst_applicant").department_id)[0].lines[0]
    assert (line.decision, line.decision_reasons, line.decision_basis) == (
        "refused",
        "申请用途超出共享条件",
        "目录共享条件",
    )
    assert db.session.scalar(db.select(db.func.count(Authorization.id))) == 0
    assert any("不予授权" in m for m in notes_for("rst_applicant"))


def test_not_accepted_needs_reasons_and_ends_the_case(content):
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    check = task(number, "normative_check")
    with pytest.raises(ValidationFailed):
        runtime.complete_task(check.id, user("hb_operator"), {"accepted": False})
    runtime.complete_task(check.id, user("hb_operator"), {"accepted": False, "reasons": "使用范围不明确"})
    application = services.applications_of(user("rst_applicant").department_id)[0]
    assert (
        application.status == ApplicationStatus.NOT_ACCEPTED and application.check_reasons == "使用范围不明确"
    )
    assert application.lines[0].decision == Decision.NOT_ACCEPTED
    assert open_tasks(number) == {}
    assert any("不予受理：使用范围不明确" in m for m in notes_for("rst_applicant"))


def test_city_applicant_goes_through_the_provincial_platform_across_spring_festival(content):
    at("2026-02-12T10:00:00+08:00")
    application = services.submit_application(
        user("wh_applicant"), application_data("人口基础信息", valid_from="2026-03-01")
    )
    number = application.number
    assert application.lines[0].via_upper_platform is True
    check = task(number, "normative_check")
    assert (
        check.candidate_department_id == user("wh_operator").department_id
    )  # the city platform checks (§19)
    assert check.due_date == date(2026, 2, 24)  # 02-13, 02-14 (班), 02-24

    at("2026-02-13T10:00:00+08:00")
    runtime.complete_task(check.id, user("wh_operator"), {"accepted": True})
    assert db.session.get(type(application.lines[0]), application.lines[0].id).route == "provider"
    upper = task(number, "upper_check")
    assert upper.candidate_department_id == user("hb_operator").department_id  # §12: the provincial platform
    assert upper.due_date == date(2026, 2, 25)  # 02-14 (班), 02-24, 02-25

    at("2026-02-24T10:00:00+08:00")
    runtime.complete_task(upper.id, user("hb_operator"), {"accepted": True})
    provider = task(number, "provider_authorization")
    assert provider.candidate_department_id == user("gat_provider").department_id
    assert provider.due_date == date(2026, 3, 9)  # 10 WD from 02-24, with the make-up Saturday 02-28
    runtime.complete_task(provider.id, user("gat_provider"), {"granted": True})
    assert (
        db.session.scalars(db.select(Authorization)).one().applicant_department_id
        == user("wh_applicant").department_id
    )


def test_overdue_provider_is_urged_and_a_late_answer_still_counts(content):
    at("2026-09-30T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    provider = task(number, "provider_authorization")
    assert provider.due_date == date(2026, 10, 20)  # 10 WD after 09-30: 10-08 … 10-20
    at("2026-10-19T10:00:00+08:00")
    assert scheduler.fire_due_timers().timers_fired == 1  # reminder at 09:00 on 10-19
    assert any("提供部门授权明天到期" in m for m in notes_for("mz_clerk"))
    at("2026-10-21T00:00:01+08:00")
    assert scheduler.fire_due_timers().timers_fired == 1
    assert any("提供部门授权已超期" in m for m in notes_for("mz_clerk"))
    assert any("督办：提供部门授权已超期" in m for m in notes_for("hb_operator"))
    assert task(number, "provider_authorization").id == provider.id  # still open: nothing is auto-decided
    at("2026-10-23T10:00:00+08:00")
    runtime.complete_task(provider.id, user("mz_clerk"), {"granted": True})
    assert db.session.scalar(db.select(db.func.count(Authorization.id))) == 1


def test_what_cannot_be_requested(content):
    at("2026-11-02T10:00:00+08:00")
    clerk = user("rst_applicant")
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(clerk, application_data("刑事案件侦查信息"))
    assert "不予共享" in info.value.fields["resources[0]"]
    data = application_data("最低生活保障对象信息")
    data["resources"][0]["items"] = ["姓名", "户籍地址"]
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(clerk, data)
    assert "户籍地址" in info.value.fields["resources[0].items"]
    with pytest.raises(ValidationFailed) as info:
        services.submit_application(
            clerk, application_data("就业登记信息", purpose="", valid_to="2026-01-01")
        )
    assert set(info.value.fields) == {
        "purpose",
        "valid_to",
        "resources[0]",
    }  # own resource, no purpose, bad period
    with pytest.raises(PermissionDenied):
        services.submit_application(user("gat_provider"), application_data("婚姻登记信息"))


def test_revocation_by_the_provider_with_a_reason(content):
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    authorization = db.session.scalars(db.select(Authorization)).one()
    with pytest.raises(PermissionDenied):
        services.revoke_authorization(user("rst_applicant"), authorization, "不需要了")
    with pytest.raises(ValidationFailed):
        services.revoke_authorization(user("mz_clerk"), authorization, " ")
    services.revoke_authorization(user("mz_clerk"), authorization, "发现超范围使用（§24）")
    assert authorization.state_on(date(2026, 11, 3)) == "revoked"


def test_analyst_changes_provider_deadline_running_cases_keep_theirs(content, tmp_path):
    from app.studio.deploy import deploy

    at("2026-11-02T10:00:00+08:00")
    first = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    changed = tmp_path / "resource_authorization.bpmn"
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    changed.write_text(
        source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)"), encoding="utf-8"
    )
    result = deploy(
        [ROOT / "bpmn" / "share_application.bpmn", ROOT / "bpmn" / "share_route.dmn", changed],
        comment="提供部门授权期限改为7个工作日",
    )
    assert result.problems == [] and {v.process_id for v in result.created} >= {
        "share_application",
        "resource_authorization",
    }
    second = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    for number in (first, second):
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    assert task(first, "provider_authorization").due_date == date(2026, 11, 16)  # 10 WD after Monday 11-02
    assert task(second, "provider_authorization").due_date == date(2026, 11, 11)  # 7 WD
    kept, changed_version = (
        task(n, "provider_authorization").instance.process_version for n in (first, second)
    )
    assert (kept.process_id, kept.version + 1) == (changed_version.process_id, changed_version.version)
