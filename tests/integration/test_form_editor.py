"""Forms without JSON by hand: rows of fields, a preview as the task page renders it, validation, deploy."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

from app.engine.models import HumanTask, ProcessVersion, TaskStatus
from app.engine.runtime import task_form
from app.extensions import db
from app.sharing.services import submit_application
from tests.conftest import csrf_token, login, user
from tests.integration.test_sharing import application_data

EDIT = "/admin/forms/share_authorization.json/edit"
ROOT = Path(__file__).resolve().parents[2]


def _rows(html: str) -> dict[str, str]:
    """The posted form as the page holds it (inputs with their values, checked boxes, selected options)."""
    data = {}
    for name, value in re.findall(
        r'<input (?:type="hidden" )?name="(row\.\d+\.[a-z_]+)" value="([^"]*)"', html
    ):
        data[name] = unescape(value)
    for name in re.findall(r'<input type="checkbox" name="(row\.\d+\.[a-z_]+)"[^>]*checked', html):
        data[name] = "on"
    for name, body in re.findall(r'<select name="(row\.\d+\.kind)"[^>]*>(.*?)</select>', html, re.S):
        data[name] = re.search(r'value="([^"]+)" selected', body).group(1) if " selected" in body else "text"
    for name, text in re.findall(r'<textarea name="(row\.\d+\.options)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = unescape(text)
    data["title"] = unescape(re.search(r'<input id="title" name="title" value="([^"]*)"', html).group(1))
    return data


def test_an_analyst_adds_a_field_previews_checks_and_deploys_it(app, client, demo_content):
    login(client, "analyst")
    listing = client.get("/admin/forms").get_data(as_text=True)
    assert "share_authorization.json" in listing and EDIT in listing
    page = client.get(EDIT).get_data(as_text=True)
    assert 'value="授权决定"' in page and "true=同意授权" in page
    data = _rows(page) | {"csrf_token": csrf_token(client, EDIT)}
    free = max(int(k.split(".")[1]) for k in data if k.startswith("row."))  # the last blank row
    data |= {
        f"row.{free}.name": "usage_note",
        f"row.{free}.title": "使用提示",
        f"row.{free}.kind": "textarea",
        "action": "preview",
    }
    preview = client.post(EDIT, data=data).get_data(as_text=True)
    assert 'for="f-usage_note">使用提示' in preview  # rendered as a task page renders it
    assert db.session is not None and _versions(app) == [1]  # a preview deploys nothing

    wrong = client.post(EDIT, data=data | {f"row.{free}.name": "Usage Note"})
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    fields = len(
        json.loads((ROOT / "forms" / "share_authorization.json").read_text(encoding="utf-8"))["properties"]
    )
    assert (
        f"第 {fields + 1} 行：字段名应为小写字母开头" in text and 'value="使用提示"' in text
    )  # nothing lost

    checked = client.post(EDIT, data=data | {"action": "check"})
    assert checked.status_code == 302
    report = client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "校验通过" in report and "新增字段「使用提示」" in report
    token = csrf_token(client, checked.headers["Location"])
    assert (
        client.post(
            checked.headers["Location"], data={"csrf_token": token, "comment": "授权时给出使用提示"}
        ).status_code
        == 302
    )
    assert _versions(app) == [1, 2]
    with app.app_context():
        number = submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        from app.engine.runtime import complete_task

        (check,) = db.session.scalars(db.select(HumanTask).where(HumanTask.business_key == number))
        complete_task(check.id, user("hb_operator"), {"accepted": True})
        provider = db.session.scalar(
            db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
        )
        assert task_form(provider)["properties"]["usage_note"]["title"] == "使用提示"


def _versions(app) -> list[int]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                db.select(ProcessVersion.version).where(ProcessVersion.process_id == "resource_authorization")
            )
        )


def test_removing_a_field_a_conditional_rule_needs_is_refused(app, client, demo_content):
    login(client, "analyst")
    page = client.get(EDIT).get_data(as_text=True)
    data = _rows(page) | {"csrf_token": csrf_token(client, EDIT), "action": "check"}
    reasons = next(k.split(".")[1] for k, v in data.items() if k.endswith(".name") and v == "reasons")
    response = client.post(EDIT, data=data | {f"row.{reasons}.remove": "on"})
    assert response.status_code == 422
    assert "条件必填规则引用的字段 reasons 不在表单中" in response.get_data(as_text=True)


def test_clerks_do_not_edit_forms(client, seeded):
    login(client, "rst_applicant")
    assert client.get("/admin/forms").status_code == 403
    assert client.get(EDIT).status_code == 403
