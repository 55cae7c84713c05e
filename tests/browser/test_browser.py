"""Real-browser tests (Playwright driving Debian's Chromium): one application clicked through by the
applicant, the operator and the provider. Skipped only where no Chromium is installed; CI installs it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pyotp
import pytest
from lxml import etree

from app import clock
from tests.browser.conftest import CHROMIUM

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)
SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


_RECOVERY: dict[tuple[str, str], list[str]] = {}  # (server, username) → recovery codes not used yet


def _page(browser, base: str, username: str, width: int = 1280):
    """A signed-in page. The administrators and the analyst pass the second factor as a person would: enrol
    with the QR page's secret the first time (keeping the recovery codes), a recovery code after that (the
    test clock stands still, and a dynamic code is not accepted twice)."""
    page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "govshare2026")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if page.url.endswith("/login/second-factor"):
        secret = page.locator("code.secret")
        if secret.count():
            page.fill("#code", pyotp.TOTP(secret.inner_text()).at(clock.now()))
            page.click("button[type=submit]")
            _RECOVERY[(base, username)] = [c.inner_text() for c in page.locator(".recovery-codes code").all()]
            page.click("text=我已保存，继续")
        else:
            page.fill("#code", _RECOVERY[(base, username)].pop())
            page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_application_clicked_through_by_applicant_operator_and_provider(live_server, browser):
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    applicant = _page(browser, live_server, "rst_applicant")
    applicant.goto(f"{live_server}/catalog/?q=婚姻")
    applicant.click("text=婚姻登记信息")
    applicant.click("text=申请使用")
    applicant.fill("#purpose", "社会救助家庭经济状况核对")
    applicant.fill("#reason", "核验申请人婚姻状况")
    applicant.fill("#business_system", "湖北省社会救助信息系统")
    applicant.fill("#scope", "全省低保申请人")
    applicant.click("button:has-text('提交申请')")
    applicant.wait_for_selector("text=申请已提交")
    number = applicant.inner_text("h1 code")
    assert number.startswith("SQ-2026-") and applicant.is_visible("text=2026-11-05")
    _shot(applicant, "case-submitted")

    operator = _page(browser, live_server, "hb_operator")
    operator.goto(f"{live_server}/tasks")
    operator.click(f"tr:has-text('{number}') >> text=规范性检查")
    operator.click("button:text-is('认领')")
    operator.wait_for_selector("text=退回待认领")
    operator.check("input[name=accepted][value=false]")
    operator.click("button:has-text('提交')")
    assert operator.is_visible("text=请填写不予受理理由")  # the Chinese error on the field, nothing lost
    operator.check("input[name=accepted][value=true]")
    operator.click("button:has-text('提交')")
    operator.wait_for_selector("text=已办结")

    provider = _page(browser, live_server, "mz_clerk")
    provider.goto(f"{live_server}/tasks")
    provider.click("text=提供部门授权：婚姻登记信息")
    assert provider.is_visible("text=剩余10个工作日")
    # A queue task can be completed without claiming it first (the completer becomes its assignee).
    provider.check("input[name=granted][value=true]")
    provider.click("button:has-text('提交')")
    provider.wait_for_selector("text=已办结")

    applicant.goto(f"{live_server}/applications/{number}")
    assert applicant.is_visible("text=已答复") and applicant.is_visible("text=同意授权")
    # bpmn-js (from npm) draws the procedure with the steps taken marked as done.
    applicant.wait_for_selector(".bpmn-diagram.bpmn-ready >> nth=1")
    assert applicant.locator('.gs-done[data-element-id="normative_check"]').count() == 1
    assert applicant.locator('.gs-done[data-element-id="provider_authorization"]').count() == 1
    # The large resource procedure is drawn at a readable zoom (a task ≥ 70 px wide), with zoom buttons.
    resource_diagram = applicant.locator(".bpmn-diagram").nth(1)
    assert resource_diagram.locator(".bpmn-zoom button").count() >= 3
    assert (
        resource_diagram.locator('[data-element-id="provider_authorization"]').bounding_box()["width"] >= 70
    )
    overlapping = applicant.evaluate("""() => [...document.querySelectorAll('.bpmn-diagram')].flatMap(figure => {
        const boxes = [...figure.querySelectorAll('[data-element-id$="_label"]')]
            .map(label => label.getBoundingClientRect()).filter(r => r.width > 0);
        return boxes.flatMap((a, i) => boxes.slice(i + 1).filter(b =>
            a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1));
    }).length""")
    assert overlapping == 0  # no label drawn over another (generated layouts put neighbours' labels together)
    resource_diagram.locator(".bpmn-zoom button", has_text="全图").click()
    assert resource_diagram.locator('[data-element-id="provider_authorization"]').bounding_box()["width"] < 70
    _shot(applicant, "case-decided")
    narrow = _page(browser, live_server, "rst_applicant", width=390)
    narrow.goto(f"{live_server}/applications/{number}")
    answer = narrow.locator("td[data-label='答复'] .badge").first.bounding_box()
    assert answer["x"] + answer["width"] <= 390  # on a phone the decision is on screen, not scrolled away
    _shot(narrow, "case-narrow")
    narrow.goto(f"{live_server}/authorizations")
    assert narrow.is_visible("text=婚姻登记信息")
    _shot(narrow, "authorizations-narrow")


def test_a_dispute_decided_by_the_leadership_office(app, live_server, browser):
    from app.engine import runtime
    from app.sharing import disputes, services
    from tests.conftest import user
    from tests.integration.test_sharing import application_data, task

    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    with app.app_context():
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        runtime.complete_task(
            task(number, "provider_authorization").id,
            user("mz_clerk"),
            {"granted": False, "reasons": "超出共享条件", "basis": "目录共享条件"},
        )
        line = services.applications_of(user("rst_applicant").department_id)[0].lines[0]
        dispute = disputes.raise_dispute(
            user("rst_applicant"), topic="result", description="认为应予授权", line=line
        )
        for spec, username in (
            ("position_applicant", "rst_applicant"),
            ("position_provider", "mz_clerk"),
            ("position_platform", "hb_operator"),
        ):
            runtime.complete_task(
                task(dispute.number, spec).id, user(username), {"position": f"{username}的意见"}
            )
        runtime.complete_task(
            task(dispute.number, "negotiation").id,
            user("hb_operator"),
            {"agreed": False, "minutes": "三方未达成一致"},
        )
        dispute_number = dispute.number

    leader = _page(browser, live_server, "leader")
    leader.goto(f"{live_server}/tasks")
    leader.click("text=领导小组办公室协调决定：婚姻登记信息")
    assert leader.is_visible("text=三方未达成一致") and leader.is_visible("text=mz_clerk的意见")
    leader.click("button:text-is('认领')")
    leader.select_option("select[name=outcome]", "grant")
    leader.click("button:has-text('提交')")
    assert leader.is_visible("text=请填写决定理由")
    leader.select_option("select[name=outcome]", "grant")
    leader.fill("textarea[name=reasons]", "属于履职需要，按最小必要原则授权")
    leader.click("button:has-text('提交')")
    leader.wait_for_selector("text=已办结")
    leader.goto(f"{live_server}/disputes/{dispute_number}")
    assert leader.is_visible("text=予以授权") and leader.is_visible("text=属于履职需要")
    _shot(leader, "dispute-decided")
    applicant = _page(browser, live_server, "rst_applicant")
    applicant.goto(f"{live_server}/authorizations")
    assert applicant.is_visible("text=婚姻登记信息")


def test_supervision_dashboard_draws_its_charts(app, live_server, browser):
    from tests.integration.test_supervision import _granted_marriage_authorization

    with app.app_context():
        _granted_marriage_authorization()
    page = _page(browser, live_server, "supervisor")
    page.goto(f"{live_server}/supervision/?from=2026-09-01&to=2026-10-31")
    page.wait_for_selector(".chart.chart-ready svg")  # ECharts from npm drew the on-time bars
    assert page.locator(".chart-ready").count() >= 1
    assert page.is_visible("text=提供部门授权（§20，10个工作日）")
    # Each chart is described for a screen reader (ECharts' aria) and has its figures as a table (#31).
    assert page.locator(".chart-ready[aria-label]").count() == page.locator(".chart-ready").count()
    page.click("summary:has-text('以表格查看：各部门按时率')")
    table = page.inner_text("details.chart-data[open] table")
    assert "省民政厅" in table and "%" in table
    _shot(page, "supervision-dashboard")


def _case_at_provider(app) -> tuple[str, str]:
    """(case number, provider task id): a case whose provider authorization is open (10 working days)."""
    from app.engine.models import HumanTask, TaskStatus
    from app.engine.runtime import complete_task
    from app.extensions import db
    from app.sharing.services import submit_application
    from tests.conftest import user
    from tests.integration.test_sharing import application_data

    with app.app_context():
        number = submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        (check,) = db.session.scalars(db.select(HumanTask).where(HumanTask.business_key == number))
        complete_task(check.id, user("hb_operator"), {"accepted": True})
        provider = db.session.scalar(
            db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
        )
        return number, provider.id


def _due(app, task_id: str):
    from app.engine.models import HumanTask
    from app.extensions import db

    with app.app_context():
        return db.session.get(HumanTask, task_id).due_date


def test_an_analyst_changes_a_deadline_in_the_studio_deploys_it_and_migrates_a_running_case(
    app, live_server, browser
):
    """The 15-minute job of #13: the provider deadline 10 → 7 working days in the properties panel, the change
    in words, the trial across National Day 2026, deploy with a comment; new cases get 7 days, the running one
    keeps 10 until the analyst migrates it (dry run first)."""
    running, running_task = _case_at_provider(app)
    analyst = _page(browser, live_server, "analyst")
    errors = []
    analyst.on("pageerror", lambda err: errors.append(str(err)))
    analyst.goto(f"{live_server}/admin/processes/resource_authorization/edit")
    analyst.wait_for_selector("#modeler.modeler-ready")
    # The modeler opens readable, from the start event: bring the step into view as the analyst scrolls to it.
    analyst.evaluate("() => window.govshareModeler.get('canvas').scrollToElement('provider_authorization')")
    analyst.click('.djs-element[data-element-id="provider_authorization"]')
    panel = analyst.locator("#properties-panel")
    panel.locator("h3:has-text('提供部门授权')").wait_for()
    assert panel.locator("select >> nth=0").input_value() == ""  # role from the lane
    assert "按泳道：提供部门审核人" in panel.inner_text()
    days = panel.get_by_label("办理期限（工作日数）")
    assert days.input_value() == "10"
    days.fill("7")
    days.press("Tab")
    analyst.wait_for_function(
        "() => document.querySelector('#properties-panel').innerText.includes('deadline(forwarded_at, 7)')"
    )
    _shot(analyst, "studio-panel")
    analyst.click("button:has-text('保存并校验')")
    analyst.wait_for_url("**/admin/processes/uploads/**")
    report = analyst.inner_text("main")
    assert "校验通过" in report and "「提供部门授权」办理期限 10 → 7 个工作日（自转交之日起）" in report
    analyst.fill("#trial-day", "2026-09-28")
    analyst.click("button:has-text('试算')")
    row = analyst.locator("#trial tr.selected:has-text('超期')").filter(has_text="提供部门授权")
    assert "2026-10-16 24:00" in row.inner_text() and "2026-10-13 24:00" in row.inner_text()
    _shot(analyst, "studio-report")
    # Work over a second says so while it runs (#31): submitting shows a status line and marks the form busy
    # (held back here, so the page stays to be read; then the page is loaded afresh).
    busy = analyst.evaluate(
        """() => { const f = document.querySelector('#trial form[data-busy]');
        f.addEventListener('submit', e => e.preventDefault()); f.requestSubmit();
        return [f.getAttribute('aria-busy'), f.querySelector('.busy[role=status]').textContent]; }"""
    )
    assert busy[0] == "true" and "路径试运行" in busy[1]
    analyst.reload()
    analyst.click("button:has-text('路径试运行')")
    analyst.wait_for_selector("#runs")
    runs = analyst.inner_text("#runs")
    assert running in runs and "补正申请" in runs and "2026-10-13 24:00" in runs and "出错" not in runs
    _shot(analyst, "studio-test-run")
    analyst.fill("#comment", "按新规定，提供部门答复期限改为7个工作日")
    analyst.click("button:has-text('部署')")
    analyst.wait_for_selector("text=已部署")

    new_case, new_task = _case_at_provider(app)
    assert _due(app, new_task).isoformat() == "2026-11-11"  # 7 working days after Monday 11-02
    assert _due(app, running_task).isoformat() == "2026-11-16"  # started under the old rule: keeps 10

    analyst.goto(f"{live_server}/admin/processes/share_application")
    analyst.click("text=迁移到最新版本")
    line = analyst.locator(f"tr:has-text('{running}')")
    assert "可以迁移" in line.inner_text() and "2026-11-11 24:00" in line.inner_text()
    line.locator("input[name=instance]").check()
    analyst.check("input[name=deadlines][value=recompute]")
    analyst.click("button:has-text('迁移所选案件')")
    analyst.wait_for_selector("text=已迁移 1 件案件到 v2")
    _shot(analyst, "studio-migrated")
    assert _due(app, running_task).isoformat() == "2026-11-11"
    assert errors == []


def test_the_modeler_keeps_everything_of_every_procedure(app, live_server, browser):
    """Opened and saved by bpmn-js with GovShare's moddle description, every deployed model keeps every step,
    role, form, timer, operation, condition and document: no difference in words, and it still validates."""
    from app.engine.registry import latest_versions
    from app.studio.compare import describe
    from app.studio.drafts import xml_problem

    with app.app_context():
        sources = {v.process_id: v.files[v.source_file] for v in latest_versions()}
    analyst = _page(browser, live_server, "analyst")
    for process_id, source in sorted(sources.items()):
        analyst.goto(f"{live_server}/admin/processes/{process_id}/edit")
        analyst.wait_for_selector("#modeler.modeler-ready")
        saved = analyst.evaluate("() => window.govshareModeler.saveXML({format: true}).then(r => r.xml)")
        assert xml_problem(saved) is None
        assert describe(source, saved) == [], process_id


def test_the_routing_table_opens_in_the_decision_table_editor_and_saves(app, live_server, browser):
    """dmn-js (from npm) shows share_route.dmn as a table; a changed cell is saved and reported in words."""
    analyst = _page(browser, live_server, "analyst")
    errors = []
    analyst.on("pageerror", lambda err: errors.append(str(err)))
    # dmn-js's bundle (from npm) carries Inferno's development build, which says so on every load; any other
    # console error — a CSP refusal included — fails the test.
    analyst.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "development build of Inferno" not in m.text
            else None
        ),
    )
    analyst.goto(f"{live_server}/admin/processes/resource_authorization")
    analyst.click("text=在线编辑决策表")
    analyst.wait_for_selector("#modeler.modeler-ready")
    assert analyst.locator(".tjs-table td:has-text('\"unconditional\"')").count() == 1
    chrome = analyst.inner_text("#modeler")
    assert "命中策略" in chrome and "当" in chrome and "则" in chrome  # dmn-js in Chinese (#31)
    assert "Hit policy" not in chrome and "View DRD" not in chrome and "When" not in chrome
    changed = analyst.evaluate(
        """() => window.govshareModeler.saveXML({format: true}).then(r => r.xml.replace('"unconditional"', '"conditional"'))"""
    )
    analyst.evaluate(
        "xml => window.govshareModeler.importXML(xml).then(() => window.govshareModeler.open("
        "window.govshareModeler.getViews().find(v => v.type === 'decisionTable')))",
        changed,
    )
    _shot(analyst, "studio-decision-table")
    analyst.click("button:has-text('保存并校验')")
    analyst.wait_for_url("**/admin/processes/uploads/**")
    report = analyst.inner_text("main")
    assert (
        "校验通过" in report
        and '第 2 条规则（§21 无条件共享、无管控参数：平台直接授权）：共享类型 "unconditional" → "conditional"'
        in report
    )
    assert errors == []


def _strip_layout(source: str) -> str:
    return re.sub(r"\s*<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", source, flags=re.S)


def _boxes_overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


def test_a_model_without_a_layout_is_drawn_and_opens_in_the_modeler(app, live_server, browser):
    """A hand-written file without BPMNDiagram: the page lays it out in the browser with bpmn-auto-layout (#29):
    every flow node gets its own place, no two overlap, and no script is refused by the CSP."""
    source = (Path(__file__).resolve().parents[2] / "bpmn" / "objection.bpmn").read_text(encoding="utf-8")
    bare = _strip_layout(source)
    assert "BPMNShape" not in bare
    root = etree.fromstring(bare.encode())
    nodes = {
        e.get("id")
        for e in root.iter()
        if isinstance(e.tag, str)
        and e.tag.rsplit("}", 1)[-1].endswith(("Task", "Event", "Gateway"))
        and e.get("id")
        and e.tag.rsplit("}", 1)[-1] != "boundaryEvent"
    }
    analyst = _page(browser, live_server, "analyst")
    refused: list[str] = []
    analyst.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    analyst.goto(f"{live_server}/admin/processes/upload")
    analyst.set_input_files(
        "input[type=file]",
        files=[{"name": "objection.bpmn", "mimeType": "application/xml", "buffer": bare.encode()}],
    )
    analyst.click("button[type=submit]:has-text('上传')")
    analyst.wait_for_url("**/admin/processes/uploads/**")
    analyst.wait_for_selector('.bpmn-diagram .djs-element[data-element-id="verify"]')
    boxes = {}
    for node in sorted(nodes):
        shape = analyst.locator(f'.bpmn-diagram .djs-shape[data-element-id="{node}"]')
        assert shape.count() == 1, node
        boxes[node] = shape.bounding_box()
    clashes = [(a, b) for a in boxes for b in boxes if a < b and _boxes_overlap(boxes[a], boxes[b])]
    assert clashes == [] and refused == []
    flows = [e.get("id") for e in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}sequenceFlow")]
    for flow in flows:  # every flow drawn (the file names no <incoming>/<outgoing>: they are derived)
        assert analyst.locator(f'.bpmn-diagram .djs-connection[data-element-id="{flow}"]').count() == 1, flow
    assert "没有影响办理的变化" in analyst.inner_text("#changes")
    _shot(analyst, "studio-laid-out")


def test_a_provider_transfers_a_request_and_a_deputy_completes_it(app, live_server, browser):
    """#15 in Chromium: 民政厅 transfers a wrongly routed request to 公安厅 with a reason; 公安厅 sees it with its own
    due date; the applicant's case shows the transfer; a deputy completes the task while its owner is away."""
    from app.org.services import create_user
    from tests.conftest import user

    number, provider_task = _case_at_provider(app)
    with app.app_context():
        create_user(
            username="gat_provider2",
            display_name="公安厅审核人二",
            department_code=user("gat_provider").department.uscc,
            roles=["provider_clerk"],
            password="govshare2026",
            demo=True,
        )
        police = user("gat_provider").department_id
        from app.extensions import db

        db.session.commit()
    clerk = _page(browser, live_server, "mz_clerk")
    clerk.goto(f"{live_server}/tasks/{provider_task}")
    clerk.click("button:text-is('认领')")
    clerk.select_option("#f-transfer_to", str(police))
    clerk.fill("#f-transfer_reason", "婚姻登记信息由公安厅户政系统汇集")
    clerk.click("button:has-text('提交')")
    clerk.wait_for_selector("text=已办结")
    _shot(clerk, "transfer-done")

    police_clerk = _page(browser, live_server, "gat_provider")
    police_clerk.goto(f"{live_server}/tasks?scope=queue")
    row = police_clerk.locator(f"tr:has-text('{number}')")
    assert "提供部门授权" in row.inner_text() and "2026-11-16" in row.inner_text()  # its own 10 working days
    row.locator("button:text-is('认领')").click()
    police_clerk.goto(f"{live_server}/profile")
    police_clerk.select_option("#deputy", "gat_provider2")
    police_clerk.fill("#starts_on", "2026-11-02")
    police_clerk.fill("#ends_on", "2026-11-06")
    police_clerk.click("button:has-text('设置委托')")
    police_clerk.wait_for_selector("text=由 公安厅审核人二 代理")

    deputy = _page(browser, live_server, "gat_provider2")
    deputy.goto(f"{live_server}/tasks?scope=mine")
    deputy.click(f"tr:has-text('{number}') >> text=提供部门授权")
    deputy.check("input[name=granted][value=true]")
    deputy.click("button:has-text('提交')")
    deputy.wait_for_selector("text=已办结")

    applicant = _page(browser, live_server, "rst_applicant")
    applicant.goto(f"{live_server}/applications/{number}")
    page = applicant.inner_text("main")
    assert "转办：" in page and "婚姻登记信息由公安厅户政系统汇集" in page
    assert "公安厅审核人二 代 省公安厅审核人" in page
    _shot(applicant, "transfer-case")


def test_an_analyst_edits_a_procedure_in_the_modeler(app, live_server, browser):
    """bpmn-js Modeler (from npm) draws the draft with its palette; 保存草稿 keeps it on the server."""
    analyst = _page(browser, live_server, "analyst")
    errors = []
    analyst.on("pageerror", lambda err: errors.append(str(err)))
    analyst.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    analyst.goto(f"{live_server}/admin/processes/resource_authorization/edit")
    analyst.wait_for_selector("#modeler.modeler-ready")
    assert analyst.locator(".djs-palette .entry").count() > 5  # the modeling tools are there
    assert analyst.locator('[data-element-id="provider_authorization"]').count() >= 1
    # In Chinese (#31): the palette, the context pad and the replace menu; the page is named after the process;
    # the steps open at a zoom where their names can be read.
    titles = analyst.eval_on_selector_all(
        ".djs-palette .entry[aria-label]", "es => es.map(e => e.getAttribute('aria-label'))"
    )
    assert "任务" in titles and "网关" in titles and not [t for t in titles if re.search(r"[A-Za-z]{4}", t)]
    assert "资源授权" in analyst.title() or "授权" in analyst.title()
    assert analyst.evaluate("window.govshareModeler.get('canvas').zoom()") >= 0.8
    analyst.evaluate(
        "() => { const m = window.govshareModeler; m.get('canvas').scrollToElement('provider_authorization');"
        " m.get('selection').select(m.get('elementRegistry').get('provider_authorization')); }"
    )
    analyst.wait_for_selector(".djs-context-pad.open .entry[data-action='delete']")
    pad = analyst.eval_on_selector_all(".djs-context-pad.open .entry", "es => es.map(e => e.title)")
    assert "删除" in pad and "追加任务" in pad and not [t for t in pad if re.search(r"[A-Za-z]{4}", t)]
    analyst.click("#save-draft")
    analyst.wait_for_selector("#save-status:has-text('已保存')")
    _shot(analyst, "modeler")
    assert errors == []
