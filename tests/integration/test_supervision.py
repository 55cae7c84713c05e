"""Supervision (办法§24, §26, §28, §31): data calls and their flags, availability probes, the overdue report,
rectification through its BPMN procedure, monthly reports, scorecards, the audit viewer, exports."""

from __future__ import annotations

import csv as csv_module
import io
import re
import threading
from datetime import date, datetime
from html import unescape
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from openpyxl import load_workbook

from app import clock, scheduler
from app.audit.models import AuditEvent
from app.audit.writer import record
from app.catalog.models import DataService, Resource
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.sharing import services
from app.sharing.models import Authorization
from app.supervision import calls, reports
from app.supervision.models import DataCall, DataCallRollup, MonthlyReport, Rectification, RectificationStatus
from app.supervision.rectification import order_rectification
from tests.conftest import api_token, bearer, captured_sql, csrf_token, login, user
from tests.integration.test_sharing import application_data, at, task

RST = "11420000MB00000784"  # 省人社厅, the applicant in these cases
MZ = "11420000MB0000086Y"  # 省民政厅


def _granted_marriage_authorization() -> Authorization:
    at("2026-09-30T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    return db.session.scalar(db.select(Authorization))


def _call(authorization_id, caller=RST, code=None, when="2026-10-15T10:00:00+08:00", success=True) -> dict:
    return {
        "authorization_id": authorization_id,
        "caller_uscc": caller,
        "resource_code": code,
        "service": None,
        "called_at": datetime.fromisoformat(when),
        "success": success,
        "duration_ms": 12,
    }


# --- data calls --------------------------------------------------------------------------------------------


def test_calls_are_checked_against_their_authorization(content):
    authorization = _granted_marriage_authorization()  # valid 2026-10-01 … 2027-09-30
    code = authorization.resource.code
    other = db.session.scalar(db.select(Resource.code).where(Resource.name == "法人单位基础信息"))
    stored = calls.ingest(
        user("hb_operator"),
        [
            _call(authorization.id, code=code),
            _call(authorization.id, code=code, success=False),
            _call(None, code=code),
            _call(authorization.id, caller=MZ, code=code),
            _call(authorization.id, code=other),
            _call(authorization.id, code=code, when="2026-09-20T10:00:00+08:00"),
            _call(999_999, code=code),
        ],
    )
    assert [c.flag for c in stored] == [
        None,
        None,
        "no_authorization",
        "wrong_caller",
        "resource_mismatch",
        "outside_validity",
        "no_authorization",
    ]
    at("2026-11-01T10:00:00+08:00")
    services.revoke_authorization(user("mz_clerk"), authorization, "业务系统已停用")
    (late,) = calls.ingest(
        user("hb_operator"), [_call(authorization.id, code=code, when="2026-11-02T10:00:00+08:00")]
    )
    assert late.flag == "revoked"

    flagged = calls.flagged_calls(date(2026, 9, 1), date(2026, 11, 30))
    assert sorted(c.flag for c in flagged) == sorted(
        [
            "no_authorization",
            "wrong_caller",
            "resource_mismatch",
            "outside_validity",
            "no_authorization",
            "revoked",
        ]
    )
    rows = {r.key: r for r in calls.call_figures(date(2026, 9, 1), date(2026, 11, 30))}
    mine = rows[str(authorization.id)]
    assert (mine.calls, mine.failures, mine.flagged) == (6, 1, 4) and mine.failure_rate == pytest.approx(
        1 / 6
    )


def test_the_exchange_system_reports_calls_over_the_api(app, client, demo_content):
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    body = {
        "calls": [
            {
                "caller_uscc": RST,
                "resource_code": code,
                "called_at": "2026-10-15T10:00:00+08:00",
                "success": True,
            }
        ]
    }
    response = client.post("/api/v1/calls", json=body, headers=bearer(api_token(app, "hb_operator")))
    assert response.status_code == 201
    login(client, "supervisor")
    exported = client.get("/supervision/export/flagged.csv?from=2026-10-01&to=2026-10-31").data.decode(
        "utf-8-sig"
    )
    assert exported.startswith("时间,调用方,资源代码,授权编号,问题") and "无有效授权" in exported
    assert response.get_json() == {
        "stored": 1,
        "duplicates": [],
        "flagged": [{"index": 0, "flag": "no_authorization", "message": "无有效授权"}],
    }
    refused = client.post("/api/v1/calls", json=body, headers=bearer(api_token(app, "rst_applicant")))
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/calls",
        json={
            "calls": [
                {
                    "caller_uscc": "x",
                    "resource_code": code,
                    "called_at": "2026-10-15T10:00:00",
                    "success": "maybe",
                }
            ]
        },
        headers=bearer(api_token(app, "hb_operator")),
    )
    fields = bad.get_json()["error"]["fields"]
    assert bad.status_code == 422 and set(fields) == {
        "calls[0].caller_uscc",
        "calls[0].called_at",
        "calls[0].success",
    }
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DataCall.id))) == 1


