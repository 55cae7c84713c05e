"""一数一源 (#34): the data bureau names the lead department of a base class; another department is refused
when cataloguing it; a submitted item another department already catalogues is flagged with its source for the
submitter and the reviewer."""

from __future__ import annotations

import pytest

from app.catalog import services
from app.engine import runtime
from app.errors import ValidationFailed
from app.extensions import db
from app.org.models import Department
from tests.conftest import csrf_token, login, user
from tests.integration.test_catalog import _review_task
from tests.unit.test_catalog_rules import valid


def test_a_non_lead_is_refused_a_base_resource_and_a_duplicate_item_is_flagged(app, client, demo_content):
    with app.app_context():
        police = db.session.scalar(db.select(Department.id).where(Department.name == "湖北省公安厅"))
    login(client, "supervisor")
    saved = client.post(
        "/catalog/leads",
        data={
            "csrf_token": csrf_token(client, "/catalog/leads"),
            "category": "base:01",
            "department_id": police,
        },
    )
    assert saved.status_code == 302
    assert "湖北省公安厅" in client.get("/catalog/leads").get_data(as_text=True)
    clerk = app.test_client()
    login(clerk, "mz_clerk")
    assert clerk.get("/catalog/leads").status_code == 403  # the data bureau's, not a provider's
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            services.create_resource(
                user("mz_clerk"), valid(resource_class="base", subcategory="01", name="人口补充信息")
            )
        assert "由湖北省公安厅牵头编目" in refused.value.fields["subcategory"]
        lead = services.create_resource(
            user("gat_provider"), valid(resource_class="base", subcategory="01", name="人口补充信息")
        )
        assert lead.code
        # 省民政厅 catalogues 公民身份号码 again, which 省公安厅's 人口基础信息 already has.
        resource = services.create_resource(
            user("mz_clerk"),
            valid(
                items=[
                    {"name": "公民身份号码", "data_type": "string", "length": 18},
                    {"name": "墓位编号", "data_type": "string"},
                ]
            ),
        )
        version = services.submit_for_review(user("mz_clerk"), resource)
        from_police = {
            d["resource_name"]
            for d in version.duplicates
            if d["item"] == "公民身份号码" and d["provider"] == "湖北省公安厅"
        }
        assert "人口基础信息" in from_police
        assert not [d for d in version.duplicates if d["item"] == "墓位编号"]
        review = _review_task(version.review_business_key).id
        code = resource.code
        db.session.commit()
    page = client.get(f"/tasks/{review}").get_data(as_text=True)
    assert "疑似重复（一数一源）" in page and "湖北省公安厅已在“人口基础信息”中编目“公民身份号码”" in page
    assert "疑似重复编目（一数一源）" in clerk.get(f"/catalog/resources/{code}").get_data(as_text=True)
    # The reviewer may publish it only with the finding written down.
    with app.app_context():
        with pytest.raises(ValidationFailed) as unresolved:
            runtime.complete_task(review, user("supervisor"), {"approved": True})
        assert "一数一源" in unresolved.value.fields["comment"]
        runtime.complete_task(
            review,
            user("supervisor"),
            {"approved": True, "comment": "墓区身份号码为登记人，与人口库核对后保留"},
        )
        assert services.resource_by_code(code).status == "published"
