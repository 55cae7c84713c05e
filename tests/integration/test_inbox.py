"""The inbox: scopes, filters, case-number search, paging, the applicant department column."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

from app import clock
from app.engine import queries, runtime
from app.extensions import db
from app.inbox import urging
from app.sharing import services
from tests.conftest import api_token, bearer, csrf_token, login, user
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


def _done_by_applicant(count: int) -> list[str]:
    """`count` sample cases whose first step rst_applicant completed, a minute apart; their task ids."""
    from tests.integration.test_engine_runtime import open_task, start_sample

    done = []
    for n in range(count):
        clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00") + timedelta(minutes=n))
        row = start_sample(f"GS-2026-{n + 1:04d}")
        task = open_task(row.id)
        runtime.complete_task(task.id, user("rst_applicant"), {"purpose": "核对"})
        done.append(task.id)
    db.session.commit()
    return done


def test_the_done_list_pages_by_key_and_counts_no_further_than_it_must(
    app, client, engine_ready, monkeypatch
):
    """#30: what a clerk has done grows for years: the list pages by key (newest first) and counts up to a cap."""
    done = _done_by_applicant(45)
    login(client, "rst_applicant")
    seen: list[str] = []
    url = "/tasks?scope=done&size=20"
    first = client.get(url).get_data(as_text=True)
    assert "共 45 项" in first
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/tasks/([0-9a-f-]{36})"', html)
        older = re.search(r'href="([^"]*after=[^"]*)">更早办结的', html)
        url = unescape(older.group(1)) if older else ""
    assert list(dict.fromkeys(seen)) == done[::-1]  # every one once, the latest first
    monkeypatch.setattr(queries, "COUNT_CAP", 30)
    assert "超过 30 项" in client.get("/tasks?scope=done").get_data(as_text=True)
    api = client.get("/api/v1/tasks?scope=done&limit=5", headers=bearer(api_token(app, "rst_applicant")))
    assert api.get_json()["total"] == 30 and len(api.get_json()["items"]) == 5


def test_the_home_page_counts_what_is_due_today_soon_and_overdue_and_links_each_list(
    app, client, demo_content
):
    """#31: the start page shows, at a glance, the user's open tasks due today, due within three working days and
    overdue, the queue and unread notices — each a link to the inbox filtered the same way; the API twin gives
    the same counts."""
    _submit(app, 1, "2026-09-21T10:00:00+08:00")  # due 09-24: overdue on 11-05
    _submit(app, 1, "2026-11-02T10:00:00+08:00")  # due 11-05: today
    _submit(app, 1, "2026-11-03T10:00:00+08:00")  # due 11-06: soon
    _submit(app, 1, "2026-11-03T10:00:00+08:00")  # stays in the queue
    clock.freeze(datetime.fromisoformat("2026-11-05T10:00:00+08:00"))
    with app.app_context():
        operator = user("hb_operator")
        for number in ("SQ-2026-000001", "SQ-2026-000002", "SQ-2026-000003"):
            task = db.session.scalar(
                db.select(queries.HumanTask).where(queries.HumanTask.business_key == number)
            )
            runtime.claim_task(task.id, operator)
    login(client, "hb_operator")
    home = unescape(client.get("/").get_data(as_text=True))
    counts = dict(
        (label, int(number))
        for number, label in re.findall(r'<span class="big">(\d+)</span><span>([^<（]+)', home)
    )
    assert counts == {"已超期": 1, "今日到期": 1, "即将到期": 1, "待认领": 1, "未读通知": counts["未读通知"]}
    assert "即将到期（至11-10）" in home  # three working days after Thursday 11-05: Friday, Monday, Tuesday
    assert _rows(client.get("/tasks?due=today").get_data(as_text=True)) == ["SQ-2026-000002"]
    assert _rows(client.get("/tasks?due=soon").get_data(as_text=True)) == ["SQ-2026-000003"]
    assert _rows(client.get("/tasks?overdue=1").get_data(as_text=True)) == ["SQ-2026-000001"]
    assert client.get("/tasks?due=nonsense").status_code == 200  # ignored, as other bad filters
    api = client.get("/api/v1/me/glance", headers=bearer(api_token(app, "hb_operator"))).get_json()
    assert (api["due_today"], api["due_soon"], api["overdue"], api["queue"]) == (1, 1, 1, 1)
    assert api["soon_until"] == "2026-11-10" and api["unread"] == counts["未读通知"]


