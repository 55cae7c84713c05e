"""The pages people use: catalog browse and editing, the inbox and task page, notifications, Excel."""

from __future__ import annotations

import io
import re

from app.catalog.models import Resource
from app.extensions import db
from tests.conftest import csrf_token, login


def _code(app, name: str) -> str:
    with app.app_context():
        return db.session.scalar(db.select(Resource.code).where(Resource.name == name))


def test_browse_search_and_filters(client, demo_content):
    login(client, "wh_applicant")
    html = client.get("/catalog/?q=人口").get_data(as_text=True)
    assert "人口基础信息" in html and "武汉市户籍人口信息" in html and "婚姻登记信息" not in html
    html = client.get("/catalog/?share_type=not_shared").get_data(as_text=True)
    assert "刑事案件侦查信息" in html and "人口基础信息" not in html
    assert "没有找到资源" in client.get("/catalog/?q=社保").get_data(as_text=True)


def test_resource_page_shows_items_services_and_route(app, client, demo_content):
    login(client, "wh_applicant")
    html = client.get(f"/catalog/resources/{_code(app, '人口基础信息')}").get_data(as_text=True)
    assert "公民身份号码" in html and "管控参数" in html and "由提供部门授权" in html
    html = client.get(f"/catalog/resources/{_code(app, '法人单位基础信息')}").get_data(as_text=True)
    assert "由共享平台直接授权" in html


def test_provider_creates_a_draft_with_errors_named_in_chinese(client, demo_content):
    login(client, "mz_clerk")
    token = csrf_token(client, "/catalog/new")
    form = {
        "csrf_token": token,
        "resource_class": "department",
        "name": "殡葬服务机构信息",
        "summary": "殡葬服务机构",
        "share_type": "not_shared",
        "share_method": "api",
        "format": "database",
        "update_cycle": "monthly",
        "open_attribute": "closed",
        "items": "机构名称,字符型,200\n地址,字符型,abc",
    }
    response = client.post("/catalog/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第2行长度“abc”不是整数" in html
    form["items"] = "机构名称,字符型,200\n地址,字符型,100"
    html = client.post("/catalog/new", data=form).get_data(as_text=True)
    assert "不予共享必须注明依据类型" in html
    form.update(share_type="unconditional")
    response = client.post("/catalog/new", data=form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "草稿" in page and "提交审核" in page


def test_review_through_the_inbox(app, client, demo_content):
    login(client, "supervisor")
    inbox = client.get("/tasks").get_data(as_text=True)
    assert (
        "目录审核" in inbox and "养老机构备案信息" not in inbox
    )  # the queue lists the step; the task page the case
    task_id = re.search(r'/tasks/([0-9a-f-]{36})"', inbox).group(1)
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "养老机构备案信息" in page and "办理期限" in page and "2026-11-09" in page
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf_token(client, f"/tasks/{task_id}")})
    token = csrf_token(client, f"/tasks/{task_id}")
    refused = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "approved": "false"})
    assert refused.status_code == 422 and "请填写审核意见" in refused.get_data(as_text=True)
    done = client.post(
        f"/tasks/{task_id}/complete", data={"csrf_token": token, "approved": "true", "comment": "同意发布"}
    )
    assert done.status_code == 302
    assert "养老机构备案信息" in client.get("/catalog/?q=养老").get_data(as_text=True)

    provider = app.test_client()
    login(provider, "mz_clerk")
    notes = provider.get("/notifications").get_data(as_text=True)
    assert "目录已审核通过并发布：养老机构备案信息" in notes
    assert re.search(r'通知 <span class="count">1</span>', provider.get("/").get_data(as_text=True))


def test_others_cannot_act_on_the_review_task(app, client, demo_content):
    reviewer = app.test_client()
    login(reviewer, "supervisor")
    task_id = re.search(r'/tasks/([0-9a-f-]{36})"', reviewer.get("/tasks").get_data(as_text=True)).group(1)
    login(client, "wh_applicant")
    assert client.get(f"/tasks/{task_id}").status_code == 403


def test_excel_export_and_upload(client, demo_content):
    login(client, "mz_clerk")
    exported = client.get("/catalog/export.xlsx?mine=1")
    assert exported.status_code == 200 and exported.data[:2] == b"PK"
    response = client.post(
        "/catalog/import",
        data={
            "csrf_token": csrf_token(client, "/catalog/import"),
            "file": (io.BytesIO(b"nonsense"), "x.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "不是有效的 .xlsx 文件" in response.get_data(as_text=True)
