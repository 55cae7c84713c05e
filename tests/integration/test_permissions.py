"""The permission matrix: every demo user against the pages and API operations that name one object.

Each row says who may see or do it, in words of the regulation; everyone else must be refused (403/404),
and everyone named must be let in (200). A city's data bureau (武汉, 孝感) oversees its own platform only
(办法§9, §26); the province's 大数据管理机构, the leadership office and admins oversee every department.
"""

from __future__ import annotations

import csv
import io

import pytest

from app.audit.models import AuditEvent
from app.demo import USERS
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.org.models import Department, User
from app.sharing.models import ApplicationLine, Authorization, Decision, ShareApplication
from tests.conftest import api_token, bearer, csrf_token, login, user

EVERYONE = {username for username, *_rest in USERS}
OVERSEERS = {"admin", "supervisor", "leader"}  # province-wide (§26, §28)
ALLOWED, REFUSED = {200}, {403, 404}


@pytest.fixture
def demo_cases(app, full_demo):
    """The whole demo: open checks, a 武汉 case at the province's upper check, a rectification for 民政厅."""


def _workers_of(*department_ids: int) -> set[str]:
    return set(db.session.scalars(db.select(User.username).where(User.department_id.in_(department_ids))))


def _matrix(app) -> list[tuple[str, str, set[str]]]:
    """(what, path, who may) for the objects of the demo."""
    with app.app_context():

        def task(business_key: str, step: str) -> str:
            return db.session.scalar(
                db.select(HumanTask.id).where(
                    HumanTask.business_key == business_key,
                    HumanTask.spec_name == step,
                    HumanTask.status == TaskStatus.OPEN,
                )
            )

        def case(number: str) -> ShareApplication:
            return db.session.scalar(db.select(ShareApplication).where(ShareApplication.number == number))

        def department(name: str) -> int:
            return db.session.scalar(db.select(Department.id).where(Department.name == name))

        province_case, wuhan_case = case("SQ-2026-000001"), case("SQ-2026-000002")
        decided = db.session.scalar(  # the first case of the supervision demo whose resources were answered
            db.select(ShareApplication)
            .where(ShareApplication.lines.any(ApplicationLine.decision == Decision.GRANTED))
            .order_by(ShareApplication.id)
        )
        province_platform = {"hb_operator"}  # operates the platform of the province's departments
        province_case_parties = (
            {"rst_applicant"}
            | province_platform
            | _workers_of(*(line.provider_department_id for line in province_case.lines))
        )
        wuhan_case_parties = (
            {"wh_applicant", "wh_operator"}
            | province_platform
            | _workers_of(*(line.provider_department_id for line in wuhan_case.lines))
        )
        line = decided.lines[0]
        mz, wh_police = department("湖北省民政厅"), department("武汉市公安局")
        return [
            (
                "normative check (§19), province platform",
                f"/tasks/{task('SQ-2026-000001', 'normative_check')}",
                OVERSEERS | province_platform,
            ),
            (
                "normative check over the API",
                f"/api/v1/tasks/{task('SQ-2026-000001', 'normative_check')}",
                OVERSEERS | province_platform,
            ),
            (
                "武汉 case at the province's upper check (§12)",
                f"/tasks/{task('SQ-2026-000002', 'upper_check')}",
                OVERSEERS | province_platform,
            ),
            (
                "rectification report (§31) of 民政厅",
                f"/api/v1/tasks/{task('ZG-2026-000001', 'report')}",
                OVERSEERS | province_platform | {"mz_clerk", "mz_reviewer"},  # 民政厅's staff
            ),
            ("province case page", "/applications/SQ-2026-000001", OVERSEERS | province_case_parties),
            (
                "province case over the API",
                "/api/v1/applications/SQ-2026-000001",
                OVERSEERS | province_case_parties,
            ),
            ("武汉 case page", "/applications/SQ-2026-000002", OVERSEERS | wuhan_case_parties),
            ("武汉 case over the API", "/api/v1/applications/SQ-2026-000002", OVERSEERS | wuhan_case_parties),
            (
                "dispute form of a decided line (§25): the parties only",
                f"/disputes/new?line={line.id}",
                {"rst_applicant", "hb_operator"} | _workers_of(line.provider_department_id),
            ),
            (
                "rectification of 民政厅 (§31)",
                "/supervision/rectifications/ZG-2026-000001",
                OVERSEERS | {"mz_clerk", "mz_reviewer"},
            ),
            ("§26 statistics of a province department", f"/supervision/?department={mz}", OVERSEERS),
            (
                "§26 statistics of a 武汉 department",
                f"/supervision/?department={wh_police}",
                OVERSEERS | {"wh_operator"},
            ),
            ("province-wide monthly reports", "/supervision/monthly", OVERSEERS),
        ]


def test_every_demo_user_sees_exactly_what_the_rules_allow(app, demo_cases):
    matrix = _matrix(app)
    leaks, lockouts = [], []
    for username in sorted(EVERYONE):
        page_client = app.test_client()
        assert login(page_client, username).status_code == 302
        headers = bearer(api_token(app, username))
        for what, path, allowed in matrix:
            if path.startswith("/api/"):
                status = app.test_client().get(path, headers=headers).status_code
            else:
                status = page_client.get(path).status_code
            expected = ALLOWED if username in allowed else REFUSED
            if status not in expected:
                (leaks if username not in allowed else lockouts).append(
                    f"{username} {status} {what} ({path})"
                )
    assert leaks == [] and lockouts == []


