"""Catalog rules that are enforced, not just stored (办法§7, §8, §11). Pure functions: no Flask, no database.

Input is a plain dict of one resource version (the same shape the forms, the API and the Excel import produce);
output is {field: Chinese message}. Item fields are reported as "items[3].share_type".
"""

from __future__ import annotations

import re
from typing import Any

from app.catalog.vocab import (
    BASE_CATEGORIES,
    CLASS_DIGIT,
    DATA_TYPES,
    FORMATS,
    ITEM_GRADES,
    LEGAL_BASIS_TYPES,
    METHOD_FORMATS,
    OPEN_ATTRIBUTES,
    RESOURCE_CLASSES,
    SHARE_METHODS,
    SHARE_TYPES,
    TOPICS,
    UPDATE_CYCLES,
)

# 资源代码 = 前段码 "/" 后段码 (顺序码). 前段码: 类 + 项 — 1 + base category, 2 + topic, 3 + provider region code.
CODE_RE = re.compile(r"^(?P<prefix>(?P<cls>[123])(?P<sub>\d{2}|\d{6}))/(?P<seq>\d{6})$")
MAX_ITEMS = 500
ITEM_LENGTH_MAX = 1_000_000_000  # characters or digits of one data item; an INTEGER column holds it


def code_prefix(resource_class: str, subcategory: str | None, provider_region: str) -> str:
    """The 前段码 of a resource: 类 digit + 项 (base category, topic, or the provider's region code)."""
    if resource_class == "department":
        return CLASS_DIGIT["department"] + provider_region
    return CLASS_DIGIT[resource_class] + (subcategory or "")


def code_error(
    code: str, resource_class: str | None, subcategory: str | None, provider_region: str
) -> str | None:
    """Why `code` is not a well-formed code for this class and provider, or None."""
    match = CODE_RE.match(code or "")
    if not match:
        return "资源代码格式应为“前段码/6位顺序码”，例如 101/000001、3420000/000012"
    if resource_class and match["prefix"] != code_prefix(resource_class, subcategory, provider_region):
        expected = code_prefix(resource_class, subcategory, provider_region)
        return f"资源代码的前段码应为 {expected}（由分类和提供方决定）"
    if match["seq"] == "000000":
        return "顺序码不能为 000000"
    return None


def _required(data: dict, field: str, label: str, errors: dict[str, str]) -> Any:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = f"请填写{label}"
        return None
    return value.strip() if isinstance(value, str) else value


def _choice(
    data: dict, field: str, label: str, vocabulary: dict, errors: dict[str, str], required: bool = True
):
    value = data.get(field)
    if value in (None, ""):
        if required:
            errors[field] = f"请选择{label}"
        return None
    if value not in vocabulary:
        errors[field] = f"{label}“{value}”不在可选范围内（{'、'.join(vocabulary.values())}）"
        return None
    return value


