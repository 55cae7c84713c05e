"""The weighted §28 assessment (#34): the data bureau's weights and targets decide each department's score; a
low 共享评价 costs the provider points on that indicator; changing the weights and publishing again changes the
published score in the 通报, with its breakdown; only the province's data bureau sets and publishes."""

from __future__ import annotations

import re

from app.catalog.models import Resource
from app.extensions import db
from app.sharing import ratings
from tests.conftest import csrf_token, login, user
from tests.integration.test_gateway import _granted_with_binding

PAGE = "/supervision/assessment?year=2026"


def _row(html: str, department: str) -> list[str]:
    row = re.search(rf"<tr><td>{department}</td>(.*?)</tr>", html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_weights_decide_the_score_and_a_new_publication_shows_the_new_breakdown(app, client, demo_content):
    with app.app_context():
        _granted_with_binding()  # 武汉 uses 省公安厅's 人口基础信息 …
        resource = db.session.scalar(db.select(Resource).where(Resource.name == "人口基础信息"))
        ratings.rate(
            user("wh_applicant"),
            resource,
            {"timeliness": 2, "accuracy": 2, "completeness": 2, "comment": "缺失较多"},
        )
        db.session.commit()  # … and rates it 2 of 5: 0.4 against the target 0.8, half the points
    login(client, "supervisor")
    police = "湖北省公安厅"
    assert _row(client.get(PAGE).get_data(as_text=True), police)[0] == "92.5"  # 100 − 15 × ½
    published = client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "action": "publish"})
    assert published.status_code == 302
    bulletin = client.get("/supervision/bulletin").get_data(as_text=True)
    assert "2026 年度加权考核得分" in bulletin and re.search(
        rf"{police}</td><td><strong>92.5</strong>", bulletin
    )
    weights = {
        f"{k}_weight": w
        for k, w in {"on_time": 20, "freshness": 10, "quality": 10, "rating": 50, "rectification": 10}.items()
    }
    targets = {f"{k}_target": "0.8" for k in ("on_time", "freshness", "quality", "rating", "rectification")}
    wrong = client.post(
        PAGE,
        data={
            "csrf_token": csrf_token(client, PAGE),
            "action": "plan",
            **weights,
            **targets,
            "rating_target": "80",
        },
    )
    assert wrong.status_code == 422 and "目标值应在 0–1 之间" in wrong.get_data(as_text=True)
    saved = client.post(
        PAGE, data={"csrf_token": csrf_token(client, PAGE), "action": "plan", **weights, **targets}
    )
    assert saved.status_code == 302
    row = _row(client.get(PAGE).get_data(as_text=True), police)
    assert row[0] == "75.0" and row[4] == "40.0% / 25.0"  # the rating: 50 × ½
    client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "action": "publish"})
    assert re.search(
        rf"{police}</td><td><strong>75.0</strong>", client.get("/supervision/bulletin").get_data(as_text=True)
    )
    # A city's data bureau reads its own departments but sets nothing.
    city = app.test_client()
    login(city, "wh_operator")
    assert (
        city.post(PAGE, data={"csrf_token": csrf_token(city, PAGE), "action": "publish"}).status_code == 403
    )