def test_csv_import_names_bad_rows_and_imports_nothing(app, client, demo_content):
    login(client, "supervisor")
    good = f"authorization_id,caller_uscc,resource_code,service,called_at,success,duration_ms\n,{RST},R1,,2026-10-15T10:00:00+08:00,true,5\n"
    bad = good + f",{RST},R1,,yesterday,true,5\n,{RST},R1,,2026-10-15T10:00:00,maybe,\n"
    token = csrf_token(client, "/supervision/calls")
    response = client.post(
        "/supervision/calls",
        data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "calls.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert (
        response.status_code == 422
        and "第3行" in page
        and "第4行" in page
        and "success 应为 true/false" in page
    )
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DataCall.id))) == 0
    response = client.post(
        "/supervision/calls",
        data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "calls.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "已导入 1 条调用记录，其中 1 条超出授权" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (f",{RST},{'R' * 140_000},,2026-10-15T10:00:00+08:00,true,5", "第2行", "无法读取"),
        (f",{RST},{'R' * 65},,2026-10-15T10:00:00+08:00,true,5", "第2行", "resource_code 不能超过 64 个字符"),
        (f"99999999999,{RST},R1,,2026-10-15T10:00:00+08:00,true,5", "第2行", "authorization_id 应为授权编号"),
        (f",{RST},R1,,2026-10-15T10:00:00+08:00,true,99999999999", "第2行", "duration_ms 应为"),
    ],
    ids=["field-over-the-csv-limit", "code-too-long", "id-past-the-integer-range", "duration-past-the-range"],
)
def test_a_csv_with_oversized_values_is_refused_by_row(app, client, demo_content, row, field, message):
    login(client, "supervisor")
    text = f"authorization_id,caller_uscc,resource_code,service,called_at,success,duration_ms\n{row}\n"
    token = csrf_token(client, "/supervision/calls")
    response = client.post(
        "/supervision/calls",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "calls.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and field in page and message in page


# --- availability ------------------------------------------------------------------------------------------


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_probes_measure_availability_and_outages(content, health_server):
    service = db.session.scalar(db.select(DataService).limit(1))
    service.health_url = f"http://127.0.0.1:{health_server.server_port}/health"
    db.session.commit()
    for moment, status in [("10:00", 200), ("10:05", 503), ("10:10", 503), ("10:15", 200), ("10:20", 200)]:
        at(f"2026-10-15T{moment}:00+08:00")
        _Health.status = status
        assert calls.probe_services() >= 1
    (entry,) = [
        a for a in calls.availability(date(2026, 10, 15), date(2026, 10, 15)) if a.service.id == service.id
    ]
    assert (entry.probes, entry.up, entry.rate) == (5, 3, 0.6)
    assert len(entry.outages) == 1 and entry.longest_outage_minutes(clock.now()) == 10

    # Another app process's scheduler wakes a minute later: the service was just probed, it is not probed again.
    at("2026-10-15T10:21:00+08:00")
    assert calls.probe_services() == 0
    service.health_url = "http://127.0.0.1:9/nothing-listens-here"
    db.session.commit()
    at("2026-10-15T10:25:00+08:00")
    assert calls.probe_services() >= 1
    last = calls.availability(date(2026, 10, 15), date(2026, 10, 15))
    (entry,) = [a for a in last if a.service.id == service.id]
    assert entry.outages[-1][1] is None  # still down


# --- the §26 report and rectification (§31) ---------------------------------------------------------------


def test_overdue_authorizations_reach_the_leadership_office_who_orders_rectification(app, content):
    at("2026-09-30T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    at("2026-10-23T10:00:00+08:00")  # provider due 10-20 (10 WD from 09-30, 10-10 included): 3 WD late
    (entry,) = reports.overdue_report()
    assert entry.department.short_name == "省民政厅"
    assert [(t.business_key, late) for t, late in entry.overdue] == [(number, 3)]
    at("2026-10-22T10:00:00+08:00")  # only 2 WD late: under the threshold of 3
    assert reports.overdue_report() == []


def _rectify(failing: str = "late_data", days: int = 5) -> Rectification:
    at("2026-09-29T10:00:00+08:00")
    department = user("mz_clerk").department
    return order_rectification(user("leader"), department, failing, "提供部门授权多次超期", days)


def test_rectification_reported_rejected_then_verified(content):
    item = _rectify()
    assert item.number.startswith("ZG-2026-") and item.due_date == date(
        2026, 10, 12
    )  # 5 WD from 09-29, via 10-10
    report = task(item.number, "report")
    assert (
        report.candidate_department_id == user("mz_clerk").department_id and report.due_date == item.due_date
    )
    runtime.complete_task(report.id, user("mz_clerk"), {"measures": "明确专人办理授权，建立到期提醒"})
    verify = task(item.number, "verify")
    assert verify.candidate_role == "supervisor"
    runtime.complete_task(
        verify.id, user("supervisor"), {"rectified": False, "verification": "尚有超期事项未办结"}
    )
    item = db.session.get(Rectification, item.id)
    assert item.status == RectificationStatus.NOTIFIED
    runtime.complete_task(task(item.number, "report").id, user("mz_clerk"), {"measures": "已全部办结"})
    assert db.session.get(Rectification, item.id).status == RectificationStatus.REPORTED
    runtime.complete_task(
        task(item.number, "verify").id, user("supervisor"), {"rectified": True, "verification": "核实到位"}
    )
    assert db.session.get(Rectification, item.id).status == RectificationStatus.RECTIFIED


def test_not_rectified_in_time_is_reported_to_the_leadership_group_once(content):
    item = _rectify(days=5)
    at("2026-10-12T23:59:00+08:00")
    scheduler.fire_due_timers()
    assert db.session.get(Rectification, item.id).status == RectificationStatus.NOTIFIED  # not before 24:00
    at("2026-10-13T00:00:01+08:00")
    scheduler.fire_due_timers()
    item = db.session.get(Rectification, item.id)
    assert item.status == RectificationStatus.ESCALATED and item.escalated_at is not None
    from app.notices.notifications import notifications_for

    assert any("逾期未完成整改" in n.message for n in notifications_for(user("leader"), limit=20))
    runtime.complete_task(task(item.number, "report").id, user("mz_clerk"), {"measures": "迟报的整改情况"})
    assert db.session.get(Rectification, item.id).status == RectificationStatus.ESCALATED  # stays on record


def test_misuse_is_reported_by_the_using_department(content):
    at("2026-09-29T10:00:00+08:00")
    item = order_rectification(user("leader"), user("rst_applicant").department, "misuse", "超范围使用", 5)
    assert task(item.number, "report_use").candidate_role == "applicant_clerk"


def test_a_city_is_ordered_through_its_data_authority_and_verified_by_the_province(content):
    """§26: the leadership office 责成有关市州整改 — a city's overdue normative checks are its platform's; the
    city's 大数据管理机构 reports through its platform operators, and the province (not the city) verifies."""
    from app.errors import PermissionDenied

    at("2026-09-29T10:00:00+08:00")
    city = user("wh_operator").department
    item = order_rectification(user("leader"), city, "overdue", "武汉市平台规范性检查多次超期", 5)
    report = task(item.number, "report_platform")
    assert (report.candidate_role, report.candidate_department_id) == ("platform_operator", city.id)
    assert report.due_date == date(2026, 10, 12)
    runtime.complete_task(report.id, user("wh_operator"), {"measures": "增设审核岗，启用到期提醒"})
    verify = task(item.number, "verify")
    assert verify.candidate_department_id == user("hb_operator").department_id  # the provincial data bureau
    with pytest.raises(PermissionDenied):  # the city's own supervisor cannot verify its own rectification
        runtime.complete_task(verify.id, user("wh_operator"), {"rectified": True, "verification": "自查到位"})
    runtime.complete_task(verify.id, user("supervisor"), {"rectified": True, "verification": "核实到位"})
    assert db.session.get(Rectification, item.id).status == RectificationStatus.RECTIFIED


def test_a_city_that_does_not_rectify_in_time_is_reported_once(content):
    at("2026-09-29T10:00:00+08:00")
    item = order_rectification(user("leader"), user("wh_operator").department, "outage", "数据服务中断", 5)
    at("2026-10-13T00:00:01+08:00")
    scheduler.fire_due_timers()
    assert db.session.get(Rectification, item.id).status == RectificationStatus.ESCALATED


def test_only_the_leadership_office_orders_and_the_department_sees_it(app, client, demo_content):
    login(client, "supervisor")
    token = csrf_token(client, "/supervision/rectifications")
    refused = client.post("/supervision/rectifications", data={"csrf_token": token})
    assert refused.status_code == 403
    client = app.test_client()  # signed out
    login(client, "leader")
    token = csrf_token(client, "/supervision/rectifications")
    with app.app_context():
        department_id = user("mz_clerk").department_id
    missing = client.post(
        "/supervision/rectifications",
        data={
            "csrf_token": token,
            "department_id": str(department_id),
            "failing": "",
            "description": "",
            "deadline_days": "0",
        },
    )
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "请选择整改事项" in page and "整改期限应为 1–60 个工作日" in page
    done = client.post(
        "/supervision/rectifications",
        data={
            "csrf_token": token,
            "department_id": str(department_id),
            "failing": "catalog",
            "description": "目录未按期更新",
            "deadline_days": "10",
        },
    )
    assert done.status_code == 302
    client = app.test_client()  # signed out
    login(client, "mz_clerk")
    page = client.get(f"/org/departments/{department_id}").get_data(as_text=True)
    assert "ZG-2026-000001" in page and "整改中" in page
    detail = client.get("/supervision/rectifications/ZG-2026-000001")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "目录未按期更新" in text
    assert (
        "通知整改" in text and "流程启动" in text and "报告整改情况：ZG-2026-000001" in text
    )  # timeline, step
    client = app.test_client()
    login(client, "rst_applicant")
    assert client.get("/supervision/rectifications/ZG-2026-000001").status_code == 403


# --- pages, reports and exports ----------------------------------------------------------------------------


def test_dashboard_and_exports(app, client, demo_content):
    with app.app_context():
        _granted_marriage_authorization()
    login(client, "supervisor")
    page = client.get("/supervision/?from=2026-09-01&to=2026-10-31").get_data(as_text=True)
    assert "授权办理统计" in page and "规范性检查（§19，3个工作日）" in page and 'class="chart"' in page
    csv = client.get("/supervision/export/steps.csv?from=2026-09-01&to=2026-10-31")
    text = csv.data.decode("utf-8-sig")
    assert (
        csv.status_code == 200
        and text.startswith("环节,办结数,按时")
        and "提供部门授权（§20，10个工作日）,1,1,0,100.0%" in text
    )
    xlsx = client.get("/supervision/export/departments.xlsx?from=2026-09-01&to=2026-10-31")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "部门" and sheet.max_row >= 3
    assert client.get("/supervision/?from=2026-10-31&to=2026-09-01").status_code == 422
    assert client.get("/supervision/export/nothing.csv").status_code == 404
    client = app.test_client()
    login(client, "rst_applicant")
    assert client.get("/supervision/").status_code == 403


def test_monthly_report_is_generated_by_the_scheduler_job_and_kept(app, client, demo_content):
    from app.scheduler import monthly_report

    with app.app_context():
        _granted_marriage_authorization()
    clock.freeze(datetime.fromisoformat("2026-10-01T02:00:00+08:00"))
    monthly_report(app)
    with app.app_context():
        kept = db.session.scalar(db.select(MonthlyReport))
        assert kept.period == "2026-09" and kept.figures["steps"]["provider_authorization"]["finished"] == 1
        first = kept.generated_at
    monthly_report(app)  # a second run keeps the published report
    with app.app_context():
        assert db.session.scalar(db.select(MonthlyReport)).generated_at == first
    login(client, "leader")
    html = client.get("/supervision/monthly/2026-09").get_data(as_text=True)
    assert "湖北省政务信息资源共享情况统计（2026-09）" in html and "第二十六条" in html


def test_scorecard_of_a_year(app, client, demo_content):
    with app.app_context():
        _granted_marriage_authorization()
        cards = {c.department.short_name: c for c in reports.scorecards(2026)}
        assert cards["省民政厅"].finished == 1 and cards["省民政厅"].on_time_rate == 1.0
    login(client, "leader")
    assert "省民政厅" in client.get("/supervision/scorecard?year=2026").get_data(as_text=True)
    assert client.get("/supervision/scorecard.xlsx?year=2026").status_code == 200
    assert client.get("/supervision/scorecard?year=99999").status_code == 422


def test_audit_viewer_filters_and_exports(app, client, demo_content):
    with app.app_context():
        _granted_marriage_authorization()
        number = db.session.scalar(
            db.select(HumanTask.business_key).where(HumanTask.status == TaskStatus.COMPLETED)
        )
    login(client, "supervisor")
    page = client.get(f"/supervision/audit?case={number}").get_data(as_text=True)
    assert number in page and ">提交申请<" in page and ">作出授权决定<" in page  # actions in Chinese
    assert "决定：granted" in page and '{"' not in page  # data as 键：值, not raw JSON
    only = client.get("/supervision/audit?user=mz_clerk&action=task.").get_data(as_text=True)
    assert "省民政厅经办人" in only and "省平台审核员" not in only
    export = client.get(f"/supervision/audit.csv?case={number}").data.decode("utf-8-sig")
    assert export.startswith("序号,时间,操作人") and number in export and ",提交申请," in export
    assert client.get("/supervision/audit?from=not-a-date").status_code == 422
    assert client.get("/supervision/audit?to=9999-12-31").status_code == 422
    client = app.test_client()
    login(client, "rst_applicant")
    assert client.get("/supervision/audit").status_code == 403


def test_statistics_over_the_api(app, client, demo_content):
    with app.app_context():
        _granted_marriage_authorization()
    response = client.get(
        "/api/v1/statistics?from=2026-09-01&to=2026-10-31", headers=bearer(api_token(app, "supervisor"))
    )
    body = response.get_json()
    assert response.status_code == 200 and body["received"] == 1
    steps = {s["step"]: s for s in body["steps"]}
    assert steps["normative_check"]["finished"] == 1 and steps["normative_check"]["on_time_rate"] == 1.0
    assert (
        client.get("/api/v1/statistics", headers=bearer(api_token(app, "rst_applicant"))).status_code == 403
    )


def test_report_and_rectification_exports(app, client, demo_content):
    with app.app_context():
        at("2026-09-30T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        _rectify()
        at("2026-10-23T10:00:00+08:00")
    login(client, "leader")
    report = client.get("/supervision/export/report.csv").data.decode("utf-8-sig")
    assert (
        report.startswith("部门,案件") and f"湖北省民政厅,{number},提供部门授权" in report and ",3," in report
    )
    listing = client.get("/supervision/export/rectifications.xlsx")
    sheet = load_workbook(io.BytesIO(listing.data)).active
    assert [c.value for c in sheet[2]][:3] == [
        "ZG-2026-000001",
        "湖北省民政厅",
        "未向共享平台及时提供共享数据（§31(二)）",
    ]


def test_a_city_data_bureau_sees_its_own_platform(app, client, demo_content):
    with app.app_context():
        _granted_marriage_authorization()  # a provincial case
    login(client, "wh_operator")  # 武汉市数据局: platform operator and supervisor of the 武汉 platform
    csv = client.get("/supervision/export/steps.csv?from=2026-09-01&to=2026-10-31").data.decode("utf-8-sig")
    assert "规范性检查（§19，3个工作日）,0," in csv  # the provincial check is not the city's


def test_the_api_applies_the_same_scope_rules(app, client, demo_content):
    with app.app_context():
        _granted_marriage_authorization()  # a provincial case
    city = bearer(api_token(app, "wh_operator"))
    body = client.get("/api/v1/statistics?from=2026-09-01&to=2026-10-31", headers=city).get_json()
    assert {s["step"]: s["finished"] for s in body["steps"]}["normative_check"] == 0  # its own platform only
    backwards = client.get("/api/v1/statistics?from=2026-10-31&to=2026-09-01", headers=city)
    assert backwards.status_code == 422 and backwards.get_json()["error"]["fields"] == {
        "to": "结束日期不能早于开始日期"
    }


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"])
def test_typed_text_that_looks_like_a_formula_is_exported_as_text(app, client, demo_content, typed):
    """§27: an export must not run what a clerk typed on the reader's machine."""
    with app.app_context():
        at("2026-09-29T10:00:00+08:00")
        order_rectification(user("leader"), user("mz_clerk").department, "late_data", typed, 5)
    login(client, "leader")
    csv_text = client.get("/supervision/export/rectifications.csv").data.decode("utf-8-sig")
    rows = list(csv_module.reader(io.StringIO(csv_text)))
    assert rows[1][3] == "'" + typed
    sheet = load_workbook(io.BytesIO(client.get("/supervision/export/rectifications.xlsx").data)).active
    cell = sheet.cell(row=2, column=4)
    assert (cell.value, cell.data_type) == (typed, "s")


def test_exported_rates_and_working_days_are_numbers(app, client, demo_content):
    """Excel sorts and sums what it gets as numbers: rates and working days are numeric cells with their
    display format, not text; the page still reads 100.0%."""
    with app.app_context():
        _granted_marriage_authorization()
    login(client, "leader")
    workbook = client.get("/supervision/export/steps.xlsx?from=2026-09-01&to=2026-10-31")
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    headers = [c.value for c in sheet[1]]
    provider = next(row for row in sheet.iter_rows(min_row=2) if row[0].value.startswith("提供部门授权"))
    rate, days = provider[headers.index("按时率")], provider[headers.index("平均用时（工作日）")]
    assert (rate.value, rate.number_format, rate.data_type) == (1.0, "0.0%", "n")
    assert days.data_type == "n" and days.number_format == "0.0"
    csv_text = client.get("/supervision/export/steps.csv?from=2026-09-01&to=2026-10-31").data.decode(
        "utf-8-sig"
    )
    assert ",100.0%," in csv_text
    assert "100.0%" in client.get("/supervision/?from=2026-09-01&to=2026-10-31").get_data(as_text=True)


def test_authorizations_are_named_by_their_case_number_not_a_database_id(app, client, demo_content):
    with app.app_context():
        authorization = _granted_marriage_authorization()
        number = authorization.line.application.number
        validity = f"有效期 {authorization.valid_from.isoformat()} 至 {authorization.valid_to.isoformat()}"
    login(client, "rst_applicant")
    listing = client.get("/authorizations").get_data(as_text=True)
    assert f"<code>{number}</code>" in listing and f"<td>{authorization.id}</td>" not in listing
    case = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "授权编号" not in case and validity in case


def test_a_retried_batch_with_call_ids_is_counted_once(app, client, demo_content):
    """#28 item 11: the exchange system's own call id makes POST /calls safe to retry."""
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    call = {
        "caller_uscc": RST,
        "resource_code": code,
        "called_at": "2026-10-15T10:00:00+08:00",
        "success": True,
    }
    body = {
        "calls": [call | {"call_id": "gw-0001"}, call | {"call_id": "gw-0002"}, call | {"call_id": "gw-0001"}]
    }
    token = api_token(app, "hb_operator")
    first = client.post("/api/v1/calls", json=body, headers=bearer(token)).get_json()
    assert first["stored"] == 2 and first["duplicates"] == [2]
    again = client.post(
        "/api/v1/calls", json=body, headers=bearer(token)
    ).get_json()  # the retry after a timeout
    assert again["stored"] == 0 and again["duplicates"] == [0, 1, 2] and again["flagged"] == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DataCall.id))) == 2


