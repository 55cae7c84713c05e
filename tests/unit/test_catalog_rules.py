"""The catalog's rules (办法§7, §8, §10, §21): what a resource must say, its code, who may authorize directly."""

from __future__ import annotations

from app.catalog.rules import check_resource, code_error, may_authorize_directly


def valid(**overrides) -> dict:
    data = {
        "resource_class": "department",
        "name": "殡葬服务机构信息",
        "summary": "殡仪馆、公墓等殡葬服务机构的名称、地址与许可信息。",
        "format": "database",
        "share_type": "unconditional",
        "share_method": "api",
        "update_cycle": "monthly",
        "open_attribute": "open",
        "items": [
            {"name": "机构名称", "data_type": "string", "length": 200},
            {"name": "地址", "data_type": "string"},
        ],
    }
    data.update(overrides)
    return data


# --- rules ----------------------------------------------------------------------------------------------


def test_a_valid_resource_passes():
    assert check_resource(valid()) == {}


def test_not_shared_requires_a_legal_basis():
    errors = check_resource(valid(share_type="not_shared"))
    assert "法律、行政法规、部委规章或党中央国务院政策" in errors["legal_basis_type"]
    assert "具体依据" in errors["legal_basis"]
    assert (
        check_resource(valid(share_type="not_shared", legal_basis_type="law", legal_basis="《某法》第十条"))
        == {}
    )
    wrong_kind = check_resource(
        valid(share_type="not_shared", legal_basis_type="local_rule", legal_basis="某办法")
    )
    assert "legal_basis_type" in wrong_kind


def test_conditional_requires_its_conditions():
    assert "共享条件" in check_resource(valid(share_type="conditional"))["share_conditions"]


def test_base_resource_items_are_unconditional():
    errors = check_resource(
        valid(
            resource_class="base",
            subcategory="01",
            items=[{"name": "姓名", "data_type": "string", "share_type": "conditional"}],
        )
    )
    assert "必须无条件共享" in errors["items[0].share_type"]
    assert (
        "必须无条件共享"
        in check_resource(
            valid(resource_class="base", subcategory="01", share_type="conditional", share_conditions="x")
        )["share_type"]
    )


def test_format_must_agree_with_share_method():
    errors = check_resource(valid(share_method="api", format="image"))
    assert "共享方式为“接口”时" in errors["format"]


def test_codes_are_well_formed_and_match_class_and_provider():
    assert code_error("101/000001", "base", "01", "420000") is None
    assert code_error("3420000/000012", "department", None, "420000") is None
    assert "格式" in code_error("101-000001", "base", "01", "420000")
    assert "前段码应为 102" in code_error("101/000001", "base", "02", "420000")
    assert "前段码应为 3420100" in code_error("3420000/000001", "department", None, "420100")


def test_routing_rule_direct_authorization_only_without_controlled_parameters():
    assert may_authorize_directly("unconditional", [{"parameters": [{"name": "统一社会信用代码"}]}])
    assert not may_authorize_directly(
        "unconditional", [{"parameters": [{"name": "行政区划代码", "controlled": True}]}]
    )
    assert not may_authorize_directly("conditional", [])
