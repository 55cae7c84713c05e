"""The catalog upkeep clock (#17, 办法§6): a duty change not followed by a catalog update for 15 working days
across National Day 2026 proposes one §31(一) rectification; a catalog update in time closes it."""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.catalog.models import DutyChange
from app.catalog.services import edit_resource, resource_by_code, submit_for_review, version_data
from app.extensions import db
from app.notices.notifications import notifications_for
from app.scheduler import fire_due_timers
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import at, code


def _record(app, client) -> str:
    with app.app_context():
        at("2026-09-28T10:00:00+08:00")
        department_id = user("mz_clerk").department_id
    login(client, "mz_clerk")
    page = f"/org/departments/{department_id}"
    answer = client.post(
        f"{page}/duty-changes",
        data={
            "csrf_token": csrf_token(client, page),
            "description": "《社会救助暂行办法》修订，新增低收入人口认定职责",
        },
    )
    assert answer.status_code == 302
    with app.app_context():
        return db.session.scalar(db.select(DutyChange.number))


def test_no_catalog_update_for_fifteen_working_days_across_national_day_proposes_one_rectification(
    app, client, demo_content
):
    number = _record(app, client)
    with app.app_context():
        # 15 working days after Monday 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (调休), 10-12 … 10-23
        fire_due_timers(datetime.fromisoformat("2026-10-23T23:00:00+08:00"))
        assert db.session.scalar(db.select(DutyChange.status)) == "open"
        clock.freeze(datetime.fromisoformat("2026-10-24T00:30:00+08:00"))
        fire_due_timers()
        fire_due_timers()  # a second sweep (or scheduler): nothing more
        change = db.session.scalars(db.select(DutyChange)).one()
        assert change.status == "overdue" and change.number == number
        proposals = [
            n for n in notifications_for(user("leader")) if number in n.message and "§31(一)" in n.message
        ]
        assert len(proposals) == 1
    leader = app.test_client()
    login(leader, "leader")
    report = leader.get("/supervision/report").get_data(as_text=True)
    assert "建议按办法§31(一)责成整改" in report and number in report and "failing=catalog" in report


def test_a_catalog_update_in_time_closes_the_change(app, client, demo_content):
    _record(app, client)
    with app.app_context():
        at("2026-10-12T10:00:00+08:00")
        resource = resource_by_code(code("婚姻登记信息"))
        data = version_data(resource.current_version) | {"description": "新增低收入人口认定相关说明"}
        edit_resource(user("mz_clerk"), resource, data)
        submit_for_review(user("mz_clerk"), resource)
        db.session.commit()
        assert db.session.scalar(db.select(DutyChange.status)) == "updated"
        fire_due_timers(datetime.fromisoformat("2026-10-30T10:00:00+08:00"))
        assert db.session.scalar(db.select(DutyChange.status)) == "updated"
