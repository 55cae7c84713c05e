"""Accessibility (#31, WCAG 2.1 AA, which GB/T 37668 follows): axe-core from npm run in Chromium on the key
pages of every role, at desktop and phone widths: no serious or critical violation. And a task form completed
with the keyboard alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM
from tests.browser.test_browser import _page
from tests.conftest import api_token, bearer
from tests.integration.test_sharing_http import _body

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _violations(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands (evaluated through
    the browser's protocol, so the page's CSP needs no exception)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))",
        WCAG,
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def _case(app, client) -> tuple[str, str]:
    """One application waiting for hb_operator's normative check: (its number, the check task's id)."""
    applicant = bearer(api_token(app, "rst_applicant"))
    number = client.post(
        "/api/v1/applications", json=_body(app, "婚姻登记信息"), headers=applicant
    ).get_json()["number"]
    operator = bearer(api_token(app, "hb_operator"))
    (check,) = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    return number, check["id"]


def _returned(app, client) -> tuple[str, str]:
    """An application of rst_applicant returned for completion: (its number, the 补正 task's id)."""
    applicant = bearer(api_token(app, "rst_applicant"))
    number = client.post(
        "/api/v1/applications", json=_body(app, "最低生活保障对象信息"), headers=applicant
    ).get_json()["number"]
    operator = bearer(api_token(app, "hb_operator"))
    queue = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    (check,) = [t for t in queue if t["business_key"] == number]
    reasons = {"accepted": False, "return_for_completion": True, "reasons": "请写明使用范围"}
    client.post(f"/api/v1/tasks/{check['id']}/complete", json={"data": reasons}, headers=operator)
    (step,) = client.get("/api/v1/tasks?scope=mine", headers=applicant).get_json()["items"]
    return number, step["id"]


def test_key_pages_of_every_role_have_no_serious_accessibility_violation(app, client, live_server, browser):
    assert AXE.is_file(), "axe-core is installed by npm ci (package.json devDependencies)"
    number, check = _case(app, client)
    returned, completion = _returned(app, client)
    pages = {
        "rst_applicant": [
            "/",
            "/tasks",
            "/catalog",
            "/applications",
            f"/applications/{number}",
            "/authorizations",
            f"/tasks/{completion}",
            f"/applications/{returned}/revise",
        ],
        "hb_operator": ["/tasks?scope=queue", f"/tasks/{check}", "/tasks?scope=following"],
        "mz_clerk": ["/catalog/mine", "/objections", "/demands/new", "/catalog/watching", "/matters"],
        "supervisor": ["/supervision/", "/supervision/report", "/supervision/reuse"],
        "admin": ["/admin/jobs"],
        "auditor": ["/supervision/audit"],
        "leader": ["/disputes"],
    }
    problems = {}
    for width in (1440, 390):
        for username, paths in pages.items():
            page = _page(browser, live_server, username, width=width)
            for path in paths:
                page.goto(live_server + path)
                page.wait_for_load_state("networkidle")
                found = _violations(page)
                if found:
                    problems[f"{username} {path} @{width}"] = found
            page.context.close()
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


def test_a_task_form_is_completed_with_the_keyboard_alone(app, client, live_server, browser):
    """Skip link, a choice by the arrow keys, errors focused and linked to their field, submit by Enter (#31)."""
    number, check = _case(app, client)
    page = _page(browser, live_server, "hb_operator")
    page.goto(f"{live_server}/tasks/{check}")
    focused = "document.activeElement.{}"
    page.keyboard.press("Tab")
    assert page.evaluate(focused.format("textContent")) == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate(focused.format("id")) == "content"
    for _ in range(80):  # on through the page to the first choice of 检查结论
        page.keyboard.press("Tab")
        if page.evaluate(focused.format("name")) == "accepted":
            break
    page.keyboard.press("ArrowDown")  # the second choice: 不予受理或退回补正
    assert page.evaluate(focused.format("value")) == "false"
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submitted without the reasons it now needs
    assert page.evaluate(focused.format("id")) == "error-summary"
    assert page.locator("#f-reasons").get_attribute("aria-invalid") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate(focused.format("getAttribute('href')")) == "#f-reasons"
    page.keyboard.press("Enter")
    assert page.evaluate(focused.format("id")) == "f-reasons"
    page.keyboard.type("申请材料不全：请补充用途说明")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(focused.format("textContent")) == "提交":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    answer = client.get(f"/api/v1/applications/{number}", headers=_headers(app, "rst_applicant")).get_json()
    assert answer["status"] == "not_accepted" and answer["check_reasons"] == "申请材料不全：请补充用途说明"


def _headers(app, username: str) -> dict:
    return bearer(api_token(app, username))


ALLOWED_WORDS = {
    "GovShare",
    "Excel",
    "Word",
    "BPMN",
    "Bearer",
    "Authorization",
}  # the product's name, file kinds, the diagrams' standard, HTTP words
WALK = {
    "rst_applicant": [
        "/",
        "/tasks",
        "/catalog",
        "/applications",
        "/authorizations",
        "/objections",
        "/demands",
        "/demands/new",
        "/catalog/watching",
        "/matters",
    ],
    "hb_operator": [
        "/tasks?scope=queue",
        "/tasks?scope=following",
        "/supervision/rectifications",
        "/calendar",
    ],
    "mz_clerk": ["/catalog/mine", "/notifications", "/profile"],
    "supervisor": [
        "/supervision/",
        "/supervision/report",
        "/supervision/scorecard",
        "/supervision/bulletin",
        "/supervision/reuse",
    ],
    "admin": ["/admin/jobs"],
    "leader": ["/disputes"],
    "auditor": ["/supervision/audit"],
    "analyst": ["/admin/processes", "/admin/processes/share_application", "/admin/forms"],
}


def test_every_role_reads_chinese_with_no_raw_identifier(app, client, live_server, browser):
    """#31's walk: on the daily pages of the clerks, operators, supervisors, the leadership office, the auditor
    and the analyst, no English word outside what is shown as code on purpose (<code>: resource codes, case
    numbers, process ids, commands), the product's name, file kinds and the HTTP words of the token help; no page
    fails."""
    number, check = _case(app, client)
    walk = WALK | {"rst_applicant": [*WALK["rst_applicant"], f"/applications/{number}"]}
    walk["hb_operator"] = [*walk["hb_operator"], f"/tasks/{check}"]
    found = {}
    for username, paths in walk.items():
        page = _page(browser, live_server, username)
        for path in paths:
            answer = page.goto(live_server + path)
            assert answer.status == 200, path
            text = page.evaluate(
                "() => { const b = document.body.cloneNode(true);"
                " b.querySelectorAll('code, pre, .hash, script, style').forEach(e => e.remove());"
                " return b.innerText; }"
            )
            words = set(re.findall(r"[A-Za-z][A-Za-z_]{3,}", text)) - ALLOWED_WORDS - {username}
            if words:
                found[f"{username} {path}"] = sorted(words)
        page.context.close()
    assert found == {}, found
