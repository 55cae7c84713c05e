"""资源订阅 (#33): a watcher is told once per event — a new version with what changed in the catalog's words, a
withdrawal, a service outage found by the scheduler's probes — however many of their watches cover it; only
their own watches can be removed."""

from __future__ import annotations

from datetime import datetime

from app import clock
from app.catalog import services, watching
from app.catalog.models import DataService, Resource
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.notices.models import Notification
from tests.conftest import api_token, bearer, csrf_token, login, user
from tests.integration.test_operability import _job_table, _run


def _told(username: str, about: str) -> list[str]:
    me = user(username)
    return [
        n.message
        for n in db.session.scalars(
            db.select(Notification).where(Notification.recipient_user_id == me.id).order_by(Notification.id)
        )
        if about in n.message
    ]


def _publish_without(resource: Resource, item: str) -> None:
    """The provider removes an item; the catalog review approves the new version."""
    data = services.version_data(resource.current_version)
    data["items"] = [i for i in data["items"] if i["name"] != item]
    services.edit_resource(user("mz_clerk"), resource, data)
    version = services.submit_for_review(user("mz_clerk"), resource)
    review = db.session.scalar(
        db.select(HumanTask).where(
            HumanTask.business_key == version.review_business_key, HumanTask.status == TaskStatus.OPEN
        )
    )
    runtime.complete_task(review.id, user("supervisor"), {"approved": True, "comment": "同意"})


def test_a_watcher_is_told_once_of_a_removed_item_in_words_and_of_the_withdrawal(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    with app.app_context():
        resource = db.session.scalar(db.select(Resource).where(Resource.name == "婚姻登记信息"))
        code, provider = resource.code, resource.provider_department_id
    login(client, "rst_applicant")
    page = f"/catalog/resources/{code}"
    assert ">订阅变更</button>" in client.get(page).get_data(as_text=True)
    answer = client.post(
        "/catalog/watching",
        data={
            "csrf_token": csrf_token(client, page),
            "target_type": "resource",
            "target": code,
            "next": page,
        },
    )
    assert answer.status_code == 302 and answer.headers["Location"] == page
    assert "已订阅 · 取消" in client.get(page).get_data(as_text=True)
    # Also the provider's whole catalog, through the API: the same events reach them once.
    headers = bearer(api_token(app, "rst_applicant"))
    added = client.post(
        "/api/v1/me/watches", json={"target_type": "provider", "target": str(provider)}, headers=headers
    )
    assert added.status_code == 201 and added.get_json()["description"] == "湖北省民政厅的资源目录"
    assert len(client.get("/api/v1/me/watches", headers=headers).get_json()) == 2
    bad = client.post(
        "/api/v1/me/watches", json={"target_type": "resource", "target": "X/1"}, headers=headers
    )
    assert bad.status_code == 404 and bad.get_json()["error"]["message"]

    with app.app_context():
        _publish_without(db.session.get(Resource, resource.id), "登记机关")
    with app.app_context():
        (news,) = _told("rst_applicant", "婚姻登记信息")
        assert (
            news.startswith("您关注的资源“婚姻登记信息”发布了第2版")
            and "信息项“登记机关”：字符型，长度100 → （删除）" in news
        )
        assert _told("wh_applicant", "婚姻登记信息") == []  # not a watcher
        again = db.session.get(Resource, resource.id)
        assert watching.tell_watchers(again, f"resource:{again.id}:v2", "重复") == 0  # the same event: nobody
        services.withdraw_resource(user("mz_clerk"), again, "职能调整")
    with app.app_context():
        told = _told("rst_applicant", "婚姻登记信息")
        assert told[1:] == [f"您关注的资源“婚姻登记信息”（{code}）已撤销：职能调整"]  # once, watched twice
    # Another user cannot remove these watches; the owner can, on the page.
    (first, _second) = client.get("/api/v1/me/watches", headers=headers).get_json()
    other = bearer(api_token(app, "wh_applicant"))
    assert client.delete(f"/api/v1/me/watches/{first['id']}", headers=other).status_code == 404
    listing = client.get("/catalog/watching").get_data(as_text=True)
    assert "湖北省民政厅的资源目录" in listing
    client.post(
        "/catalog/watching",
        data={"csrf_token": csrf_token(client, "/catalog/watching"), "watch_id": first["id"]},
    )
    assert len(client.get("/api/v1/me/watches", headers=headers).get_json()) == 1


def test_an_outage_found_by_the_scheduler_tells_the_watchers_once(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    with app.app_context():
        service = db.session.scalar(db.select(DataService).limit(1))
        service.health_url = "http://127.0.0.1:9/nothing-listens-here"
        watching.watch(user("wh_applicant"), "class", service.resource.resource_class)
        name = service.resource.name
        db.session.commit()
        _run(_job_table(app)["service-probes"])
        clock.freeze(datetime.fromisoformat("2026-11-02T10:10:00+08:00"))
        _run(_job_table(app)["service-probes"])  # still down: the same interruption, no second notice
        (told,) = _told("wh_applicant", f"“{name}”的数据服务")
        assert "中断" in told
