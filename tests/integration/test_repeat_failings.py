"""Repeat failings (#17): a department overdue on N authorizations in a month (REPEAT_FAILING_COUNT, default 3) is
proposed on the §26 report for a §31(二) rectification, with the cases listed."""

from __future__ import annotations

from app.engine import runtime
from app.sharing import services
from tests.conftest import login, user
from tests.integration.test_sharing import application_data, at, task


def _cases(app, count: int) -> list[str]:
    numbers = []
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        for _n in range(count):
            number = services.submit_application(
                user("rst_applicant"), application_data("婚姻登记信息")
            ).number
            runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
            numbers.append(number)
    return numbers  # 民政厅's provider authorizations, due 2026-11-16


def test_three_overdue_authorizations_in_a_month_propose_a_rectification(app, client, demo_content):
    numbers = _cases(app, 3)
    with app.app_context():
        at("2026-11-18T10:00:00+08:00")  # two working days past due: not yet on the overdue list (3)
    login(client, "leader")
    page = client.get("/supervision/report").get_data(as_text=True)
    assert "2026-11 超期授权 3 件：建议按办法§31(二)责成整改" in page
    assert all(number in page for number in numbers) and "failing=late_data" in page


def test_two_are_not_yet_a_repeat_failing(app, client, demo_content):
    _cases(app, 2)
    with app.app_context():
        at("2026-11-18T10:00:00+08:00")
    login(client, "leader")
    assert "建议按办法§31(二)责成整改" not in client.get("/supervision/report").get_data(as_text=True)
