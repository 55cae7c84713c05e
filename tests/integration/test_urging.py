"""催办 by hand (#15): operators and supervisors urge an open task; the assignee (or the department's
candidates) is told; urgings are counted on the case and in the §26 figures; others may not urge."""

from __future__ import annotations

from datetime import date

import pytest

from app.engine import runtime
from app.errors import PermissionDenied, ValidationFailed
from app.inbox import urging
from app.notices.notifications import notifications_for
from app.sharing import services
from app.supervision import stats
from tests.conftest import api_token, bearer, csrf_token, login, user
from tests.integration.test_sharing import application_data, at, task


def _provider_task() -> tuple[str, str]:
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    return number, task(number, "provider_authorization").id


def test_the_platform_urges_a_provider_task_and_it_is_counted(app, client, demo_content):
    with app.app_context():
        number, task_id = _provider_task()
        with pytest.raises(PermissionDenied):
            urging.urge_task(task_id, user("rst_applicant"), "快点")  # the applicant may not urge
        with pytest.raises(ValidationFailed):
            urging.urge_task(task_id, user("hb_operator"), "   ")
        urging.urge_task(task_id, user("hb_operator"), "请于本周内答复")
        assert any(
            "催办" in n.message and "请于本周内答复" in n.message for n in notifications_for(user("mz_clerk"))
        )
    answer = client.post(
        f"/api/v1/tasks/{task_id}/urge",
        json={"message": "已临近期限"},
        headers=bearer(api_token(app, "supervisor")),
    )
    assert answer.status_code == 201 and answer.get_json()["message"] == "已临近期限"
    login(client, "hb_operator")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "请于本周内答复" in page and "已临近期限" in page
    form = client.post(
        f"/tasks/{task_id}/urge",
        data={"csrf_token": csrf_token(client, f"/tasks/{task_id}"), "message": "第三次催办"},
    )
    assert form.status_code == 302
    case = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "催办 3 次" in case
    with app.app_context():
        assert stats.compute(stats.Scope(date(2026, 11, 1), date(2026, 11, 30))).urgings == 3
