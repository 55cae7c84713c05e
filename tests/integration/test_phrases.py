"""常用意见 (#15): a clerk keeps common opinions on the profile page and picks them beside the opinion fields of a
task form (and of a batch)."""

from __future__ import annotations

from app.extensions import db
from app.org.models import OpinionPhrase
from app.sharing import services
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import application_data, at, task


def test_a_clerk_keeps_common_opinions_and_picks_them_on_the_task_page(app, client, demo_content):
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        check = task(number, "normative_check").id
    login(client, "hb_operator")
    token = csrf_token(client, "/profile")
    for text in ("经核对用途明确无误", "  ", "经核对用途明确无误"):
        client.post("/profile/phrases", data={"csrf_token": token, "text": text})
    with app.app_context():
        assert [p.text for p in db.session.scalars(db.select(OpinionPhrase))] == [
            "经核对用途明确无误"
        ]  # once
    profile = client.get("/profile").get_data(as_text=True)
    assert "经核对用途明确无误" in profile
    page = client.get(f"/tasks/{check}").get_data(as_text=True)
    assert (
        'class="phrase-picker small" data-target="f-reasons"' in page
        and "<option>经核对用途明确无误</option>" in page
    )
    assert "phrases.js" in page
    other = app.test_client()
    login(other, "wh_operator")  # only one's own
    assert "经核对用途明确无误" not in other.get("/profile").get_data(as_text=True)
    with app.app_context():
        phrase_id = db.session.scalar(db.select(OpinionPhrase.id))
    assert (
        other.post(
            f"/profile/phrases/{phrase_id}/delete", data={"csrf_token": csrf_token(other, "/profile")}
        ).status_code
        == 404
    )
    client.post(f"/profile/phrases/{phrase_id}/delete", data={"csrf_token": token})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(OpinionPhrase.id))) == 0
