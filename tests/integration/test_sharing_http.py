"""The share application through the pages and the API, driven by several users with a frozen clock."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pypdfium2 as pdfium

from app import clock
from app.catalog.models import Resource
from app.extensions import db
from tests.conftest import api_token, bearer, csrf_token, login, user
from tests.integration.test_cli import run


def _code(app, name: str) -> str:
    with app.app_context():
        return db.session.scalar(db.select(Resource.code).where(Resource.name == name))


def _body(app, *names: str) -> dict:
    return {
        "purpose": "低保家庭经济状况核对",
        "reason": "依据《社会救助暂行办法》审核",
        "business_system": "社会救助系统",
        "scope": "全省低保申请人",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
        "resources": [{"code": _code(app, n)} for n in names],
    }


def _submitted(app, client):
    """rst_applicant's application for 婚姻登记信息 over the API: (applicant and operator headers, case number,
    the normative check task)."""
    applicant, operator = bearer(api_token(app, "rst_applicant")), bearer(api_token(app, "hb_operator"))
    number = client.post(
        "/api/v1/applications", json=_body(app, "婚姻登记信息"), headers=applicant
    ).get_json()["number"]
    (check,) = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    return applicant, operator, number, check


def test_api_scenario_with_several_users(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
    applicant = bearer(api_token(app, "rst_applicant"))
    created = client.post("/api/v1/applications", json=_body(app, "婚姻登记信息"), headers=applicant)
    assert created.status_code == 201
    number = created.get_json()["number"]
    operator = bearer(api_token(app, "hb_operator"))
    (check,) = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    assert (check["business_key"], check["due_date"], check["deadline_badge"]) == (
        number,
        "2026-10-10",
        "剩余3个工作日",
    )
    clock.freeze(datetime.fromisoformat("2026-10-09T09:00:00+08:00"))
    assert (
        client.post(
            f"/api/v1/tasks/{check['id']}/complete", json={"data": {"accepted": True}}, headers=operator
        ).status_code
        == 200
    )
    provider = bearer(api_token(app, "mz_clerk"))
    (decide,) = client.get("/api/v1/tasks?scope=queue", headers=provider).get_json()["items"]
    assert (decide["label"], decide["due_date"]) == ("提供部门授权：婚姻登记信息", "2026-10-22")
    refused = client.post(
        f"/api/v1/tasks/{decide['id']}/complete", json={"data": {"granted": False}}, headers=provider
    )
    assert refused.status_code == 422 and set(refused.get_json()["error"]["fields"]) == {"reasons", "basis"}
    assert (
        client.post(
            f"/api/v1/tasks/{decide['id']}/complete", json={"data": {"granted": True}}, headers=provider
        ).status_code
        == 200
    )
    case = client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()
    assert case["status"] == "decided" and case["resources"][0]["decision"] == "granted"
    (record,) = client.get("/api/v1/authorizations", headers=applicant).get_json()["items"]
    assert (record["valid_from"], record["valid_to"], record["business_system"]) == (
        "2026-12-01",
        "2027-11-30",
        "社会救助系统",
    )
    assert (
        client.get(
            f"/api/v1/applications/{number}", headers=bearer(api_token(app, "wh_applicant"))
        ).status_code
        == 403
    )
    bad = client.post(f"/api/v1/authorizations/{record['id']}/revoke", json={}, headers=provider)
    assert bad.status_code == 422
    revoked = client.post(
        f"/api/v1/authorizations/{record['id']}/revoke", json={"reason": "超范围使用"}, headers=provider
    )
    assert revoked.get_json()["revoked_reason"] == "超范围使用"


def test_api_rejects_malformed_applications(app, client, demo_content):
    applicant = bearer(api_token(app, "rst_applicant"))
    assert client.post("/api/v1/applications", json={"purpose": "x"}, headers=applicant).status_code == 422
    body = _body(app, "刑事案件侦查信息")
    response = client.post("/api/v1/applications", json=body, headers=applicant)
    assert (
        response.status_code == 422 and "不予共享" in response.get_json()["error"]["fields"]["resources[0]"]
    )
    assert (
        client.post(
            "/api/v1/applications", data="[", headers={**applicant, "Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_apply_from_the_catalog_page_and_follow_the_case(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    login(client, "rst_applicant")
    code = _code(app, "最低生活保障对象信息")
    page = client.get(f"/catalog/resources/{code}").get_data(as_text=True)
    assert (
        f"/applications/new?resource={code.replace('/', '%2F')}" in page
        or f"/applications/new?resource={code}" in page
    )
    form_page = client.get(f"/applications/new?resource={code}").get_data(as_text=True)
    assert "不予共享" in form_page and 'value="户籍地址" disabled' in form_page
    token = csrf_token(client, f"/applications/new?resource={code}")
    data = {
        "csrf_token": token,
        "resource": code,
        f"items-{code}": ["姓名", "保障金额"],
        "purpose": "",
        "reason": "审核",
        "business_system": "救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2026-11-01",
    }
    response = client.post("/applications/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请填写用途" in html and "结束日期早于开始日期" in html
    data.update(purpose="临时救助审核", valid_to="2027-11-30")
    response = client.post("/applications/new", data=data)
    assert response.status_code == 302
    case = client.get(response.headers["Location"]).get_data(as_text=True)
    number = re.search(r"SQ-2026-\d{6}", case).group(0)
    assert "规范性检查" in case and "2026-11-05" in case and "待检查" in case
    # The timeline names people as they are known (display names) and the engine as 系统, not login names.
    timeline = case[case.index("时间线") :]
    assert '提交申请 <span class="muted">省人社厅经办人</span>' in timeline
    assert "system" not in timeline and '<span class="muted">系统</span>' in timeline
    operator = app.test_client()
    login(operator, "hb_operator")
    task_id = re.search(r'/tasks/([0-9a-f-]{36})"', operator.get("/tasks").get_data(as_text=True)).group(1)
    task_page = operator.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert number in task_page and "临时救助审核" in task_page and "最低生活保障对象信息" in task_page


def test_attachments_are_checked_stored_and_only_for_those_who_see_the_case(app, client, demo_content):
    import io

    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    login(client, "rst_applicant")
    code = _code(app, "婚姻登记信息")
    path = f"/applications/new?resource={code}"
    base = {
        "resource": code,
        "purpose": "核验",
        "reason": "审核",
        "business_system": "救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
    }

    def post(files):
        data = {**base, "csrf_token": csrf_token(client, path), "attachments": files}
        return client.post("/applications/new", data=data, content_type="multipart/form-data")

    bad = post([(io.BytesIO(b"MZ\x90\x00"), "tool.exe"), (io.BytesIO(b"\x89PNG...."), "公函.pdf")])
    html = bad.get_data(as_text=True)
    assert (
        bad.status_code == 422 and "“tool.exe”的类型不允许" in html and "“公函.pdf”的内容与扩展名不符" in html
    )
    ok = post([(io.BytesIO(b"%PDF-1.7 test"), "../../公函.pdf")])
    assert ok.status_code == 302
    case = client.get(ok.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/attachments/\d+)">公函.pdf', case).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == b"%PDF-1.7 test"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    operator = app.test_client()
    login(operator, "hb_operator")
    assert operator.get(link).status_code == 200
    stranger = app.test_client()
    login(stranger, "wh_applicant")
    assert stranger.get(link).status_code == 403


def test_the_case_page_shows_working_days_taken_per_step(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-09-29T10:00:00+08:00"))  # Tuesday before National Day
    applicant, operator, number, check = _submitted(app, client)
    client.post(f"/api/v1/tasks/{check['id']}/claim", headers=operator)
    clock.freeze(
        datetime.fromisoformat("2026-10-09T15:00:00+08:00")
    )  # 9-30, 10-8, 10-9 are working days (10-1..7 off)
    done = client.post(
        f"/api/v1/tasks/{check['id']}/complete", json={"data": {"accepted": True}}, headers=operator
    )
    assert done.status_code == 200
    clock.freeze(
        datetime.fromisoformat("2026-10-12T11:00:00+08:00")
    )  # Monday: 10-10 is a make-up working day
    login(client, "rst_applicant")
    page = client.get(f"/applications/{number}").get_data(as_text=True)
    rows = re.findall(r"<tr><td[^>]*>([^<]+)</td>.*?</td>\s*<td[^>]*>([^<]*)</td></tr>", page, flags=re.S)
    taken = dict(rows)
    assert taken["规范性检查"] == "3个工作日"
    assert [v for k, v in taken.items() if k != "规范性检查"] == ["已用2个工作日"]


def test_blank_reasons_are_refused_and_every_id_a_dispute_needs_is_readable(app, client, demo_content):
    """§19/§20: a refusal needs 具体原因, and spaces are none. §25: the line id a dispute needs is in the
    API's answers (the application and the authorization list), not only in the case page's links."""
    applicant = bearer(api_token(app, "rst_applicant"))
    body = _body(app, "婚姻登记信息")
    numbers = [
        client.post("/api/v1/applications", json=body, headers=applicant).get_json()["number"] for _ in "ab"
    ]
    operator = bearer(api_token(app, "hb_operator"))
    checks = {
        t["business_key"]: t["id"]
        for t in client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    }

    def complete(task_id: str, data: dict, headers: dict):
        return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)

    blank = complete(checks[numbers[0]], {"accepted": False, "reasons": " \u3000 "}, operator)
    assert blank.status_code == 422 and blank.get_json()["error"]["fields"] == {
        "reasons": "请填写不予受理理由"
    }
    assert (
        client.get(f"/api/v1/applications/{numbers[0]}", headers=applicant).get_json()["status"]
        == "submitted"
    )
    assert (
        complete(checks[numbers[0]], {"accepted": False, "reasons": "  用途不明确 "}, operator).status_code
        == 200
    )
    case = client.get(f"/api/v1/applications/{numbers[0]}", headers=applicant).get_json()
    assert (case["status"], case["check_reasons"]) == ("not_accepted", "用途不明确")

    assert complete(checks[numbers[1]], {"accepted": True}, operator).status_code == 200
    provider = bearer(api_token(app, "mz_clerk"))
    (decide,) = client.get("/api/v1/tasks?scope=queue", headers=provider).get_json()["items"]
    blank = complete(decide["id"], {"granted": False, "reasons": "  ", "basis": "\t"}, provider)
    assert blank.get_json()["error"]["fields"] == {
        "reasons": "请填写不予授权理由",
        "basis": "请填写不予授权依据",
    }
    assert (
        complete(
            decide["id"], {"granted": False, "reasons": "涉及个人隐私", "basis": "《婚姻登记条例》"}, provider
        ).status_code
        == 200
    )
    (line,) = client.get(f"/api/v1/applications/{numbers[1]}", headers=applicant).get_json()["resources"]
    assert line["decision"] == "refused"
    dispute = client.post(
        "/api/v1/disputes",
        json={"topic": "result", "description": "用途符合法定职责", "line_id": line["line_id"]},
        headers=applicant,
    )
    assert dispute.status_code == 201, dispute.get_json()
    assert dispute.get_json()["line_id"] == line["line_id"]


def test_text_longer_than_its_field_is_refused_by_name_on_every_database(app, client, demo_content):
    applicant = bearer(api_token(app, "rst_applicant"))
    body = {**_body(app, "婚姻登记信息"), "business_system": "系" * 201, "purpose": "用" * 2001}
    response = client.post("/api/v1/applications", json=body, headers=applicant)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "business_system": "使用数据的业务系统最多 200 个字",
        "purpose": "用途最多 2000 个字",
    }
    body = {**body, "business_system": "系" * 200, "purpose": "用" * 2000}
    assert client.post("/api/v1/applications", json=body, headers=applicant).status_code == 201


def test_apply_again_with_a_copy_and_keep_the_items_chosen_after_a_form_error(app, client, demo_content):
    """A refused or decided application is applied for again from its case page (复制为新申请): resources,
    items, purpose, reason, system and scope come prefilled; a form error keeps the items the clerk chose."""
    applicant = bearer(api_token(app, "rst_applicant"))
    code = _code(app, "最低生活保障对象信息")
    body = {
        **_body(app, "最低生活保障对象信息"),
        "resources": [{"code": code, "items": ["姓名", "保障金额"]}],
    }
    number = client.post("/api/v1/applications", json=body, headers=applicant).get_json()["number"]
    login(client, "rst_applicant")
    case = client.get(f"/applications/{number}").get_data(as_text=True)
    assert f"/applications/new?copy={number}" in case
    form = client.get(f"/applications/new?copy={number}").get_data(as_text=True)
    assert body["purpose"] in form and body["business_system"] in form
    ticked = re.findall(rf'name="items-{re.escape(code)}" value="([^"]+)" checked', form)
    assert sorted(ticked) == ["保障金额", "姓名"]
    token = csrf_token(client, f"/applications/new?copy={number}")
    data = {
        "csrf_token": token,
        "resource": code,
        f"items-{code}": ["姓名"],
        "purpose": "",
        "reason": "复核",
        "business_system": "救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
    }
    failed = client.post("/applications/new", data=data)
    assert failed.status_code == 422
    assert re.findall(
        rf'name="items-{re.escape(code)}" value="([^"]+)" checked', failed.get_data(as_text=True)
    ) == ["姓名"]
    other = app.test_client()
    login(other, "wh_applicant")
    assert other.get(f"/applications/new?copy={number}").status_code == 403


def test_an_application_list_collects_resources_from_the_catalog_for_one_application(
    app, client, demo_content
):
    """申请清单: resources added from their catalog pages become one application, one line (and one clock) each."""
    login(client, "rst_applicant")
    codes = [_code(app, "婚姻登记信息"), _code(app, "法人单位基础信息")]
    for code in codes:
        page = client.get(f"/catalog/resources/{code}").get_data(as_text=True)
        assert "加入申请清单" in page
        token = csrf_token(client, f"/catalog/resources/{code}")
        added = client.post(
            "/applications/list",
            data={"csrf_token": token, "code": code, "action": "add", "next": f"/catalog/resources/{code}"},
        )
        assert added.status_code == 302 and added.headers["Location"].endswith(code)
    listing = client.get("/applications/list").get_data(as_text=True)
    assert "婚姻登记信息" in listing and "法人单位基础信息" in listing and "填写申请（2 个资源）" in listing
    assert "申请清单（2）" in client.get("/catalog/").get_data(as_text=True)
    form = client.get("/applications/new", query_string=[("resource", c) for c in codes]).get_data(
        as_text=True
    )
    token = csrf_token(client, "/applications/list")
    data = {
        "csrf_token": token,
        "resource": codes,
        "purpose": "低保核对",
        "reason": "依据《社会救助暂行办法》",
        "business_system": "社会救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
    }
    for code in codes:
        data[f"items-{code}"] = re.findall(rf'name="items-{re.escape(code)}" value="([^"]+)" checked', form)
    submitted = client.post("/applications/new", data=data)
    assert submitted.status_code == 302
    number = submitted.headers["Location"].rsplit("/", 1)[1]
    case = client.get(
        f"/api/v1/applications/{number}", headers=bearer(api_token(app, "rst_applicant"))
    ).get_json()
    assert sorted(line["code"] for line in case["resources"]) == sorted(codes)
    assert "清单是空的" in client.get("/applications/list").get_data(as_text=True)


def test_attachments_are_kept_after_a_form_error(app, client, demo_content):
    """A browser cannot refill a file field: files sent with a form that had another error are held for the
    clerk, listed on the corrected form, and become the application's when it is submitted."""
    login(client, "rst_applicant")
    code = _code(app, "婚姻登记信息")
    path = f"/applications/new?resource={code}"
    base = {
        "resource": code,
        "purpose": "核验",
        "reason": "审核",
        "business_system": "救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
    }
    first = client.post(
        "/applications/new",
        data={
            **base,
            "purpose": " ",
            "csrf_token": csrf_token(client, path),
            "attachments": [(io.BytesIO(b"%PDF-1.7 letter"), "公函.pdf")],
        },
        content_type="multipart/form-data",
    )
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and "请填写用途" in html and "公函.pdf" in html and "已上传，保留" in html
    kept = re.search(r'name="kept" value="(\d+)"', html).group(1)
    stranger = app.test_client()
    login(stranger, "wh_applicant")  # someone else cannot adopt the held file
    taken = stranger.post(
        "/applications/new", data={**base, "kept": kept, "csrf_token": csrf_token(stranger, path)}
    )
    assert taken.status_code == 302
    stranger_case = stranger.get(taken.headers["Location"]).get_data(as_text=True)
    assert "公函.pdf" not in stranger_case
    done = client.post(
        "/applications/new", data={**base, "kept": kept, "csrf_token": csrf_token(client, path)}
    )
    assert done.status_code == 302
    case = client.get(done.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/attachments/\d+)">公函.pdf', case).group(1)
    assert client.get(link).data == b"%PDF-1.7 letter"


