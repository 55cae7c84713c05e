"""供需对接 (#33): a 武汉 department needs data nobody has catalogued; a second demand for the same data is merged
into it; the holder promises to catalogue it within its deadline, counted across the National Day holiday; once
published both demanders are told and one applies in one click; a demand nobody routes shows as overdue in the
§26 figures."""

from __future__ import annotations

import re
from datetime import date

from app.calendar.services import active_calendar
from app.catalog import services as catalog
from app.engine import runtime
from app.extensions import db
from app.org.models import Department
from app.sharing.models import DataDemand, DemandStatus
from app.supervision import stats
from tests.conftest import csrf_token, login, user
from tests.integration.test_catalog import _review_task
from tests.integration.test_sharing import at, notes_for, task
from tests.unit.test_catalog_rules import valid

NEED = {
    "title": "殡葬服务机构信息",
    "purpose": "核验殡葬补贴申领人所在殡葬服务机构",
    "fields": "机构名称、地址",
    "legal_basis": "《殡葬管理条例》",
    "business_system": "武汉市殡葬补贴系统",
}


def _raise(client, **changes) -> str:
    """A demand through the page, by the signed-in clerk."""
    answer = client.post(
        "/demands/new", data={**NEED, **changes, "csrf_token": csrf_token(client, "/demands/new")}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer.headers["Location"].rsplit("/", 1)[1]


def test_a_demand_is_merged_promised_across_a_holiday_published_and_applied_for(app, client, demo_content):
    at("2026-09-29T10:00:00+08:00")  # Tuesday before the National Day holiday
    login(client, "wh_applicant")
    blank = client.post("/demands/new", data={"csrf_token": csrf_token(client, "/demands/new"), "title": "x"})
    assert blank.status_code == 422 and "请填写所需数据项" in blank.get_data(as_text=True)
    first = _raise(client)
    other = app.test_client()
    login(other, "rst_applicant")
    second = _raise(other, purpose="核验殡葬服务机构资质", business_system="湖北省民政综合系统")
    with app.app_context():
        mz = db.session.scalar(db.select(Department).where(Department.name == "湖北省民政厅"))
        # 湖北省平台 merges the provincial demand into the 武汉 one for the same data (offered as similar).
        check = task(second, "route_demand")
        assert check.candidate_department_id == user("hb_operator").department_id
        options = runtime.task_form(check)["properties"]["merge_into"]["enum"]
        assert first in options
        runtime.complete_task(check.id, user("hb_operator"), {"action": "merge", "merge_into": first})
        # 武汉's platform routes its own to 省民政厅.
        route = task(first, "route_demand")
        assert str(mz.id) in runtime.task_form(route)["properties"]["holder_department_id"]["enum"]
        runtime.complete_task(
            route.id, user("wh_operator"), {"action": "route", "holder_department_id": str(mz.id)}
        )
        answer_step = task(first, "answer_demand")
        due = active_calendar().add_working_days(date(2026, 9, 29), 10)
        assert (
            answer_step.due_date == due and (due - date(2026, 9, 29)).days > 14
        )  # the holiday is not counted
        assert not active_calendar().is_working_day(date(2026, 10, 1))
        assert any("已合并跟踪" in m for m in notes_for("rst_applicant"))
        db.session.commit()

    with app.app_context():
        at("2026-10-12T09:00:00+08:00")  # within the deadline
        step = task(first, "answer_demand")
        runtime.complete_task(step.id, user("mz_clerk"), {"answer": "will", "promised_on": "2026-10-30"})
        for username in ("wh_applicant", "rst_applicant"):  # the merged demand's people too
            assert any("承诺于2026-10-30前编目" in m for m in notes_for(username)), username
        assert step.on_time is True
        # The provider catalogues it; the catalog review publishes it.
        resource = catalog.create_resource(user("mz_clerk"), valid())
        version = catalog.submit_for_review(user("mz_clerk"), resource)
        runtime.complete_task(
            _review_task(version.review_business_key).id,
            user("supervisor"),
            {"approved": True, "comment": "同意"},
        )
        code = resource.code
        db.session.commit()

    holder = app.test_client()
    login(holder, "mz_clerk")
    page = f"/demands/{first}"
    wrong = holder.post(
        page, data={"csrf_token": csrf_token(holder, page), "resource_code": "3420000/999999"}
    )
    assert wrong.status_code == 422 and "资源代码不存在" in wrong.get_data(as_text=True)
    linked = holder.post(page, data={"csrf_token": csrf_token(holder, page), "resource_code": code})
    assert linked.status_code == 302
    with app.app_context():
        for username in ("wh_applicant", "rst_applicant"):
            assert any(f"已发布为“{NEED['title']}”" in m for m in notes_for(username)), username
        assert (
            db.session.scalar(db.select(DataDemand.status).where(DataDemand.number == first))
            == DemandStatus.FULFILLED
        )

    # One click: the merged demand's applicant opens the application with the demand filled in.
    demand_page = other.get(f"/demands/{second}").get_data(as_text=True)
    link = re.search(r'href="(/applications/new\?[^"]+)"', demand_page).group(1).replace("&amp;", "&")
    form = other.get(link).get_data(as_text=True)
    assert "核验殡葬服务机构资质</" in form or 'value="核验殡葬服务机构资质"' in form
    assert "湖北省民政综合系统" in form and f"数据需求 {second}" in form
    # Nobody else reads the demand.
    stranger = app.test_client()
    login(stranger, "xg_applicant")
    assert stranger.get(f"/demands/{first}").status_code == 403


def test_a_demand_nobody_routes_is_overdue_in_the_section_26_figures(app, client, demo_content):
    at("2026-11-02T10:00:00+08:00")
    login(client, "xg_applicant")
    number = _raise(client, title="个体工商户年报信息", fields="字号、年报年度")
    at("2026-11-10T10:00:00+08:00")  # 3 working days have passed
    with app.app_context():
        scope = stats.Scope(date(2026, 11, 1), date(2026, 11, 30))
        overdue = stats.overdue_tasks(scope)
        assert [t.label for t in overdue if t.business_key == number] == ["分派数据需求：个体工商户年报信息"]
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    dashboard = supervisor.get("/supervision/?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    assert number in dashboard and "分派数据需求" in dashboard