def check_resource(data: dict) -> dict[str, str]:
    """Every rule a resource version must satisfy before it may be submitted or published."""
    errors: dict[str, str] = {}
    resource_class = _choice(data, "resource_class", "分类", RESOURCE_CLASSES, errors)
    subcategory = data.get("subcategory") or None
    if resource_class == "base" and subcategory not in BASE_CATEGORIES:
        errors["subcategory"] = "基础信息资源须选择子类：" + "、".join(BASE_CATEGORIES.values())
    elif resource_class == "topic" and subcategory not in TOPICS:
        errors["subcategory"] = "主题信息资源须选择主题（办法§8(三)）"
    elif resource_class == "department" and subcategory:
        errors["subcategory"] = "部门信息资源不设子类"
    name = _required(data, "name", "资源名称", errors)
    if name and len(name) > 200:
        errors["name"] = "资源名称最多200个字符"
    _required(data, "summary", "摘要", errors)
    share_type = _choice(data, "share_type", "共享类型", SHARE_TYPES, errors)
    share_method = _choice(data, "share_method", "共享方式", SHARE_METHODS, errors)
    data_format = _choice(data, "format", "资源格式", FORMATS, errors)
    _choice(data, "update_cycle", "更新周期", UPDATE_CYCLES, errors)
    _choice(data, "open_attribute", "开放属性", OPEN_ATTRIBUTES, errors)

    if share_method and data_format and data_format not in METHOD_FORMATS[share_method]:
        allowed = "、".join(FORMATS[f] for f in sorted(METHOD_FORMATS[share_method]))
        errors["format"] = f"共享方式为“{SHARE_METHODS[share_method]}”时，资源格式应为：{allowed}"

    # §8(一): 不予共享 needs a legal basis of an admissible kind, with its citation.
    if share_type == "not_shared":
        if data.get("legal_basis_type") not in LEGAL_BASIS_TYPES:
            errors["legal_basis_type"] = (
                "不予共享必须注明依据类型：法律、行政法规、部委规章或党中央国务院政策（办法§8(一)）"
            )
        if not (data.get("legal_basis") or "").strip():
            errors["legal_basis"] = "不予共享必须写明具体依据（名称及条款）"
    elif data.get("legal_basis_type") and data["legal_basis_type"] not in LEGAL_BASIS_TYPES:
        errors["legal_basis_type"] = "依据类型不在可选范围内"
    # §7: 有条件共享 states who may use it and for what.
    if share_type == "conditional" and not (data.get("share_conditions") or "").strip():
        errors["share_conditions"] = "有条件共享必须写明共享条件（可使用的部门、用途）"
    # §8(二): base data items of the five base resources are shared unconditionally.
    if resource_class == "base" and share_type and share_type != "unconditional":
        errors["share_type"] = "基础信息资源的基础信息项必须无条件共享（办法§8(二)）"

    items = data.get("items") or []
    if not isinstance(items, list) or not items:
        errors["items"] = "至少需要一个信息项"
        items = []
    if len(items) > MAX_ITEMS:
        errors["items"] = f"信息项最多 {MAX_ITEMS} 个"
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            errors[where] = "信息项格式不正确"
            continue
        item_name = (item.get("name") or "").strip()
        if not item_name:
            errors[f"{where}.name"] = f"第{index + 1}个信息项缺少名称"
        elif item_name in seen:
            errors[f"{where}.name"] = f"信息项“{item_name}”重复"
        seen.add(item_name)
        if item.get("data_type") not in DATA_TYPES:
            errors[f"{where}.data_type"] = (
                f"信息项“{item_name or index + 1}”的数据类型应为：{'、'.join(DATA_TYPES.values())}"
            )
        length = item.get("length")
        if length not in (None, ""):
            try:
                if not 0 < int(length) <= ITEM_LENGTH_MAX:
                    raise ValueError
            except (TypeError, ValueError):
                errors[f"{where}.length"] = (
                    f"信息项“{item_name or index + 1}”的长度应为 1–{ITEM_LENGTH_MAX} 之间的整数"
                )
        if (item.get("grade") or "general") not in ITEM_GRADES:
            errors[f"{where}.grade"] = (
                f"信息项“{item_name or index + 1}”的数据分级应为：{'、'.join(ITEM_GRADES.values())}"
            )
        item_share = item.get("share_type") or None
        if item_share is not None and item_share not in SHARE_TYPES:
            errors[f"{where}.share_type"] = f"信息项“{item_name or index + 1}”的共享类型不在可选范围内"
        elif resource_class == "base" and item_share not in (None, "unconditional"):
            errors[f"{where}.share_type"] = (
                f"基础信息资源的信息项“{item_name or index + 1}”必须无条件共享（办法§8(二)）"
            )
        elif (
            item_share == "not_shared"
            and share_type != "not_shared"
            and not (data.get("legal_basis") or "").strip()
        ):
            errors[f"{where}.share_type"] = (
                f"信息项“{item_name or index + 1}”不予共享，须在资源上写明法律依据（办法§8(一)）"
            )
    return errors


def requestable_items(share_type: str, items: list[dict]) -> list[dict]:
    """Items an applicant may request: never 不予共享 ones (§18, §8(一))."""
    if share_type == "not_shared":
        return []
    return [item for item in items if (item.get("share_type") or share_type) != "not_shared"]


def may_authorize_directly(share_type: str, services: list[dict]) -> bool:
    """May the platform authorize this resource itself (办法§12, §21)? Only 无条件共享 whose services declare
    no 管控参数; otherwise the provider authorizes (§11, §20)."""
    if share_type != "unconditional":
        return False
    return not any(
        param.get("controlled") for service in services for param in service.get("parameters") or []
    )
