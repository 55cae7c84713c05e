"""Dated rule changes (#34): a version deployed on 12-20 with 施行日期 2027-01-01 — a case started on 12-31 runs
the old rule, one started on 01-04 the new; the studio lists the version until its day; the command line takes
the date (`govshare bpmn deploy FILE --effective`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.calendar.services import active_calendar
from app.engine.models import ProcessInstance
from app.extensions import db
from app.sharing import demands
from tests.conftest import login, user
from tests.integration.test_cli import run
from tests.integration.test_sharing import at, task

ROOT_BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "data_demand.bpmn"
NEED = {
    "title": "殡葬服务机构信息",
    "purpose": "核验",
    "fields": "机构名称",
    "legal_basis": "《殡葬管理条例》",
    "business_system": "殡葬补贴系统",
}


def _route_days(number: str) -> tuple[int, date]:
    step = task(number, "route_demand")
    version = db.session.get(ProcessInstance, step.instance_id).process_version.version
    return version, step.due_date


def test_a_version_with_a_future_effective_day_starts_only_the_cases_from_that_day(
    app, client, demo_content, tmp_path
):
    at("2026-12-21T10:00:00+08:00")  # Monday 12-21: the new rule is deployed
    changed = tmp_path / "data_demand.bpmn"
    changed.write_text(
        ROOT_BPMN.read_text(encoding="utf-8").replace("route_days = 3", "route_days = 5"), encoding="utf-8"
    )
    result = run(
        app, "bpmn", "deploy", str(changed), "--comment", "分派时限改为5个工作日", "--effective", "2027-01-01"
    )
    assert result.exit_code == 0, result.output
    assert "deployed data_demand v2 (施行日期 2027-01-01)" in result.output
    login(client, "analyst")
    page = client.get("/admin/processes").get_data(as_text=True)
    assert "待施行的版本" in page and "2027-01-01" in page and "分派时限改为5个工作日" in page
    with app.app_context():
        calendar = active_calendar()
        at("2026-12-31T10:00:00+08:00")
        before = demands.submit_demand(user("wh_applicant"), NEED).number
        db.session.commit()
        at("2027-01-04T10:00:00+08:00")
        after = demands.submit_demand(user("wh_applicant"), NEED).number
        db.session.commit()
        assert _route_days(before) == (1, calendar.add_working_days(date(2026, 12, 31), 3))  # the old rule
        assert _route_days(after) == (2, calendar.add_working_days(date(2027, 1, 4), 5))  # the new one
    page = client.get("/admin/processes").get_data(as_text=True)
    assert "待施行的版本" not in page  # in force now