def test_an_application_is_withdrawn_before_anything_is_decided(app, client, demo_content):
    applicant, operator, number, _check = _submitted(app, client)
    login(client, "rst_applicant")
    case = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "撤回申请" in case
    token = csrf_token(client, f"/applications/{number}")
    blank = client.post(
        f"/applications/{number}/withdraw", data={"csrf_token": token, "reason": "  "}, follow_redirects=True
    )
    assert "请填写撤回原因" in blank.get_data(as_text=True)
    stranger = app.test_client()
    login(stranger, "wh_applicant")
    assert (
        stranger.post(
            f"/applications/{number}/withdraw",
            data={"csrf_token": csrf_token(stranger, "/profile"), "reason": "x"},
        ).status_code
        == 403
    )
    client.post(
        f"/applications/{number}/withdraw", data={"csrf_token": token, "reason": "业务调整，不再需要"}
    )
    body = client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()
    assert body["status"] == "withdrawn" and body["resources"][0]["decision"] == "withdrawn"
    assert (
        client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"] == []
    )  # the check ended
    page = client.get(f"/applications/{number}").get_data(as_text=True)
    assert (
        "已撤回" in page and "撤回申请" in page and "确认撤回" not in page
    )  # the timeline names it; no form
    stats = client.get(
        "/api/v1/statistics?from=2026-11-01&to=2026-11-30", headers=bearer(api_token(app, "supervisor"))
    )
    assert (stats.get_json()["received"], stats.get_json()["withdrawn"], stats.get_json()["accepted"]) == (
        1,
        1,
        0,
    )


