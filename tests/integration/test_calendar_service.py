"""The calendar as users reach it: versions, stored deadlines, import, CLI, API and the admin page."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.calendar import services
from app.calendar.models import CalendarVersion, StoredDeadline
from app.errors import ValidationFailed
from app.extensions import db
from tests.conftest import api_token, bearer, csrf_token, login
from tests.integration.test_cli import run

ARRANGEMENT_2027 = Path(__file__).resolve().parents[1] / "data" / "arrangement_2027_test.json"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_bundled_data_becomes_version_1_and_deadlines_record_it(app):
    with app.app_context():
        result = services.deadline(at("2026-09-30T10:00:00+08:00"), 3)
        assert result.calendar_version == 1
        assert db.session.get(CalendarVersion, 1).created_by_name == "system"


def test_importing_a_year_turns_provisional_deadlines_into_final_ones(app):
    seen: list = []
    services.on_deadlines_recomputed(seen.append)
    try:
        with app.app_context():
            stored = services.record_deadline("task", "t-1", at("2027-02-03T10:00:00+08:00"), 5)
            final_already = services.record_deadline("task", "t-2", at("2026-09-30T10:00:00+08:00"), 3)
            db.session.commit()
            assert stored.provisional and stored.due_date == date(2027, 2, 16)
            assert stored.expires_at == datetime(2027, 2, 16, 16, 0, tzinfo=UTC)
            stored_id, final_id = stored.id, final_already.id

        with app.app_context():
            result = services.import_arrangement(json.loads(ARRANGEMENT_2027.read_text()), comment="test")
            assert result.version.id == 2
            assert [c.deadline_id for c in result.recomputed] == [stored_id]
            row = db.session.get(StoredDeadline, stored_id)
            # 春节 02-05..12 off, 02-20 a make-up Saturday: 02-04, 15, 16, 17, 18.
            assert row.due_date == date(2027, 2, 18)
            assert row.provisional is False and row.provisional_reason is None
            assert row.calendar_version_id == 2
            assert db.session.get(StoredDeadline, final_id).calendar_version_id == 1
        assert (
            seen
            and seen[-1][0].old_due_date == date(2027, 2, 16)
            and seen[-1][0].new_due_date == date(2027, 2, 18)
        )
    finally:
        services._listeners.remove(seen.append)


def test_importing_the_same_data_twice_makes_no_new_version(app):
    document = json.loads(ARRANGEMENT_2027.read_text())
    with app.app_context():
        assert services.import_arrangement(document).version is not None
    with app.app_context():
        assert services.import_arrangement(document).version is None
        assert db.session.scalar(db.select(db.func.count(CalendarVersion.id))) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["holidays"].append({"name": "错年", "start": "2028-01-01", "end": "2028-01-01"}),
            "不在 2027 年内",
        ),
        (lambda d: d["working_days"].append({"date": "2027-02-06", "name": "x"}), "既是放假日又是调休上班日"),
        (lambda d: d["working_days"].append({"date": "2027-03-03", "name": "x"}), "必须是周六或周日"),
        (
            lambda d: d["holidays"].append({"name": "断开", "dates": ["2027-08-02", "2027-08-04"]}),
            "假期不连续",
        ),
        (lambda d: d["holidays"].append({"name": "坏日期", "start": "2027-02-30"}), "不是有效日期"),
        (
            lambda d: d["holidays"].append({"name": "倒序", "start": "2027-08-10", "end": "2027-08-08"}),
            "早于开始日期",
        ),
    ],
)
def test_import_names_the_bad_entry_and_changes_nothing(app, change, message):
    document = json.loads(ARRANGEMENT_2027.read_text())
    change(document)
    with app.app_context():
        with pytest.raises(ValidationFailed) as info:
            services.import_arrangement(document)
        assert message in info.value.fields["arrangement"]
        assert services.active_calendar().is_provisional(2027)


def test_hubei_overlay_sits_on_top_and_needs_a_source(app):
    with app.app_context():
        with pytest.raises(ValidationFailed, match="省级调整"):
            services.replace_overlay([{"date": "2026-11-26", "kind": "rest", "name": "无依据"}])
        version = services.replace_overlay(
            [{"date": "2026-11-26", "kind": "rest", "name": "测试放假", "source": "鄂政办发〔测试〕1号"}]
        )
        assert version.id == 2
    with app.app_context():
        cal = services.active_calendar()
        assert not cal.is_working_day(date(2026, 11, 26))
        assert (date(2026, 11, 26), "测试放假") in cal.holidays(2026)
        assert services.deadline(at("2026-11-25T10:00:00+08:00"), 1).due_date == date(2026, 11, 27)


# --- CLI ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "due", "expires", "provisional"),
    [
        (
            ["--from", "2026-09-30T10:00:00+08:00", "--days", "3"],
            "2026-10-10",
            "2026-10-11T00:00:00+08:00",
            False,
        ),
        (["--from", "2026-02-13T16:30:00Z", "--days", "3"], "2026-02-26", "2026-02-27T00:00:00+08:00", False),
        (
            ["--from", "2026-11-20T18:00:00", "--days", "3", "--rule", "next-working-day-after-hours"],
            "2026-11-26",
            "2026-11-27T00:00:00+08:00",
            False,
        ),
        (
            ["--from", "2026-12-28T10:00:00+08:00", "--days", "10"],
            "2027-01-12",
            "2027-01-13T00:00:00+08:00",
            True,
        ),
    ],
)
def test_cli_deadline_json(app, args, due, expires, provisional):
    result = run(app, "calendar", "deadline", *args, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["due_date"], body["expires_at"], body["provisional"]) == (due, expires, provisional)
    assert body["calendar_version"] == 1


def test_cli_deadline_rejects_a_bad_rule(app):
    result = run(
        app, "calendar", "deadline", "--from", "2026-09-30T10:00:00+08:00", "--days", "3", "--rule", "soon"
    )
    assert result.exit_code == 1 and "起算规则" in result.output


def test_cli_import_then_show(app):
    result = run(app, "calendar", "import", str(ARRANGEMENT_2027), "--comment", "测试导入")
    assert result.exit_code == 0, result.output
    assert "calendar version 2" in result.output
    shown = run(app, "calendar", "show", "2027")
    assert "正式" in shown.output and "2027-02-20" in shown.output
    versions = run(app, "calendar", "versions")
    assert "测试导入" in versions.output


def test_cli_import_of_a_bad_file_names_the_file_and_entry(app, tmp_path):
    bad = tmp_path / "2027.json"
    document = json.loads(ARRANGEMENT_2027.read_text())
    document["working_days"].append({"date": "2027-03-03"})
    bad.write_text(json.dumps(document), encoding="utf-8")
    result = run(app, "calendar", "import", str(bad))
    assert result.exit_code == 1
    assert str(bad) in result.output and "working_days[3]（2027-03-03）" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert "不是有效的 JSON" in run(app, "calendar", "import", str(broken)).output


def test_cli_now_option_freezes_the_one_clock(app):
    from app import clock

    result = run(app, "--now", "2026-09-30T10:00:00+08:00", "calendar", "show", "2026")
    assert result.exit_code == 0
    assert clock.now().isoformat() == "2026-09-30T02:00:00+00:00"


# --- API ---------------------------------------------------------------------------------------------------


def test_api_deadline_returns_the_same_json_as_the_cli(app, client, seeded):
    token = api_token(app, "rst_applicant")
    response = client.get(
        "/api/v1/calendar/deadline",
        query_string={"from": "2026-11-20T18:00:00+08:00", "days": 3, "rule": "next-working-day-after-hours"},
        headers=bearer(token),
    )
    cli = run(
        app,
        "calendar",
        "deadline",
        "--from",
        "2026-11-20T18:00:00+08:00",
        "--days",
        "3",
        "--rule",
        "next-working-day-after-hours",
        "--json",
    )
    assert response.status_code == 200
    assert response.get_json() == json.loads(cli.output)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"days": 3}, "from"),
        ({"from": "yesterday", "days": 3}, "from"),
        ({"from": "2026-09-30T10:00:00+08:00", "days": "three"}, "days"),
        ({"from": "2026-09-30T10:00:00+08:00", "days": 0}, "days"),
        ({"from": "2026-09-30T10:00:00+08:00", "days": 3, "rule": "soon"}, "rule"),
        ({"from": "2026-09-30T10:00:00+08:00", "days": 3, "close_time": "25:99"}, "close_time"),
    ],
)
def test_api_deadline_bad_parameters_are_422_with_the_field(app, client, seeded, query, field):
    response = client.get(
        "/api/v1/calendar/deadline", query_string=query, headers=bearer(api_token(app, "admin"))
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


# --- admin page --------------------------------------------------------------------------------------------


def test_year_page_shows_twelve_months_with_make_up_days(client, seeded):
    login(client, "rst_applicant")
    html = client.get("/calendar/2026").get_data(as_text=True)
    assert html.count('<table class="month"') == 12
    assert 'title="2026-10-10 国庆节调休上班"' in html
    assert "正式" in html and "录入/更正" not in html


def test_provisional_year_page_says_so(client, seeded):
    login(client, "rst_applicant")
    html = client.get("/calendar/2027").get_data(as_text=True)
    assert "预计" in html and "2027年放假安排尚未导入" in html


def test_only_admins_may_edit_a_year(client, seeded):
    login(client, "hb_operator")
    assert client.get("/calendar/2027/edit").status_code == 403


def test_admin_enters_a_year_on_the_page(app, client, seeded):
    login(client, "admin")
    form = {
        "csrf_token": csrf_token(client, "/calendar/2027/edit"),
        "title": "测试通知",
        "holidays": "元旦,2027-01-01,2027-01-03\n春节,2027-02-05,2027-02-12",
        "working_days": "2027-02-20,春节调休上班",
        "comment": "页面录入",
    }
    bad = dict(form, working_days="2027-03-03,周三上班")
    response = client.post("/calendar/2027/edit", data=bad)
    assert response.status_code == 422
    assert "必须是周六或周日" in response.get_data(as_text=True)
    response = client.post("/calendar/2027/edit", data=form)
    assert response.status_code == 302
    with app.app_context():
        cal = services.active_calendar()
        assert not cal.is_provisional(2027)
        assert cal.is_working_day(date(2027, 2, 20))
        version = db.session.scalar(db.select(CalendarVersion).order_by(CalendarVersion.id.desc()))
        assert version.created_by_name == "admin" and version.comment == "页面录入"


def test_cli_overlay_replaces_the_hubei_adjustments(app, tmp_path):
    good = tmp_path / "overlay.json"
    good.write_text(
        json.dumps(
            {
                "overlay": [
                    {
                        "date": "2026-11-26",
                        "kind": "rest",
                        "name": "测试放假",
                        "source": "鄂政办发〔测试〕1号",
                    }
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    result = run(app, "calendar", "overlay", str(good), "--comment", "测试")
    assert result.exit_code == 0 and "calendar version 2" in result.output
    assert "unchanged" in run(app, "calendar", "overlay", str(good)).output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"overlay": [{"date": "2026-11-27", "kind": "holiday"}]}), encoding="utf-8")
    result = run(app, "calendar", "overlay", str(bad))
    assert result.exit_code == 1 and "kind 必须是 rest" in result.output and "必须注明依据" in result.output
