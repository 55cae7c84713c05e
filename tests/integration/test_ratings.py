"""共享评价 (#34): a department holding an authorization rates the resource on the catalog page; a low score
needs a comment and tells the provider's platform with the §17 quality-issue form filled in; others cannot rate."""

from __future__ import annotations

import re
from html import unescape

from app.catalog.models import Resource
from app.extensions import db
from app.notices.models import Notification
from tests.conftest import csrf_token, login, user
from tests.integration.test_gateway import _granted_with_binding


def test_a_holder_rates_a_resource_and_a_low_score_reaches_the_platform_prefilled(app, client, demo_content):
    with app.app_context():
        _granted_with_binding()  # 武汉市民政局 holds 人口基础信息
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "人口基础信息"))
    page = f"/catalog/resources/{code}"
    login(client, "wh_applicant")
    assert "提交评价" in client.get(page).get_data(as_text=True)
    low = {"timeliness": "2", "accuracy": "4", "completeness": "4"}
    missing = client.post(f"/ratings/{code}", data={**low, "csrf_token": csrf_token(client, page)})
    assert missing.status_code == 422 and "评分较低时请写明问题" in missing.get_data(as_text=True)
    done = client.post(
        f"/ratings/{code}", data={**low, "comment": "更新滞后约一周", "csrf_token": csrf_token(client, page)}
    )
    assert done.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "1 个使用部门评价：及时性 2.0，准确性 4.0，完整性 4.0" in shown and "更新滞后约一周" in shown
    with app.app_context():
        note = db.session.scalar(
            db.select(Notification)
            .where(Notification.recipient_role == "platform_operator")
            .order_by(Notification.id.desc())
        )
        assert (
            "收到低评分（及时性）" in note.message
            and note.recipient_department_id == user("hb_operator").department_id
        )
        link = note.link
    operator = app.test_client()
    login(operator, "hb_operator")
    form = unescape(operator.get(link).get_data(as_text=True))
    assert re.search(r"<textarea[^>]*>使用部门武汉市[^<]*评价及时性较低：更新滞后约一周</textarea>", form)
    # A department without an authorization of the resource cannot rate it.
    other = app.test_client()
    login(other, "rst_applicant")
    assert "提交评价" not in other.get(page).get_data(as_text=True)
    refused = other.post(
        f"/ratings/{code}", data={**low, "comment": "x", "csrf_token": csrf_token(other, page)}
    )
    assert refused.status_code == 404