def test_operators_follow_every_open_step_of_their_platform_and_urge_from_the_list(app, client, demo_content):
    """#31 在办案件: a platform operator lists every open step of the departments on its platform (a city
    operator its city's only), filters by department and step, sorts, and urges from the list, which it comes
    back to; a department clerk has no such list (page 403, API empty)."""
    _submit(app, 1, "2026-09-21T10:00:00+08:00")  # two province cases: hb_operator's checks, overdue by 11-05
    _submit(app, 1, "2026-09-21T11:00:00+08:00")
    with app.app_context():
        clock.freeze(datetime.fromisoformat("2026-11-03T10:00:00+08:00"))
        services.submit_application(user("wh_applicant"), application_data("人口基础信息"))  # 武汉's platform
        checker = db.session.scalar(
            db.select(queries.HumanTask.candidate_department_id).where(
                queries.HumanTask.business_key == "SQ-2026-000001"
            )
        )
    clock.freeze(datetime.fromisoformat("2026-11-05T10:00:00+08:00"))
    login(client, "hb_operator")
    page = client.get("/tasks?scope=following").get_data(as_text=True)
    assert "在办案件" in page and _rows(page) == ["SQ-2026-000001", "SQ-2026-000002"]  # not 武汉's
    assert _rows(client.get(f"/tasks?scope=following&dept={checker}").get_data(as_text=True)) == [
        "SQ-2026-000001",
        "SQ-2026-000002",
    ]
    assert _rows(client.get("/tasks?scope=following&dept=999999").get_data(as_text=True)) == []
    assert _rows(client.get("/tasks?scope=following&step=授权").get_data(as_text=True)) == []
    received = client.get("/tasks?scope=following&sort=received&overdue=1").get_data(as_text=True)
    assert _rows(received) == ["SQ-2026-000001", "SQ-2026-000002"]
    # the column headers sort too, keeping the filter; the sorted column says so to a screen reader
    assert (
        '<th aria-sort="ascending"><a href="/tasks?sort=received&amp;scope=following&amp;overdue=1">接收时间 ↑'
        in received
    )
    assert 'href="/tasks?sort=department&amp;scope=following&amp;overdue=1">办理部门' in received
    task_id = re.search(r'action="/tasks/([0-9a-f-]{36})/urge"', page).group(1)
    urged = client.post(
        f"/tasks/{task_id}/urge",
        data={
            "csrf_token": csrf_token(client, "/tasks?scope=following"),
            "message": "请今日办理",
            "next": "/tasks?scope=following",
        },
    )
    assert urged.status_code == 302 and urged.headers["Location"].endswith("/tasks?scope=following")
    with app.app_context():
        assert [u.message for u in urging.urgings_of([task_id])[task_id]] == ["请今日办理"]
    api = client.get(
        "/api/v1/tasks?scope=following", headers=bearer(api_token(app, "hb_operator"))
    ).get_json()
    listed = re.findall(r"<td[^>]*><code>([^<]+)</code></td>", page)
    assert [t["business_key"] for t in api["items"]] == listed and api["total"] == len(listed)
    city = app.test_client()
    login(city, "wh_operator")
    assert _rows(city.get("/tasks?scope=following").get_data(as_text=True)) == ["SQ-2026-000003"]
    clerk = app.test_client()
    login(clerk, "rst_applicant")
    assert "在办案件" not in clerk.get("/tasks").get_data(as_text=True)
    assert clerk.get("/tasks?scope=following").status_code == 403
    api = clerk.get(
        "/api/v1/tasks?scope=following", headers=bearer(api_token(app, "rst_applicant"))
    ).get_json()
    assert api["total"] == 0 and api["items"] == []