def test_audit_viewer_pages_by_key_older_and_newer_without_gaps(app, client, demo_content):
    """#30: pages of 50 by the event id (`before` / `after`), so page 1000 costs what page 1 does; walking older
    then newer returns every event once, in order, and no query uses OFFSET."""
    with app.app_context():
        for n in range(120):
            record("test.paging", data={"n": n})
        db.session.commit()
    login(client, "supervisor")  # (its sign-in is audited too)
    with app.app_context():
        wanted = list(db.session.scalars(db.select(AuditEvent.seq).order_by(AuditEvent.id.desc())))
    seen: list[int] = []
    url = "/supervision/audit"
    pages = []
    with app.app_context(), captured_sql() as statements:
        while url:
            html = client.get(url).get_data(as_text=True)
            ids = [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", html)]  # each row's seq
            pages.append(ids)
            seen += ids
            older = re.search(r'href="([^"]*before=\d+[^"]*)">较早的 50 条', html)
            url = unescape(older.group(1)) if older else ""
    assert len(pages) >= 3 and all(len(p) == 50 for p in pages[:-1])
    assert seen == wanted  # every event once, newest first
    paged = [s for s in statements if "FROM audit_event" in s and "ORDER BY audit_event.id DESC" in s]
    assert sum("audit_event.id <" in s for s in paged) == len(pages) - 1  # each later page starts at a key
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):  # SQLite adds "OFFSET ?" (0)
        assert not any("OFFSET" in s.upper() for s in paged)
    with app.app_context():
        first_of_last = db.session.scalar(db.select(AuditEvent.id).where(AuditEvent.seq == pages[-1][0]))
    html = client.get(f"/supervision/audit?after={first_of_last}").get_data(as_text=True)
    newer = [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", html)]
    assert newer == pages[-2]  # one page back towards the newest
    assert client.get("/supervision/audit?before=abc").status_code == 422


def test_the_data_calls_table_is_paged_by_the_database_most_called_first(app, client, demo_content):
    """#30: the table shows 100 groups a page, chosen and ordered in SQL (a year of calls has tens of
    thousands of groups); the export still has every one."""
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    services_called = [f"服务{n:03d}" for n in range(101)]
    body = {
        "calls": [
            {
                "caller_uscc": RST,
                "resource_code": code,
                "service": name,
                "called_at": "2026-10-15T10:00:00+08:00",
                "success": True,
            }
            for name in services_called
        ]
        + [
            {
                "caller_uscc": RST,
                "resource_code": code,
                "service": "服务042",
                "called_at": "2026-10-16T10:00:00+08:00",
                "success": True,
            }
        ]
    }
    assert (
        client.post("/api/v1/calls", json=body, headers=bearer(api_token(app, "hb_operator"))).status_code
        == 201
    )
    login(client, "supervisor")
    url = "/supervision/calls?by=service&from=2026-10-01&to=2026-10-31"
    first = client.get(url).get_data(as_text=True)
    keys = re.findall(r"<tr><td>(服务\d{3})</td>", first)
    assert len(keys) == 100 and keys[0] == "服务042" and "下一页" in first  # twice called: first
    second = client.get(url + "&page=2").get_data(as_text=True)
    assert re.findall(r"<tr><td>(服务\d{3})</td>", second) == ["服务100"] and "下一页" not in second
    exported = client.get("/supervision/export/calls.csv?by=service&from=2026-10-01&to=2026-10-31").data
    assert exported.decode("utf-8-sig").count("服务") == 101


def _report_calls(client, app, calls: list[dict]) -> None:
    response = client.post(
        "/api/v1/calls", json={"calls": calls}, headers=bearer(api_token(app, "hb_operator"))
    )
    assert response.status_code == 201, response.get_json()


def test_closed_months_come_from_their_rollup_with_the_very_figures_of_the_calls(app, client, demo_content):
    """#30: the calls-rollup job (from the scheduler's job table) sums each closed month; the figures of any
    period — whole months, parts of months, one department's — are those the raw calls give; a call reported
    late for a rolled-up month makes it stale (counted from the calls again) until the next rollup."""
    from tests.integration.test_operability import _job_table, _run

    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
        mz = user("mz_clerk").department_id
    reported = [
        {
            "caller_uscc": RST,
            "resource_code": code,
            "service": f"服务{n % 3}",
            "called_at": f"2026-{month:02d}-{day:02d}T10:00:00+08:00",
            "success": n % 4 != 0,
        }
        for n, (month, day) in enumerate([(m, d) for m in (8, 9, 10, 11) for d in (1, 14, 28)])
    ]
    _report_calls(client, app, reported)
    periods = [
        (date(2026, 8, 1), date(2026, 11, 30), None),
        (date(2026, 9, 15), date(2026, 10, 31), None),
        (date(2026, 9, 1), date(2026, 9, 30), [mz]),
    ]

    def figures():
        with app.app_context():
            return [
                [
                    (f.key, f.calls, f.failures, f.flagged)
                    for f in calls.call_figures(s, e, by=by, department_ids=ids)
                ]
                for s, e, ids in periods
                for by in ("service", "resource", "authorization")
            ]

    from_calls = figures()
    _run(_job_table(app)["calls-rollup"])
    with app.app_context():
        rolled = sorted(db.session.scalars(db.select(DataCallRollup.month)))
        assert rolled == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]  # November is still open
    assert figures() == from_calls
    _report_calls(
        client, app, [reported[4] | {"called_at": "2026-09-20T10:00:00+08:00"}]
    )  # late, for September
    with app.app_context():
        assert db.session.get(DataCallRollup, date(2026, 9, 1)).stale
        now = calls.call_figures(date(2026, 9, 1), date(2026, 9, 30), by="service")
    assert sum(f.calls for f in now) == 4  # the late call counts at once
    _run(_job_table(app)["calls-rollup"])
    with app.app_context():
        assert not db.session.get(DataCallRollup, date(2026, 9, 1)).stale
        assert (
            sum(f.calls for f in calls.call_figures(date(2026, 9, 1), date(2026, 9, 30), by="service")) == 4
        )


