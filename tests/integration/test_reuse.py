"""复用核验 (#33): a department registers its 事项 from an Excel sheet (problems named by row); the API tells a
service system which resource supplies a material and whether its department holds the authorization; the
supervision report lists the 事项 still asking people for what sharing supplies, until the department stops."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from app.catalog.models import Resource
from app.extensions import db
from app.sharing.models import MatterMaterial, ServiceMatter
from app.sharing.reuse import COLUMNS
from tests.conftest import api_token, bearer, csrf_token, login
from tests.integration.test_gateway import _granted_with_binding


def _sheet(*rows) -> bytes:
    book = Workbook()
    book.active.append(list(COLUMNS))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, content: bytes):
    return client.post(
        "/matters",
        data={"csrf_token": csrf_token(client, "/matters"), "file": (io.BytesIO(content), "事项.xlsx")},
        content_type="multipart/form-data",
    )


def test_a_registered_material_is_answered_with_the_resource_and_the_callers_authorization(
    app, client, demo_content
):
    with app.app_context():
        assert db.session.scalar(db.select(ServiceMatter).limit(1)) is None  # none in the content-only demo
        resource_code = db.session.scalar(db.select(Resource.code).where(Resource.name == "人口基础信息"))
    login(client, "wh_applicant")
    bad = _upload(
        client,
        _sheet(
            ("420100-XX-1", "就业补贴申领", "居民身份证", "X/404", "", "是"),
            ("420100-XX-1", "就业补贴申领", "", resource_code, "公民身份号码", "也许"),
        ),
    )
    text = bad.get_data(as_text=True)
    assert (
        bad.status_code == 422 and "第3行“材料名称”为空" in text and "第3行“仍要求提交”应为“是”或“否”" in text
    )
    wrong_item = _upload(
        client, _sheet(("420100-XX-1", "就业补贴申领", "居民身份证", resource_code, "血型", "是"))
    )
    assert wrong_item.status_code == 422 and "没有信息项 血型" in wrong_item.get_data(as_text=True)
    assert _upload(client, b"not a workbook").status_code == 422
    wide = Workbook()
    wide.active.append(list(COLUMNS))
    wide.active.cell(row=2, column=40, value="x")  # read within the shared upload limits, as the catalog's
    out = io.BytesIO()
    wide.save(out)
    too_wide = _upload(client, out.getvalue())
    assert too_wide.status_code == 422 and "上限 32 列" in too_wide.get_data(as_text=True)
    good = _upload(
        client,
        _sheet(
            ("420100-XX-1", "就业补贴申领", "居民身份证", resource_code, "公民身份号码、姓名", "是"),
            ("420100-XX-1", "就业补贴申领", "银行账户信息", "", "", "是"),
        ),
    )
    assert good.status_code == 302
    page = client.get("/matters").get_data(as_text=True)
    assert "就业补贴申领" in page and "改为共享获取，不再要求" in page
    # Another department cannot take over the 事项 code.
    other = app.test_client()
    login(other, "rst_applicant")
    taken = _upload(other, _sheet(("420100-XX-1", "别的事项", "材料", "", "", "是")))
    assert taken.status_code == 422 and "属于武汉市人力资源和社会保障局" in taken.get_data(as_text=True)

    headers = bearer(api_token(app, "wh_applicant"))
    ask = {"matter_code": "420100-XX-1", "material": "居民身份证"}
    before = client.post("/api/v1/reuse/check", json=ask, headers=headers).get_json()
    assert before["available"] is True and before["resource"]["code"] == resource_code
    assert before["authorization"] is None and before["may_apply"] is True
    none = client.post(
        "/api/v1/reuse/check", json={**ask, "material": "银行账户信息"}, headers=headers
    ).get_json()
    assert none["available"] is False and "仍需申请人提交" in none["message"]
    missing = client.post("/api/v1/reuse/check", json={**ask, "material": "户口簿"}, headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["message"]
    with app.app_context():
        authorization, _granted, _token = _granted_with_binding()  # 武汉 is granted 人口基础信息
        authorization_id = authorization.id
    after = client.post("/api/v1/reuse/check", json=ask, headers=headers).get_json()
    assert after["authorization"]["id"] == authorization_id and after["may_apply"] is False
    assert "不得再要求申请人提交" in after["message"]

    # The report lists the 事项 still asking for the ID card, exported too; gone once the department stops.
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    report = supervisor.get("/supervision/reuse").get_data(as_text=True)
    assert "420100-XX-1" in report and "居民身份证" in report and "银行账户信息" not in report
    exported = load_workbook(io.BytesIO(supervisor.get("/supervision/reuse.xlsx").data)).active
    assert [c.value for c in exported[1]][:4] == ["部门", "事项编码", "事项名称", "材料"]
    assert [c.value for c in exported[2]][1:4] == ["420100-XX-1", "就业补贴申领", "居民身份证"]
    with app.app_context():
        material_id = db.session.scalar(
            db.select(MatterMaterial.id).where(MatterMaterial.name == "居民身份证")
        )
    stopped = client.post(
        "/matters",
        data={"csrf_token": csrf_token(client, "/matters"), "material_id": material_id, "required": "0"},
    )
    assert stopped.status_code == 302
    assert "420100-XX-1" not in supervisor.get("/supervision/reuse").get_data(as_text=True)
    # Only the owner department may change its materials.
    refused = other.post(
        "/matters",
        data={"csrf_token": csrf_token(other, "/matters"), "material_id": material_id, "required": "1"},
    )
    assert refused.status_code == 403
