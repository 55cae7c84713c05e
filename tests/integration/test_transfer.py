"""转办 (#15): a request that reached the wrong provider goes to the department that really holds the resource,
modelled in resource_authorization.bpmn: the new department gets its own 10 working days (a diagram setting),
the case shows both steps and the transfer, the old provider is offered the catalog correction (§6)."""

from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade

from app import clock
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.errors import ValidationFailed
from app.extensions import db
from app.notices.notifications import notifications_for
from app.sharing import services
from app.sharing.models import ApplicationLine, Authorization
from app.supervision import stats
from tests.conftest import login, user
from tests.integration.test_sharing import application_data, at, task


def test_a_provider_transfers_a_wrongly_routed_request(app, client, demo_content):
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        first = task(number, "provider_authorization")
        assert first.due_date == date(2026, 11, 16)
        police = user("gat_provider").department
        options = runtime.task_form(first)["properties"]["transfer_to"]["enum"]
        assert str(police.id) in options and str(first.candidate_department_id) not in options
        with pytest.raises(ValidationFailed) as no_reason:
            runtime.complete_task(first.id, user("mz_clerk"), {"transfer_to": str(police.id)})
        assert no_reason.value.fields["transfer_reason"] == "请填写转办理由"
        at("2026-11-04T10:00:00+08:00")
        runtime.complete_task(
            first.id,
            user("mz_clerk"),
            {"transfer_to": str(police.id), "transfer_reason": "婚姻登记信息由公安厅户政系统汇集"},
        )
        second = db.session.scalar(
            db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
        )
        assert (second.spec_name, second.candidate_department_id) == ("provider_authorization", police.id)
        assert second.due_date == date(2026, 11, 18)  # its own 10 working days from receipt on 11-04 (§20)
        line = db.session.scalars(db.select(ApplicationLine)).one()
        assert line.provider_department_id == police.id and line.transfers[0]["to"] == police.id
        assert any(
            "转办给" in n.message and "更正目录" in n.message for n in notifications_for(user("mz_clerk"))
        )
        assert db.session.scalar(db.select(Authorization.id)) is None
        runtime.complete_task(second.id, user("gat_provider"), {"granted": True})
        assert db.session.scalars(db.select(Authorization)).one().line_id == line.id
        figures = stats.compute(stats.Scope(date(2026, 11, 1), date(2026, 11, 30)))
        assert figures.transfers == 1
        assert stats.compute(stats.Scope(date(2026, 11, 5), date(2026, 11, 30))).transfers == 0
        assert stats.compute(stats.Scope(date(2026, 10, 1), date(2026, 11, 4))).transfers == 1
        kept = line.transferred_at
        assert kept == clock.parse_moment("2026-11-04T10:00:00+08:00")
    with app.app_context():  # a database upgraded with transfers already made: their time is read back
        downgrade(revision="d8e4b2a6c9f1")
        upgrade()
        assert db.session.scalar(db.select(ApplicationLine.transferred_at)) == kept
        assert stats.compute(stats.Scope(date(2026, 11, 1), date(2026, 11, 30))).transfers == 1
    login(client, "rst_applicant")
    case = client.get(f"/applications/{number}").get_data(as_text=True)
    assert (
        "转办：省民政厅 → 省公安厅" in case or "转办：" in case and "婚姻登记信息由公安厅户政系统汇集" in case
    )
    assert case.count("提供部门授权") >= 2  # both steps, each with its own due date