def test_the_scorecard_counts_each_callers_calls_outside_authorization_from_rollups_and_calls_alike(
    app, client, demo_content
):
    """#30: §28 scorecards count a department's flagged calls of the year the same way before and after the
    closed months are rolled up (a rolled-up October, an open December)."""
    from tests.integration.test_operability import _job_table, _run

    clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    _report_calls(
        client,
        app,
        [
            {"caller_uscc": RST, "resource_code": code, "called_at": when, "success": True}  # flagged: no
            for when in (  # authorization named
                "2026-10-15T10:00:00+08:00",
                "2026-12-02T10:00:00+08:00",
                "2025-12-31T10:00:00+08:00",  # another year
            )
        ],
    )

    def flagged() -> int:
        with app.app_context():
            return {c.department.short_name: c for c in reports.scorecards(2026)}["省人社厅"].flagged_calls

    assert flagged() == 2
    _run(_job_table(app)["calls-rollup"])
    with app.app_context():
        assert db.session.get(DataCallRollup, date(2026, 10, 1)) is not None
    assert flagged() == 2


def test_a_departments_dashboard_and_calls_page_count_only_the_calls_it_made_or_served(
    app, client, demo_content
):
    """The §26 call figures follow the page's scope: a department's dashboard charts the calls it made or served
    (the province's whole traffic is on the province's page), as do the data calls page and its export."""
    clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
        provider = user("mz_clerk").department_id  # 省民政厅 serves it
        applicant = user("rst_applicant").department_id
        bystander = user("gat_provider").department_id
    _report_calls(
        client,
        app,
        [
            {
                "caller_uscc": RST,
                "resource_code": code,
                "called_at": "2026-12-02T10:00:00+08:00",
                "success": True,
            }
        ],
    )
    login(client, "supervisor")
    period = "from=2026-12-01&to=2026-12-06"
    for department, shown in ((provider, True), (applicant, True), (bystander, False)):
        page = client.get(f"/supervision/?{period}&department={department}").get_data(as_text=True)
        assert (code in page) is shown
        calls_page = client.get(f"/supervision/calls?{period}&by=resource&department={department}")
        assert (f"<td>{code}</td>" in calls_page.get_data(as_text=True)) is shown
        exported = client.get(f"/supervision/export/calls.csv?{period}&by=resource&department={department}")
        assert (code in exported.data.decode("utf-8-sig")) is shown
    assert code in client.get(f"/supervision/?{period}").get_data(as_text=True)


