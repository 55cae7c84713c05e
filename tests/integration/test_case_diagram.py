"""The case page's BPMN diagrams: completed, active and overdue steps, from the saved workflow state."""

from __future__ import annotations

import json
import re
from html import unescape

from app import scheduler
from app.engine import runtime
from app.engine.diagram import instance_diagrams
from app.engine.models import ProcessInstance
from app.extensions import db
from app.sharing import services
from tests.conftest import login, user
from tests.integration.test_sharing import application_data, at, task


def _views(number: str):
    instance = db.session.scalar(db.select(ProcessInstance).where(ProcessInstance.business_key == number))
    return {view.process_id: view for view in instance_diagrams(instance)}


def test_steps_are_marked_done_active_then_overdue(content):
    at("2026-09-30T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    views = _views(number)
    assert "normative_check" in views["share_application"].active
    assert "normative_check" not in views["share_application"].done

    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    views = _views(number)
    main, resource = views["share_application"], views["resource_authorization"]
    assert {"normative_check", "mark_accepted"} <= main.done and "authorize_each" in main.active
    assert resource.title.endswith("婚姻登记信息")
    assert "provider_authorization" in resource.active and not resource.overdue

    at("2026-10-21T00:00:01+08:00")  # 10 working days after 09-30 (National Day) have run out
    scheduler.fire_due_timers()
    resource = _views(number)["resource_authorization"]
    assert "provider_authorization" in resource.overdue and "provider_authorization" in resource.active

    at("2026-10-23T10:00:00+08:00")
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    views = _views(number)
    resource = views["resource_authorization"]
    assert "provider_authorization" in resource.done and "provider_authorization" in resource.overdue
    assert not resource.active and "all_decided" in views["share_application"].done


def test_case_page_carries_each_diagram_with_its_marks(app, client, demo_content):
    with app.app_context():
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    login(client, "rst_applicant")
    html = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "流程图" in html and "bpmn-navigated-viewer.production.min.js" in html
    states = [json.loads(unescape(s)) for s in re.findall(r"data-state='([^']*)'", html)]
    assert states[0]["process"] == "share_application" and "normative_check" in states[0]["active"]
    xml = unescape(re.search(r'data-xml="([^"]*)"', html).group(1))
    assert xml.startswith("<?xml") and "bpmndi:BPMNDiagram" in xml  # the viewer needs the layout


def test_vendor_files_come_from_npm_and_nothing_else(client):
    response = client.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 200 and b"BpmnJS" in response.data[:100_000]
    assert client.get("/vendor/left-pad/index.js").status_code == 404
    assert client.get("/vendor/bpmn-js/../../package.json").status_code == 404