def test_the_demo_has_an_overdue_step_to_urge_and_to_delegate(app, client, full_demo):
    """#31: at the demo's "now" one provider authorization of 省民政厅 is overdue: the province operator finds
    it among 在办案件 (overdue only) and urges it; 省民政厅's clerks see it overdue in their queue."""
    login(client, "hb_operator")
    overdue = client.get("/tasks?scope=following&overdue=1").get_data(as_text=True)
    assert "提供部门授权" in overdue and "已超期" in overdue and ">催办</button>" in overdue
    clerk = app.test_client()
    login(clerk, "mz_clerk")
    queue = clerk.get("/tasks?scope=queue&overdue=1").get_data(as_text=True)
    assert "提供部门授权" in queue and "已超期" in queue


def test_a_clerk_saves_a_filter_uses_it_from_the_list_and_removes_it(app, client, demo_content):
    """#31: 保存筛选 keeps the current filter (not the page) under a name, shown above the list as a link; the
    same name replaces it; another user can neither see nor delete it; the API twin lists, adds and deletes."""
    _submit(app, 1, "2026-09-21T10:00:00+08:00")
    _submit(app, 1, "2026-11-02T10:00:00+08:00")
    login(client, "hb_operator")
    url = "/tasks?scope=queue&overdue=1&sort=received&page=2"
    token = csrf_token(client, url)
    query = "scope=queue&overdue=1&sort=received&page=2"
    blank = client.post("/tasks/filters", data={"csrf_token": token, "name": " ", "query": query})
    assert "请填写筛选名称" in client.get(blank.headers["Location"]).get_data(as_text=True)
    saved = client.post("/tasks/filters", data={"csrf_token": token, "name": "超期的检查", "query": query})
    assert saved.status_code == 302
    page = client.get("/tasks?scope=queue").get_data(as_text=True)
    link = re.search(r'<a href="(/tasks\?[^"]+)"[^>]*>超期的检查</a>', page).group(1)
    assert unescape(link) == "/tasks?scope=queue&overdue=1&sort=received"  # the filter, not its page
    assert _rows(client.get(unescape(link)).get_data(as_text=True)) == ["SQ-2026-000001"]
    client.post(
        "/tasks/filters", data={"csrf_token": token, "name": "超期的检查", "query": "scope=queue&due=today"}
    )
    api = client.get("/api/v1/me/filters", headers=bearer(api_token(app, "hb_operator"))).get_json()
    assert [(f["name"], f["query"]) for f in api] == [("超期的检查", "scope=queue&due=today")]
    other = app.test_client()
    login(other, "wh_operator")
    assert "超期的检查" not in other.get("/tasks").get_data(as_text=True)
    theirs = other.post(
        f"/tasks/filters/{api[0]['id']}/delete", data={"csrf_token": csrf_token(other, "/tasks")}
    )
    assert theirs.status_code == 404
    headers = bearer(api_token(app, "wh_operator"))
    assert other.delete(f"/api/v1/me/filters/{api[0]['id']}", headers=headers).status_code == 404
    added = other.post(
        "/api/v1/me/filters", json={"name": "我的", "query": {"scope": "following"}}, headers=headers
    )
    assert added.status_code == 201 and added.get_json()["query"] == "scope=following"
    empty = other.post("/api/v1/me/filters", json={"name": "空", "query": {}}, headers=headers)
    assert empty.status_code == 422 and empty.get_json()["error"]["fields"] == {
        "name": "请先设置筛选条件再保存"
    }
    assert other.delete(f"/api/v1/me/filters/{added.get_json()['id']}", headers=headers).status_code == 204
    removed = client.post(f"/tasks/filters/{api[0]['id']}/delete", data={"csrf_token": token})
    assert removed.status_code == 302 and "超期的检查" not in client.get("/tasks").get_data(as_text=True)