def test_a_decided_application_cannot_be_withdrawn(app, client, demo_content):
    _applicant, operator, number, check = _submitted(app, client)
    provider = bearer(api_token(app, "mz_clerk"))
    client.post(f"/api/v1/tasks/{check['id']}/complete", json={"data": {"accepted": True}}, headers=operator)
    (decide,) = client.get("/api/v1/tasks?scope=queue", headers=provider).get_json()["items"]
    client.post(f"/api/v1/tasks/{decide['id']}/complete", json={"data": {"granted": True}}, headers=provider)
    login(client, "rst_applicant")
    assert "确认撤回" not in client.get(f"/applications/{number}").get_data(as_text=True)
    token = csrf_token(client, f"/applications/{number}")
    assert (
        client.post(f"/applications/{number}/withdraw", data={"csrf_token": token, "reason": "x"}).status_code
        == 403
    )


def test_a_normative_check_returns_an_application_for_completion_and_checks_it_again(
    app, client, demo_content
):
    """退回补正: the platform asks the applicant to complete the application; the applicant's completion
    replaces the texts given and starts a new check with its own 3 working days (§19)."""
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))  # Monday
    applicant, operator, number, check = _submitted(app, client)
    returned = client.post(
        f"/api/v1/tasks/{check['id']}/complete",
        headers=operator,
        json={
            "data": {
                "accepted": False,
                "return_for_completion": True,
                "reasons": "请写明低保审核所需的具体信息项用途",
            }
        },
    )
    assert returned.status_code == 200
    case = client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()
    assert case["status"] == "returned" and case["resources"][0]["decision"] == "pending"
    # The 补正 goes straight to the clerk who applied (no 认领), opens with what was submitted and shows the
    # operator's reasons among the steps so far (#31).
    assert client.get("/api/v1/tasks?scope=queue", headers=applicant).get_json()["items"] == []
    (completion,) = client.get("/api/v1/tasks?scope=mine", headers=applicant).get_json()["items"]
    assert completion["label"] == "补正申请" and completion["business_key"] == number
    assert completion["assignee"] == "rst_applicant"
    detail = client.get(f"/api/v1/tasks/{completion['id']}", headers=applicant).get_json()
    submitted = _body(app, "婚姻登记信息")
    assert detail["prefill"] == {
        k: submitted[k] for k in ("purpose", "reason", "business_system", "scope", "valid_from", "valid_to")
    }
    (step,) = detail["steps"]
    with app.app_context():
        operator_name = user("hb_operator").display_name
    assert (step["label"], step["actor"]) == ("规范性检查", operator_name)
    assert {(a["title"], a["text"]) for a in step["answers"]} == {
        ("检查结论", "不予受理或退回补正"),
        ("退回补正", "是，退回补正"),
        ("不予受理理由", "请写明低保审核所需的具体信息项用途"),
    }
    login(client, "rst_applicant")
    page = client.get(f"/tasks/{completion['id']}").get_data(as_text=True)
    assert page.index("退回补正的原因") < page.index("申请部门")  # what to correct comes first
    assert "办理经过" in page and "请写明低保审核所需的具体信息项用途" in page
    assert f">{submitted['purpose']}</textarea>" in page  # prefilled, to be edited
    assert "尚未认领" not in page and ">认领</button>" not in page
    assert f'type="date" value="{submitted["valid_to"]}"' in page  # the period can be corrected too
    backwards = client.post(
        f"/api/v1/tasks/{completion['id']}/complete",
        headers=applicant,
        json={"data": {"completion": "改期限", "valid_from": "2027-01-01", "valid_to": "2026-12-31"}},
    )
    assert backwards.status_code == 422
    assert backwards.get_json()["error"]["fields"] == {"valid_to": "使用期限的结束日期早于开始日期"}
    alone = client.post(
        f"/api/v1/tasks/{completion['id']}/complete",
        headers=applicant,
        json={"data": {"completion": "改期限", "valid_to": "2026-12-31"}},
    )
    assert alone.get_json()["error"]["fields"] == {"valid_from": "开始和结束日期须同时填写"}
    blank = client.post(
        f"/api/v1/tasks/{completion['id']}/complete", json={"data": {"completion": " "}}, headers=applicant
    )
    assert blank.get_json()["error"]["fields"] == {"completion": "请填写补正说明"}
    clock.freeze(datetime.fromisoformat("2026-11-04T15:00:00+08:00"))  # Wednesday
    done = client.post(
        f"/api/v1/tasks/{completion['id']}/complete",
        headers=applicant,
        json={
            "data": {
                "completion": "补充了用途说明",
                "purpose": "低保家庭婚姻状况核对（仅核验婚姻状态）",
                "valid_from": "2026-12-01",
                "valid_to": "2027-05-31",
            }
        },
    )
    assert done.status_code == 200
    case = client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()
    assert case["status"] == "submitted" and case["purpose"] == "低保家庭婚姻状况核对（仅核验婚姻状态）"
    assert (case["valid_from"], case["valid_to"]) == ("2026-12-01", "2027-05-31")
    (again,) = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    assert again["id"] != check["id"] and again["due_date"] == "2026-11-09"  # 3 WD from the completion
    accepted = client.post(
        f"/api/v1/tasks/{again['id']}/complete", json={"data": {"accepted": True}}, headers=operator
    )
    assert accepted.status_code == 200
    assert (
        client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()["status"] == "in_progress"
    )


