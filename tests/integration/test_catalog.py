"""The catalog: rules (办法§7, §8, §11), lifecycle with BPMN review, versions and diffs, search, API."""

from __future__ import annotations

import pytest

from app.catalog import services
from app.catalog.models import Resource, ResourceStatus, VersionStatus
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from tests.conftest import api_token, bearer, user
from tests.unit.test_catalog_rules import valid


def test_demo_routes_as_the_regulation_says(content):
    assert services.may_platform_authorize(services.resource_by_code(_code("法人单位基础信息")))
    assert not services.may_platform_authorize(services.resource_by_code(_code("人口基础信息")))  # 管控参数
    assert not services.may_platform_authorize(services.resource_by_code(_code("婚姻登记信息")))  # 有条件


def _code(name: str) -> str:
    return db.session.scalar(db.select(Resource.code).where(Resource.name == name))


# --- lifecycle --------------------------------------------------------------------------------------------


def _review_task(business_key: str) -> HumanTask:
    return db.session.scalar(
        db.select(HumanTask).where(
            HumanTask.business_key == business_key, HumanTask.status == TaskStatus.OPEN
        )
    )


def test_draft_submit_review_publish_then_a_new_version_returned(content):
    clerk, reviewer = user("mz_clerk"), user("supervisor")
    resource = services.create_resource(clerk, valid())
    assert resource.code.startswith("3420000/") and resource.status == ResourceStatus.DRAFT
    with pytest.raises(ValidationFailed):
        services.submit_for_review(clerk, services.create_resource(clerk, valid(name="不完整", summary="")))
    version = services.submit_for_review(clerk, resource)
    task = _review_task(version.review_business_key)
    assert (task.label, task.candidate_role) == ("目录审核", "supervisor")
    assert (
        task.candidate_department_id == user("hb_operator").department_id
    )  # 省数据局 reviews provincial entries
    assert task.due_date.isoformat() == "2026-11-09"  # 5 working days after Monday 11-02
    runtime.complete_task(task.id, reviewer, {"approved": True, "comment": "符合编制要求"})
    resource = services.get_resource(resource.id)
    assert resource.status == ResourceStatus.PUBLISHED and resource.current_version.number == 1
    assert [r.code for r in services.browse(query="殡葬").items] == [resource.code]

    # A change to a published resource is a new version under review; the old one stays in force.
    services.edit_resource(
        clerk,
        resource,
        valid(
            share_type="conditional",
            share_conditions="仅限民政部门",
            items=[{"name": "机构名称", "data_type": "string", "length": 100}],
        ),
    )
    v2 = services.submit_for_review(clerk, resource)
    assert resource.current_version.number == 1 and v2.number == 2
    with pytest.raises(ValidationFailed) as info:
        runtime.complete_task(_review_task(v2.review_business_key).id, reviewer, {"approved": False})
    assert info.value.fields == {"comment": "请填写审核意见"}
    runtime.complete_task(
        _review_task(v2.review_business_key).id, reviewer, {"approved": False, "comment": "共享条件过窄"}
    )
    resource = services.get_resource(resource.id)
    assert resource.current_version.number == 1 and resource.share_type == "unconditional"
    assert resource.versions[1].status == VersionStatus.RETURNED
    changes = {c.label: (c.old, c.new) for c in services.history(resource)[0][1]}
    assert changes["共享类型"] == ("无条件共享", "有条件共享")
    assert changes["信息项“地址”"] == ("字符型", "（删除）")
    assert changes["信息项“机构名称”"] == ("字符型，长度200", "字符型，长度100")


def test_only_the_providers_clerk_may_edit_and_drafts_stay_private(app, client, content):
    resource = services.create_resource(user("mz_clerk"), valid())
    with pytest.raises(PermissionDenied):
        services.edit_resource(user("gat_provider"), resource, valid())
    with pytest.raises(PermissionDenied):
        services.create_resource(user("rst_applicant"), valid())  # not a provider clerk
    response = client.get(
        f"/api/v1/catalog/resources/{resource.code}", headers=bearer(api_token(app, "wh_applicant"))
    )
    assert response.status_code == 404
    own = client.get(f"/api/v1/catalog/resources/{resource.code}", headers=bearer(api_token(app, "mz_clerk")))
    assert own.status_code == 200 and own.get_json()["open_version"]["name"] == "殡葬服务机构信息"


def test_withdrawn_resources_disappear_from_search(content):
    resource = services.resource_by_code(_code("社会组织登记信息"))
    with pytest.raises(ValidationFailed):
        services.withdraw_resource(user("mz_clerk"), resource, "")
    services.withdraw_resource(user("mz_clerk"), resource, "职能调整，已划转")
    assert services.browse(query="社会组织").items == []


def test_data_services_declare_controlled_parameters(content):
    resource = services.resource_by_code(_code("法人单位基础信息"))
    assert services.may_platform_authorize(resource)
    with pytest.raises(ValidationFailed) as info:
        services.register_service(user("scjg_provider"), resource, {"name": "", "method": "fax"})
    assert set(info.value.fields) == {"name", "method"}
    services.register_service(
        user("scjg_provider"),
        resource,
        {
            "name": "按区域查询接口",
            "method": "api",
            "endpoint": "https://share.hubei.gov.cn/api/x",
            "parameters": [{"name": "行政区划代码", "controlled": True}],
        },
    )
    assert not services.may_platform_authorize(services.resource_by_code(resource.code))


# --- search ------------------------------------------------------------------------------------------------