def test_only_the_province_and_the_tasks_own_platform_reassign_it(app, demo_cases):
    with app.app_context():  # an open check at the province's platform (neither 武汉's nor 孝感's)
        check = db.session.scalar(
            db.select(HumanTask.id)
            .where(
                HumanTask.spec_name == "normative_check",
                HumanTask.status == "open",
                HumanTask.candidate_department_id == user("hb_operator").department_id,
            )
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    for username in ("xg_operator", "wh_operator", "leader", "rst_applicant"):
        answer = app.test_client().post(
            f"/api/v1/tasks/{check}/reassign",
            json={"assignee": "hb_operator"},
            headers=bearer(api_token(app, username)),
        )
        assert answer.status_code == 403, username
    answer = app.test_client().post(
        f"/api/v1/tasks/{check}/reassign",
        json={"assignee": "hb_operator"},
        headers=bearer(api_token(app, "supervisor")),
    )
    assert answer.status_code == 200


def test_a_city_data_bureau_reads_only_its_platforms_records(app, demo_cases):
    """The audit trail, the calls, the §26 report, the scorecard and the review queue of 孝感 hold nothing
    of the province or of 武汉; the province's supervisor sees them all."""
    with app.app_context():
        departments = db.session.execute(
            db.select(Department.name, Department.short_name, Department.level)
        ).all()
        xiaogan = {n for name, short, _level in departments if name.startswith("孝感") for n in (name, short)}
        province_names = {
            n for name, short, level in departments if level == "province" for n in (name, short)
        }
    city, province = app.test_client(), app.test_client()
    login(city, "xg_operator")
    login(province, "supervisor")
    for path, column in (
        ("/supervision/audit.csv", "部门"),
        ("/supervision/scorecard.csv?year=2026", "部门"),
    ):
        city_rows = list(csv.DictReader(io.StringIO(city.get(path).get_data(as_text=True).lstrip("\ufeff"))))
        province_rows = list(
            csv.DictReader(io.StringIO(province.get(path).get_data(as_text=True).lstrip("\ufeff")))
        )
        assert {row[column] for row in city_rows} <= xiaogan, path
        assert {row[column] for row in province_rows} & province_names, path
    for path in (
        "/supervision/calls",
        "/supervision/report",
        "/catalog/review",
        "/supervision/rectifications",
    ):
        page = city.get(path).get_data(as_text=True)
        assert city.get(path).status_code == 200
        assert not [name for name in province_names if name in page], path


def test_a_city_operator_cannot_report_calls_of_province_departments(app, demo_cases):
    with app.app_context():
        authorization = db.session.scalars(db.select(Authorization).order_by(Authorization.id)).first()
        call = {
            "authorization_id": authorization.id,
            "caller_uscc": authorization.applicant_department.uscc,
            "resource_code": authorization.resource.code,
            "called_at": "2026-11-02T09:00:00+08:00",
            "success": True,
        }
    refused = app.test_client().post(
        "/api/v1/calls", json={"calls": [call]}, headers=bearer(api_token(app, "xg_operator"))
    )
    assert refused.status_code == 422 and "calls[0]" in refused.get_json()["error"]["fields"]
    accepted = app.test_client().post(
        "/api/v1/calls", json={"calls": [call]}, headers=bearer(api_token(app, "hb_operator"))
    )
    assert accepted.status_code in (200, 201)


def test_regenerating_a_monthly_report_and_moving_the_clock_are_audited(app, demo_cases):
    """§27 full-process audit: a published report is replaced only by the province, on the record; a city
    data bureau cannot overwrite it; who moved the clock of a test server is kept."""
    city, province = app.test_client(), app.test_client()
    login(city, "wh_operator")
    login(province, "supervisor")
    city_token = csrf_token(city, "/profile")
    assert (
        city.post("/supervision/monthly", data={"csrf_token": city_token, "period": "2026-10"}).status_code
        == 403
    )
    for _ in range(2):
        token = csrf_token(province, "/supervision/monthly")
        assert (
            province.post("/supervision/monthly", data={"csrf_token": token, "period": "2026-10"}).status_code
            == 302
        )
    moved = app.test_client().post(
        "/api/v1/admin/clock",
        json={"now": "2026-11-03T09:00:00+08:00"},
        headers=bearer(api_token(app, "admin")),
    )
    assert moved.status_code == 200
    with app.app_context():
        generated = list(
            db.session.scalars(
                db.select(AuditEvent)
                .where(AuditEvent.action == "monthly_report.generated", AuditEvent.object_id == "2026-10")
                .order_by(AuditEvent.seq)
            )
        )
        # the demo kept last month's report (the scheduler's job), then the supervisor regenerated it twice
        assert [e.actor_name for e in generated] == ["system", "supervisor", "supervisor"]
        assert generated[0].data["replaced"] is None
        assert all(e.data["replaced"]["figures"] == generated[0].data["figures"] for e in generated[1:])
        (clock_set,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "clock.set"))
        assert clock_set.actor_name == "admin" and clock_set.data["to"] == "2026-11-03T09:00:00+08:00"