def test_a_task_form_with_errors_is_told_to_a_screen_reader_and_shows_its_basis(app, client, demo_content):
    """#31: choices are a fieldset with a legend; a field in error is aria-invalid and described by its
    message; the error summary links to each field (site.js puts the focus on it); the step's basis (the
    article, from the model's documentation) is on the page."""
    _applicant, _operator, _number, check = _submitted(app, client)
    login(client, "hb_operator")
    page = client.get(f"/tasks/{check['id']}").get_data(as_text=True)
    assert "依据</strong>：办法§19" in page
    assert re.search(r'<fieldset class="choices-set" id="f-accepted"[^>]*aria-required="true"', page)
    assert "<legend>检查结论" in page and "aria-invalid" not in page
    token = csrf_token(client, f"/tasks/{check['id']}")
    refused = client.post(f"/tasks/{check['id']}/complete", data={"csrf_token": token, "accepted": "false"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(
        r'<textarea id="f-reasons" name="reasons" rows="4" aria-describedby="e-reasons" aria-invalid="true"',
        body,
    )
    assert '<p class="field-error" id="e-reasons">' in body
    assert re.search(r'id="error-summary"[^>]*>.*<a href="#f-reasons">', body, re.S)


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def test_the_approval_sheet_and_the_authorization_print_for_the_file(app, client, demo_content):
    """#31: 共享申请审批表 (the application, each answer, every step with who, when, decision and opinion) and
    授权书 (items, period, system) as PDFs from the case page and the API; a department that is no party to the
    case gets neither."""
    applicant, operator, number, check = _submitted(app, client)
    client.post(f"/api/v1/tasks/{check['id']}/complete", json={"data": {"accepted": True}}, headers=operator)
    provider = bearer(api_token(app, "mz_clerk"))
    (decide,) = client.get("/api/v1/tasks?scope=queue", headers=provider).get_json()["items"]
    granted = client.post(
        f"/api/v1/tasks/{decide['id']}/complete", json={"data": {"granted": True}}, headers=provider
    )
    assert granted.status_code == 200
    login(client, "rst_applicant")
    case = client.get(f"/applications/{number}").get_data(as_text=True)
    sheet_link = f"/applications/{number}/sheet.pdf"
    certificate_link = re.search(r'href="(/authorizations/\d+/certificate\.pdf)"', case).group(1)
    assert sheet_link in case
    sheet = client.get(sheet_link)
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    text = _pdf_text(sheet.data)
    with app.app_context():
        operator_name, provider_name = user("hb_operator").display_name, user("mz_clerk").display_name
    for expected in (
        "政务信息资源共享申请审批表",
        number,
        "婚姻登记信息",
        "规范性检查",
        "同意授权",
        operator_name,
        provider_name,
    ):
        assert expected in text, expected
    assert client.get(f"/api/v1/applications/{number}/sheet.pdf", headers=applicant).data[:5] == b"%PDF-"
    certificate = _pdf_text(client.get(certificate_link).data)
    assert "政务信息资源共享授权书" in certificate and number in certificate and "有效" in certificate
    api_certificate = client.get("/api/v1" + certificate_link, headers=applicant)
    assert api_certificate.status_code == 200 and api_certificate.mimetype == "application/pdf"
    stranger = app.test_client()
    login(stranger, "gat_provider")
    assert stranger.get(sheet_link).status_code == 403
    assert stranger.get(certificate_link).status_code == 403
    token = bearer(api_token(app, "gat_provider"))
    denied = stranger.get(f"/api/v1/applications/{number}/sheet.pdf", headers=token)
    assert denied.status_code == 403 and denied.get_json()["error"]["code"]
    assert stranger.get("/api/v1/authorizations/999999/certificate.pdf", headers=token).status_code == 404


def test_a_returned_application_is_corrected_on_its_own_form_resources_items_and_files_included(
    app, client, demo_content
):
    """补正 on the application form (#31): the applicant adds a resource, narrows the items of another, drops a
    third, replaces a file; the procedure then authorizes exactly the resources as corrected (§19, §20)."""
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    marriage, welfare, birth = (
        _code(app, n) for n in ("婚姻登记信息", "最低生活保障对象信息", "出生医学证明信息")
    )
    login(client, "rst_applicant")
    path = f"/applications/new?resource={marriage}&resource={birth}"
    first = client.post(
        "/applications/new",
        data={
            "csrf_token": csrf_token(client, path),
            "resource": [marriage, birth],
            "purpose": "核验",
            "reason": "审核",
            "business_system": "救助系统",
            "scope": "全省",
            "valid_from": "2026-12-01",
            "valid_to": "2027-11-30",
            "attachments": [(io.BytesIO(b"%PDF-1.7 old"), "旧公函.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert first.status_code == 302
    number = re.search(r"SQ-2026-\d{6}", first.headers["Location"]).group(0)
    operator = bearer(api_token(app, "hb_operator"))
    (check,) = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    client.post(
        f"/api/v1/tasks/{check['id']}/complete",
        headers=operator,
        json={"data": {"accepted": False, "return_for_completion": True, "reasons": "出生信息与用途无关"}},
    )
    revise = f"/applications/{number}/revise"
    # Nobody else may correct it: another department's applicant, the operator.
    for other in ("wh_applicant", "hb_operator"):
        stranger = app.test_client()
        login(stranger, other)
        assert stranger.get(revise).status_code == 403
    (step,) = client.get(
        "/api/v1/tasks?scope=mine", headers=bearer(api_token(app, "rst_applicant"))
    ).get_json()["items"]
    task_page = client.get(f"/tasks/{step['id']}").get_data(as_text=True)
    assert f'href="{revise}">在申请表中修改并提交补正</a>' in task_page
    page = client.get(revise).get_data(as_text=True)
    assert page.index("出生信息与用途无关") < page.index("补正说明")  # the reason first
    assert 'value="核验"' in page and "旧公函.pdf" in page and "出生医学证明信息" in page
    # 增加 re-shows the form with the resource added; an unknown code is named on its field.
    base = {
        "resource": [marriage, birth],
        "purpose": "核验婚姻状况",
        "reason": "审核",
        "business_system": "救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
        f"items-{marriage}": ["登记类型", "登记日期"],
        "drop": [birth],
    }
    unknown = client.post(
        revise, data={**base, "csrf_token": csrf_token(client, revise), "add": "1", "add_code": "X-1"}
    )
    assert unknown.status_code == 422 and "资源代码 X-1 不存在" in unknown.get_data(as_text=True)
    added = client.post(
        revise, data={**base, "csrf_token": csrf_token(client, revise), "add": "1", "add_code": welfare}
    )
    assert added.status_code == 200 and "最低生活保障对象信息" in added.get_data(as_text=True)
    base["resource"] = [marriage, birth, welfare]
    base[f"items-{welfare}"] = ["姓名", "保障金额"]
    # Without the explanation: refused by name, the new file held for the corrected form, nothing saved.
    blank = client.post(
        revise,
        data={
            **base,
            "csrf_token": csrf_token(client, revise),
            "completion": " ",
            "attachments": [(io.BytesIO(b"%PDF-1.7 new"), "新公函.pdf")],
        },
        content_type="multipart/form-data",
    )
    html = blank.get_data(as_text=True)
    assert blank.status_code == 422 and "请填写补正说明" in html
    held = re.search(r'name="kept" value="(\d+)" checked> 新公函.pdf', html).group(1)
    applicant = bearer(api_token(app, "rst_applicant"))
    case = client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()
    assert case["status"] == "returned" and len(case["resources"]) == 2
    # Own department's resources cannot be added (the same checks as a new application).
    own = _code(app, "就业登记信息")
    refused = client.post(
        revise,
        data={
            **base,
            "resource": [marriage, own],
            "csrf_token": csrf_token(client, revise),
            "completion": "改",
        },
    )
    assert refused.status_code == 422 and "是本部门的资源，无需申请" in refused.get_data(as_text=True)
    done = client.post(
        revise,
        data={
            **base,
            "csrf_token": csrf_token(client, revise),
            "completion": "删去出生信息，增加低保信息",
            "kept": held,
        },  # the old file not kept: it leaves the case
    )
    assert done.status_code == 302
    case = client.get(f"/api/v1/applications/{number}", headers=applicant).get_json()
    assert case["status"] == "submitted" and case["purpose"] == "核验婚姻状况"
    assert {r["code"]: r["items"] for r in case["resources"]} == {
        marriage: ["登记类型", "登记日期"],
        welfare: ["姓名", "保障金额"],
    }
    case_page = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "新公函.pdf" in case_page and "旧公函.pdf" not in case_page
    assert client.get(revise).status_code == 403  # no longer returned
    # The operator checks again and accepts: the procedure authorizes the corrected resources, no others.
    (again,) = client.get("/api/v1/tasks?scope=queue", headers=operator).get_json()["items"]
    checker = app.test_client()
    login(checker, "hb_operator")
    check_page = checker.get(f"/tasks/{again['id']}").get_data(as_text=True)
    assert "婚姻登记信息（登记类型、登记日期）" in check_page  # each resource with the items asked for
    assert (
        re.search(r'<a href="/attachments/\d+">新公函.pdf</a>', check_page) and "旧公函.pdf" not in check_page
    )
    assert (
        client.post(
            f"/api/v1/tasks/{again['id']}/complete", json={"data": {"accepted": True}}, headers=operator
        ).status_code
        == 200
    )
    provider = bearer(api_token(app, "mz_reviewer"))
    asked = [
        t
        for t in client.get("/api/v1/tasks?scope=queue", headers=provider).get_json()["items"]
        if t["business_key"] == number
    ]
    assert len(asked) == 2
    with app.app_context():
        from app.audit.models import AuditEvent

        revised = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "application.revised"))
        assert revised.data["added"] == [welfare] and revised.data["removed"] == [birth]
        assert revised.data["files_removed"] == ["旧公函.pdf"] and revised.data["files_added"] == [
            "新公函.pdf"
        ]


def test_an_opinion_carries_files_that_later_steps_show_and_only_the_case_may_download(
    app, client, demo_content
):
    """意见附件 (#31): the operator returns an application with the rules it cites as a file; a refused file
    loses nothing of the opinion; the applicant's 补正 shows the file under the operator's step."""
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    applicant, _operator, number, check = _submitted(app, client)
    login(client, "hb_operator")
    page = f"/tasks/{check['id']}"
    opinion = {"accepted": "false", "return_for_completion": "true", "reasons": "请按附件所列补充用途说明"}
    bad = client.post(
        f"/tasks/{check['id']}/complete",
        data={
            **opinion,
            "csrf_token": csrf_token(client, page),
            "attachments": [(io.BytesIO(b"MZ"), "x.exe")],
        },
        content_type="multipart/form-data",
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "“x.exe”的类型不允许" in html
    assert "请按附件所列补充用途说明</textarea>" in html  # the opinion is kept
    good = client.post(
        f"/tasks/{check['id']}/complete",
        data={
            **opinion,
            "csrf_token": csrf_token(client, page),
            "attachments": [(io.BytesIO(b"%PDF-1.7 rules"), "补正要求.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    (completion,) = client.get("/api/v1/tasks?scope=mine", headers=applicant).get_json()["items"]
    (step,) = client.get(f"/api/v1/tasks/{completion['id']}", headers=applicant).get_json()["steps"]
    (file,) = step["files"]
    assert file["filename"] == "补正要求.pdf"
    mine = app.test_client()
    login(mine, "rst_applicant")
    task_page = mine.get(f"/tasks/{completion['id']}").get_data(as_text=True)
    assert f'<a href="{file["url"]}">补正要求.pdf</a>' in task_page
    download = mine.get(file["url"])
    assert download.status_code == 200 and download.data == b"%PDF-1.7 rules"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    stranger = app.test_client()
    login(stranger, "wh_applicant")
    assert stranger.get(file["url"]).status_code == 404
    assert mine.get("/tasks/files/999999").status_code == 404


def test_a_case_on_a_version_that_keeps_its_lines_cannot_add_or_drop_resources_in_its_completion(
    app, client, demo_content, tmp_path
):
    """A case started on a share_application version whose recheck does not take the corrected resources (one
    deployed before #31) would go on authorizing its first lines: its 补正 may change items and texts, not the
    resources, and says so."""
    source = (Path(__file__).resolve().parents[2] / "bpmn" / "share_application.bpmn").read_text(
        encoding="utf-8"
    )
    old = tmp_path / "share_application.bpmn"
    old.write_text(
        source.replace(
            "\nresource_requests = completion_result.get('resource_requests', resource_requests)", ""
        ),
        encoding="utf-8",
    )
    assert run(app, "bpmn", "deploy", str(old), "--comment", "旧版").exit_code == 0
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    _applicant, operator, number, check = _submitted(app, client)
    client.post(
        f"/api/v1/tasks/{check['id']}/complete",
        headers=operator,
        json={"data": {"accepted": False, "return_for_completion": True, "reasons": "补充说明"}},
    )
    marriage, welfare = _code(app, "婚姻登记信息"), _code(app, "最低生活保障对象信息")
    login(client, "rst_applicant")
    revise = f"/applications/{number}/revise"
    base = {
        "purpose": "核验",
        "reason": "审核",
        "business_system": "救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
        "completion": "补充",
    }
    added = client.post(
        revise, data={**base, "resource": [marriage, welfare], "csrf_token": csrf_token(client, revise)}
    )
    assert added.status_code == 422 and "按旧版流程办理，补正时不能增减资源" in added.get_data(as_text=True)
    items_only = client.post(
        revise,
        data={
            **base,
            "resource": [marriage],
            f"items-{marriage}": ["登记类型"],
            "csrf_token": csrf_token(client, revise),
        },
    )
    assert items_only.status_code == 302