def test_two_character_words_find_resources(content):
    names = {r.name for r in services.browse(query="人口", per_page=50).items}
    assert {"人口基础信息", "武汉市户籍人口信息"} <= names
    # 社保 finds nothing: no resource text contains the word 社保 (社会保险 is not 社保).
    assert services.browse(query="社保").items == []
    assert "社会保险参保信息" in {r.name for r in services.browse(query="社会保险").items}


def test_common_terms_take_the_other_plan_with_the_same_answers(content, monkeypatch):
    from app.catalog import search

    expected = [r.code for r in services.browse(query="人口", per_page=50).items]
    monkeypatch.setattr(search, "COMMON_TERM", 0)  # every term counts as common: the newest-first walk
    assert [r.code for r in services.browse(query="人口", per_page=50).items] == expected
    assert services.browse(query="人口", share_type="unconditional").total == len(expected)


def test_search_covers_summaries_and_item_names_and_filters(content):
    by_item = {r.name for r in services.browse(query="缴存基数").items}
    assert by_item == {"住房公积金缴存信息"}
    by_summary = {r.name for r in services.browse(query="图斑").items}
    assert by_summary == {"土地利用现状信息"}
    conditional = services.browse(share_type="conditional", per_page=100)
    assert conditional.total >= 5 and all(r.share_type == "conditional" for r in conditional.items)
    city = services.browse(level="city", per_page=100)
    assert all(r.provider_level == "city" for r in city.items) and city.total >= 5
    # The whole phrase, not its bigrams anywhere in the text.
    assert {r.name for r in services.browse(query="人口基础").items} == {
        "人口基础信息",
        "全国人口基础信息（跨省核验）",
    }


# --- API ---------------------------------------------------------------------------------------------------


def test_api_rejects_held_out_style_bad_resources_per_field(app, client, content):
    token = bearer(api_token(app, "mz_clerk"))
    cases = [
        (valid(share_type="not_shared"), {"legal_basis_type", "legal_basis"}),
        (valid(share_type="conditional"), {"share_conditions"}),
        (
            valid(
                resource_class="base",
                subcategory="01",
                items=[{"name": "姓名", "data_type": "string", "share_type": "conditional"}],
            ),
            {"items[0].share_type"},
        ),
        (valid(code="3420000-1"), {"code"}),
        (valid(color="red"), {"color"}),
        (valid(items=[{"name": "x", "data_type": "string", "length": "long"}]), {"items[0].length"}),
        (
            valid(items=[{"name": "x", "data_type": "string", "length": 99999999999999999999}]),
            {"items[0].length"},
        ),
    ]
    for body, fields in cases:
        response = client.post("/api/v1/catalog/resources", json=body, headers=token)
        assert response.status_code == 422, body
        assert fields <= set(response.get_json()["error"]["fields"]), response.get_json()


def test_api_create_submit_and_read(app, client, content):
    token = bearer(api_token(app, "mz_clerk"))
    created = client.post("/api/v1/catalog/resources", json=valid(), headers=token)
    assert created.status_code == 201
    code = created.get_json()["code"]
    submitted = client.post(f"/api/v1/catalog/resources/{code}/submit", headers=token).get_json()
    assert submitted["status"] == "in_review"
    search = client.get(
        "/api/v1/catalog/resources?q=人口&class=base", headers=bearer(api_token(app, "wh_applicant"))
    )
    assert "人口基础信息" in [r["name"] for r in search.get_json()["items"]]
    detail = client.get(f"/api/v1/catalog/resources/{_code('人口基础信息')}", headers=token).get_json()
    assert detail["may_platform_authorize"] is False
    assert [p["name"] for p in detail["services"][0]["parameters"] if p["controlled"]] == ["行政区划代码"]
    items = client.get(f"/api/v1/catalog/resources/{_code('人口基础信息')}/items", headers=token).get_json()[
        "items"
    ]
    assert items[0]["name"] == "公民身份号码"


def test_api_search_rejects_bad_paging(app, client, seeded):
    for query in (
        "limit=0",
        "limit=101",
        "offset=-1",
        "offset=x",
    ):  # one style on every list: limit/offset
        response = client.get(f"/api/v1/catalog/resources?{query}", headers=bearer(api_token(app, "admin")))
        assert response.status_code == 422, query


def test_the_provider_filter_lists_every_department_escaped_with_the_chosen_one_selected(
    app, client, content
):
    """The catalog's provider filter (joined in Python, #30) escapes names like the templates do."""
    from tests.conftest import login

    with app.app_context():
        department = user("mz_clerk").department
        department.short_name = '民政<script>alert("x")</script>'
        department_id = department.id
        db.session.commit()
    login(client, "rst_applicant")
    page = client.get(f"/catalog/?provider={department_id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert f'<option value="{department_id}" selected>民政&lt;script&gt;' in page
    assert page.count("<option value=") > 10  # every department, not only the chosen one


def test_every_filter_of_the_catalog_search_has_an_accessible_name(app, client, content):
    """#31 (axe-core select-name, WCAG 2.1 4.1.2): each select and input of the search form is named — by an
    aria-label or a <label for> — so a screen reader says which filter it is."""
    import re

    from tests.conftest import login

    login(client, "rst_applicant")
    page = client.get("/catalog/").get_data(as_text=True)
    form = re.search(r'<form[^>]*method="get".*?</form>', page, flags=re.S).group(0)
    labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
    controls = re.findall(r"<(?:select|input)\b[^>]*>", form)
    assert len(controls) >= 6

    def named(control: str) -> bool:
        if 'type="hidden"' in control or "aria-label=" in control:
            return True
        ident = re.search(r'id="([^"]+)"', control)
        return ident is not None and ident.group(1) in labelled

    unnamed = [c for c in controls if not named(c)]
    assert unnamed == []