def test_a_city_supervisor_is_offered_only_its_platform_and_refused_the_others(app, client, demo_content):
    """#31: 武汉's data bureau chooses among its own platform and departments; asking for the province's
    platform or a provincial department is refused (page and API alike), never answered with its own figures."""
    from app.org.models import Platform

    with app.app_context():
        wuhan = user("wh_operator").department.platform_id
        province = db.session.scalar(
            db.select(Platform.id).where(Platform.id != wuhan, Platform.level == "province")
        )
        provincial = user("mz_clerk").department
        own = user("wh_applicant").department
    login(client, "wh_operator")
    page = client.get("/supervision/").get_data(as_text=True)
    platform_options = re.findall(r'<select name="platform">(.*?)</select>', page, flags=re.S)[0]
    assert f'value="{wuhan}"' in platform_options and f'value="{province}"' not in platform_options
    department_options = re.findall(r'<select name="department">(.*?)</select>', page, flags=re.S)[0]
    assert own.short_name in department_options and provincial.short_name not in department_options
    assert client.get(f"/supervision/?platform={province}").status_code == 403
    assert client.get(f"/supervision/?department={provincial.id}").status_code == 403
    assert client.get(f"/supervision/?platform={wuhan}&department={own.id}").status_code == 200
    api = client.get(f"/api/v1/statistics?platform={province}", headers=bearer(api_token(app, "wh_operator")))
    assert api.status_code == 403 and api.get_json()["error"]["code"]


