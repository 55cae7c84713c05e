"""The process-models pages: versions and diagrams; upload → validation report → deploy with a comment."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from html import unescape
from pathlib import Path

from app.catalog.models import Resource
from app.engine.models import HumanTask, ProcessVersion, TaskStatus
from app.engine.runtime import complete_task
from app.extensions import db
from app.sharing.services import submit_application
from app.studio.deploy import deploy
from app.studio.models import ModelUpload
from tests.conftest import csrf_token, login, user
from tests.integration.test_cli import run
from tests.integration.test_sharing import application_data

ROOT = Path(__file__).resolve().parents[2]


def _upload(client, *files: tuple[str, bytes]):
    token = csrf_token(client, "/admin/processes/upload")
    data = {"csrf_token": token, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/admin/processes/upload", data=data, content_type="multipart/form-data")


def _versions(app, process_id: str) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(ProcessVersion.version).where(ProcessVersion.process_id == process_id)
            )
        )


def test_analyst_changes_a_deadline_on_the_web_and_deploys_it_with_a_comment(app, client, demo_content):
    login(client, "analyst")
    page = client.get("/admin/processes").get_data(as_text=True)
    assert "resource_authorization" in page and "上传修改后的模型" in page
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    assert "deadline(forwarded_at, 10)" in source
    changed = source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)")
    response = _upload(client, ("resource_authorization.bpmn", changed.encode()))
    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "校验通过" in report and "resource_authorization" in report and "部署说明" in report

    upload_url = response.headers["Location"]
    token = csrf_token(client, upload_url)
    missing = client.post(upload_url, data={"csrf_token": token, "comment": "  "})
    assert missing.status_code == 422 and "请填写部署说明" in missing.get_data(as_text=True)
    assert _versions(app, "resource_authorization") == [1]  # nothing deployed without a comment

    done = client.post(
        upload_url, data={"csrf_token": token, "comment": "提供部门答复期限改为7个工作日（测试）"}
    )
    assert done.status_code == 302
    assert sorted(_versions(app, "resource_authorization")) == [1, 2]
    page = client.get("/admin/processes/resource_authorization").get_data(as_text=True)
    assert "提供部门答复期限改为7个工作日（测试）" in page and "v2" in page and "bpmn-diagram" in page
    with app.app_context():
        assert db.session.scalar(db.select(ModelUpload.status)) == "deployed"


def test_a_broken_upload_is_reported_with_file_line_and_element_and_deploys_nothing(
    app, client, demo_content
):
    login(client, "analyst")
    source = (ROOT / "bpmn" / "share_application.bpmn").read_text(encoding="utf-8")
    broken = source.replace('calledElement="resource_authorization"', 'calledElement="no_such_process"')
    response = _upload(client, ("share_application.bpmn", broken.encode()))
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "no_such_process" in text)
    assert "校验未通过" in report and "部署说明" not in report
    assert re.search(
        rf"<td><code>share_application.bpmn</code></td><td>{line}</td><td><code>authorize_each</code>", report
    )
    states = [json.loads(unescape(s)) for s in re.findall(r"data-state='([^']*)'", report)]
    assert states[0]["overdue"] == ["authorize_each"]  # the faulty element is drawn in red
    token = csrf_token(client, "/admin/processes/upload")
    refused = client.post(response.headers["Location"], data={"csrf_token": token, "comment": "x"})
    assert refused.status_code == 422 and _versions(app, "share_application") == [1]


def test_a_broken_form_file_is_reported_against_the_form(app, client, demo_content):
    login(client, "analyst")
    response = _upload(
        client, ("share_authorization.json", b'{"type": "object", "properties": {"x": {"type": 7}}}')
    )
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "校验未通过" in report and "share_authorization.json" in report


def test_upload_rejects_bad_files_naming_the_field(client, seeded):
    login(client, "analyst")
    for files, message in [
        ((), "请选择 .bpmn、.dmn 或 .json 文件"),
        ((("../evil.bpmn", b"x"),), "文件名只能含"),
        ((("model.exe", b"x"),), "扩展名为 .bpmn、.dmn 或 .json"),
        ((("model.bpmn", "模型".encode("gbk")),), "不是 UTF-8 文本"),
    ]:
        response = _upload(client, *files)
        assert response.status_code == 422 and message in response.get_data(as_text=True), message


def test_only_analysts_see_the_models(client, seeded):
    login(client, "rst_applicant")
    assert client.get("/admin/processes").status_code == 403
    assert client.get("/admin/processes/upload").status_code == 403


def test_deploying_one_called_file_from_the_command_line_deploys_its_caller_and_takes_effect(
    app, demo_content, tmp_path
):
    """`govshare bpmn deploy FILE` lays FILE over the deployed models, as an upload does: the calling
    share_application gets a version that uses the changed resource_authorization, so new cases get 7 days."""
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    changed = tmp_path / "resource_authorization.bpmn"
    changed.write_text(
        source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)"), encoding="utf-8"
    )
    with app.app_context():
        alone = deploy([changed, ROOT / "bpmn" / "share_route.dmn"], comment="只部署被调用的流程")
        (problem,) = alone.problems
        assert alone.created == [] and problem.element_id == "resource_authorization"
        assert "share_application" in problem.message and "一并部署" in problem.message
    assert _versions(app, "resource_authorization") == [1]

    result = run(app, "bpmn", "deploy", str(changed), "--comment", "提供部门答复期限改为7个工作日")
    assert result.exit_code == 0, result.output
    assert "deployed resource_authorization v2" in result.output
    assert "deployed share_application v2" in result.output
    with app.app_context():
        number = submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        (check,) = db.session.scalars(db.select(HumanTask).where(HumanTask.business_key == number))
        complete_task(check.id, user("hb_operator"), {"accepted": True})
        provider_task = db.session.scalar(
            db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
        )
        assert provider_task.due_date == date(2026, 11, 11)  # 7 working days after Monday 11-02

    unreadable = run(app, "bpmn", "deploy", str(tmp_path / "missing.bpmn"))
    assert unreadable.exit_code == 1 and "missing.bpmn" in unreadable.output


def test_an_upload_with_an_external_entity_is_reported_not_resolved(app, client, demo_content):
    login(client, "analyst")
    source = (ROOT / "bpmn" / "objection.bpmn").read_text(encoding="utf-8")
    hostile = source.replace("?>", '?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1).replace(
        'name="', 'name="&xxe;', 1
    )
    response = _upload(client, ("objection.bpmn", hostile.encode()))
    assert response.status_code == 302
    report = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "objection.bpmn" in report and "external entity" in report and "root:" not in report
    with app.app_context():
        assert db.session.scalar(db.select(ModelUpload.status)) == "rejected"


def test_pages_say_the_working_days_of_the_deployed_model(app, client, demo_content, tmp_path):
    """ "N个工作日" on the catalog, home and statistics pages is read from the deployed model."""
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    login(client, "mz_clerk")
    assert "（办法§20，10个工作日）" in client.get(f"/catalog/resources/{code}").get_data(as_text=True)
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    changed = tmp_path / "resource_authorization.bpmn"
    changed.write_text(
        source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)"), encoding="utf-8"
    )
    assert run(app, "bpmn", "deploy", str(changed), "--comment", "改为7个工作日").exit_code == 0
    assert "（办法§20，7个工作日）" in client.get(f"/catalog/resources/{code}").get_data(as_text=True)
    assert "7个工作日内答复授权" in client.get("/").get_data(as_text=True)
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    dashboard = supervisor.get("/supervision/").get_data(as_text=True)
    assert "提供部门授权（§20，7个工作日）" in dashboard and "规范性检查（§19，3个工作日）" in dashboard


def test_an_analyst_edits_a_procedure_in_the_browser_checks_and_deploys_it(app, client, demo_content):
    """在线编辑: the latest version opens as the analyst's draft; every save is kept; malformed XML is refused
    naming the line; the check is the upload's validation report, from which the change deploys."""
    login(client, "analyst")
    page = client.get("/admin/processes/resource_authorization").get_data(as_text=True)
    assert "/admin/processes/resource_authorization/edit" in page
    editor = client.get("/admin/processes/resource_authorization/edit")
    html = editor.get_data(as_text=True)
    assert editor.status_code == 200 and "bpmn-modeler.production.min.js" in html and "modeler.js" in html
    save_url = re.search(r'data-save-url="([^"]+)"', html).group(1)
    token = csrf_token(client, "/admin/processes/resource_authorization/edit")
    headers = {"X-CSRFToken": token}
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    broken = client.post(save_url, json={"xml": source.replace("</bpmn:definitions>", "")}, headers=headers)
    assert broken.status_code == 422 and "XML 格式错误" in broken.get_json()["error"]["fields"]["xml"]
    changed = source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)")
    saved = client.post(save_url, json={"xml": changed}, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["revisions"] == 2
    assert (
        client.post(save_url, json={"xml": changed}, headers=headers).get_json()["revisions"] == 2
    )  # unchanged
    assert (
        client.get("/admin/processes/resource_authorization/edit")
        .get_data(as_text=True)
        .count("forwarded_at, 7")
        >= 1
    )
    other = app.test_client()
    login(other, "admin")  # the 系统管理员 may not touch models at all (三员分立), nor another's draft
    assert (
        other.post(
            save_url, json={"xml": changed}, headers={"X-CSRFToken": csrf_token(other, "/profile")}
        ).status_code
        == 403
    )
    checked = client.post(save_url + "/check", data={"csrf_token": token})
    assert checked.status_code == 302 and "/admin/processes/uploads/" in checked.headers["Location"]
    report = client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "校验通过" in report and "「提供部门授权」办理期限 10 → 7 个工作日（自转交之日起）" in report
    # 期限试算 across National Day 2026 (10-01…10-07 off, 09-20 and 10-10 make-up working days): forwarded on
    # Monday 09-28, 10 working days end on 10-16, 7 on 10-13.
    trial = client.get(checked.headers["Location"] + "?trial=2026-09-28").get_data(as_text=True)
    row = re.search(
        r"<tr class=\"selected\"><td>提供部门授权<div[^>]*>超期</div>.*?</tr>", trial, re.S
    ).group(0)
    assert (
        "办理期限 7 个工作日，自转交之日起" in row and "2026-10-16 24:00" in row and "2026-10-13 24:00" in row
    )
    deployed = client.post(
        checked.headers["Location"], data={"csrf_token": token, "comment": "提供部门答复期限改为7个工作日"}
    )
    assert deployed.status_code == 302
    assert sorted(_versions(app, "resource_authorization")) == [1, 2]
    assert sorted(_versions(app, "share_application")) == [1, 2]  # the caller comes along
    applicant = app.test_client()
    login(applicant, "rst_applicant")
    assert applicant.get("/admin/processes/resource_authorization/edit").status_code == 403


def test_an_analyst_goes_back_to_an_earlier_save_of_a_draft(app, client, demo_content):
    login(client, "analyst")
    html = client.get("/admin/processes/resource_authorization/edit").get_data(as_text=True)
    save_url = re.search(r'data-save-url="([^"]+)"', html).group(1)
    token = csrf_token(client, "/admin/processes/resource_authorization/edit")
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    for days in (7, 5):
        changed = source.replace("deadline(forwarded_at, 10)", f"deadline(forwarded_at, {days})")
        client.post(save_url, json={"xml": changed}, headers={"X-CSRFToken": token})
    page = client.get("/admin/processes/resource_authorization/edit").get_data(as_text=True)
    assert "forwarded_at, 5" in page and page.count("/restore") == 2  # the two earlier saves
    first = re.findall(r'action="([^"]+/restore)"', page)[-1]  # the opening save (10 days)
    restored = client.post(first, data={"csrf_token": token})
    assert restored.status_code == 302 and restored.headers["Location"].endswith(
        "/admin/processes/resource_authorization/edit"
    )
    page = client.get(restored.headers["Location"]).get_data(as_text=True)
    assert "forwarded_at, 10" in page and "forwarded_at, 5" not in page and page.count("/restore") == 3


def test_a_broken_draft_shows_every_problem_with_line_and_element_and_cannot_be_deployed(
    app, client, demo_content
):
    """A missing flow target, a bad timer and an unknown role in one draft: all three reported at once."""
    login(client, "analyst")
    html = client.get("/admin/processes/resource_authorization/edit").get_data(as_text=True)
    save_url = re.search(r'data-save-url="([^"]+)"', html).group(1)
    token = csrf_token(client, "/admin/processes/resource_authorization/edit")
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    broken = (
        source.replace(
            'sourceRef="provider_decision" targetRef=',
            'sourceRef="provider_decision" targetRef="nowhere" x=',
            1,
        )
        .replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, ten)", 1)
        .replace(
            '<bpmn:lane id="lane_provider" name="provider_clerk">',
            '<bpmn:lane id="lane_provider" name="provider_boss">',
        )
    )
    assert client.post(save_url, json={"xml": broken}, headers={"X-CSRFToken": token}).status_code == 200
    checked = client.post(save_url + "/check", data={"csrf_token": token})
    report = client.get(checked.headers["Location"]).get_data(as_text=True)
    rows = re.findall(
        r"<tr><td><code>resource_authorization.bpmn</code></td><td>(\d+)</td><td><code>([^<]+)</code></td><td>([^<]+)</td>",
        report,
    )
    problems = {element: message for _line, element, message in rows}
    assert all(int(line) > 0 for line, _e, _m in rows)
    assert "nowhere" in " ".join(problems.values())  # the flow's own line and its missing target
    assert any("ten" in m for m in problems.values())  # the timer, evaluated on sample data
    assert any("provider_boss" in m for m in problems.values())  # the unknown role
    refused = client.post(checked.headers["Location"], data={"csrf_token": token, "comment": "试图部署"})
    assert refused.status_code == 422 and _versions(app, "resource_authorization") == [1]
