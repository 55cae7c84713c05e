"""The inbox: scopes, filters, case-number search, paging, the applicant department column."""

from __future__ import annotations

import re
from datetime import datetime

from app import clock
from app.sharing import services
from tests.conftest import login, user
from tests.integration.test_sharing import application_data


def _submit(app, count: int, when: str) -> None:
    with app.app_context():
        clock.freeze(datetime.fromisoformat(when))
        for _ in range(count):
            services.submit_application(user("rst_applicant"), application_data("婚姻登记信息"))


def _rows(html: str) -> list[str]:
    return re.findall(r"<code>(SQ-2026-\d{6})</code>", html)


def test_queue_filters_search_and_pages(app, client, demo_content):
    _submit(app, 3, "2026-09-21T10:00:00+08:00")  # due 09-24
    _submit(app, 22, "2026-11-02T10:00:00+08:00")  # due 11-05
    clock.freeze(datetime.fromisoformat("2026-11-03T10:00:00+08:00"))
    login(client, "hb_operator")
    first = client.get("/tasks").get_data(as_text=True)  # nothing claimed: the queue opens
    assert '待认领 <span class="count-dark">25</span>' in first and "共 25 项" in first
    assert _rows(first)[:3] == [
        "SQ-2026-000001",
        "SQ-2026-000002",
        "SQ-2026-000003",
    ]  # soonest deadline first
    assert "湖北省人社厅" in first or "省人社厅" in first
    assert len(_rows(first)) == 20
    assert len(_rows(client.get("/tasks?scope=queue&page=2").get_data(as_text=True))) == 5
    overdue = client.get("/tasks?scope=queue&overdue=1").get_data(as_text=True)
    assert _rows(overdue) == ["SQ-2026-000001", "SQ-2026-000002", "SQ-2026-000003"] and "已超期" in overdue
    assert _rows(client.get("/tasks?scope=queue&q=sq-2026-000007").get_data(as_text=True)) == [
        "SQ-2026-000007"
    ]
    assert _rows(client.get("/tasks?scope=queue&process=catalog_review").get_data(as_text=True)) == []
    received = client.get("/tasks?scope=queue&from=2026-11-01&to=2026-11-02").get_data(as_text=True)
    assert "共 22 项" in received
    assert client.get("/tasks?scope=queue&from=garbage&page=x").status_code == 200  # bad filters are ignored


def test_the_pager_links_a_window_of_pages_not_all_of_them():
    from app.inbox.listing import InboxFilter, InboxPage

    def window(page: int, total: int) -> list[int | None]:
        return InboxPage([], total, InboxFilter(page=page)).window

    assert window(50, 10_000) == [1, None, 48, 49, 50, 51, 52, None, 500]
    assert window(1, 10_000) == [1, 2, 3, None, 500]
    assert window(2, 60) == [1, 2, 3]
    assert window(1, 0) == [1]