def test_the_audit_trail_reads_in_chinese_and_beijing_time(app, client, demo_content):
    """#31: the trail names roles and objects in Chinese, shows users by name and times in Beijing time — not
    `role：platform_operator`, `user 5` or `+00:00`; the raw values stay in the cell's title and the export."""
    from app.audit.labels import data_text, object_text
    from app.org.roles import role_label

    assert data_text({"role": "platform_operator", "due_at": "2026-12-11T16:00:00+00:00"}) == (
        f"角色：{role_label('platform_operator')}；期限：2026-12-12 00:00"
    )
    assert role_label("platform_operator") != "platform_operator"
    assert object_text("task", "51ce9fe7-0000-4000-8000-000000000000") == "待办 51ce9fe7"
    whole = object_text("task", "51ce9fe7-0000-4000-8000-000000000000", short_ids=False)
    assert whole == "待办 51ce9fe7-0000-4000-8000-000000000000"  # exports keep the id whole
    with app.app_context():
        _granted_marriage_authorization()
        clerk = user("mz_clerk")
        record("user.updated", actor=user("admin"), object_type="user", object_id=str(clerk.id), data={})
        db.session.commit()
    login(client, "supervisor")
    page = unescape(client.get("/supervision/audit").get_data(as_text=True))
    assert f"用户 {clerk.display_name}" in page and f">user {clerk.id}<" not in page
    assert "+00:00" not in re.sub(r'title="[^"]*"', "", page)
    assert "platform_operator" not in re.sub(r'title="[^"]*"', "", page)
    exported = client.get("/supervision/audit.csv").data.decode("utf-8-sig")
    assert re.search(r"待办 [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", exported)
    # Procedures by name, not id; a file digest shortened on the page and whole in the export.
    assert data_text({"process_id": "share_application"}, processes={"share_application": "共享申请"}) == (
        "流程：共享申请（share_application）"
    )
    digest = "ab" * 32
    shown = data_text({"hash": digest, "version": 9}, short=True)
    assert shown == "版本：9" and data_text({"hash": digest}) == f"文件摘要：{digest}"
    with app.app_context():
        record(
            "process.deployed",
            actor=user("analyst"),
            object_type="process_version",
            object_id="share_application:9",
            data={"process_id": "share_application", "version": 9, "hash": digest},
        )
        record(
            "task.urged",
            actor=user("hb_operator"),
            object_type="task",
            object_id="51ce9fe7-0000-4000-8000-00000000dcaf",
            data={"task": "51ce9fe7-0000-4000-8000-00000000dcaf", "message": "请今日答复"},
        )
        db.session.commit()
    urged = client.get("/supervision/audit?action=task.urged").get_data(as_text=True)
    assert (
        "待办：<code>51ce9fe7-0000-4000-8000-00000000dcaf</code>；消息：请今日答复" in urged
    )  # ids set apart
    page = unescape(client.get("/supervision/audit?action=process.deployed").get_data(as_text=True))
    title, row = re.search(r'<td class="small-text audit-data" title="([^"]*)">([^<]*)</td>', page).groups()
    assert row.startswith("流程：") and "share_application" not in row and digest not in row
    assert digest in title  # kept at hand in the cell's title
    assert digest in client.get("/supervision/audit.csv?action=process.deployed").data.decode("utf-8-sig")
