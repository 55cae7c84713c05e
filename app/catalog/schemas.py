"""marshmallow schemas: the catalog's input and output shapes (API, Excel rows)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from app.catalog.models import Resource, ResourceVersion
from app.catalog.services import version_data
from app.catalog.vocab import RESOURCE_CLASSES, label
from app.errors import ValidationFailed, flatten_errors

_TEXT: dict[str, str | list[Any] | dict[Any, Any]] = {"invalid": "应为文本"}  # marshmallow's own type


class ItemInput(Schema):
    """One 信息项 as submitted."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, error_messages={"required": "请填写信息项名称", **_TEXT})
    data_type = fields.String(required=True, error_messages={"required": "请选择数据类型", **_TEXT})
    length = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, 1_000_000, error="长度应在 1–1000000 之间"),
        error_messages={"invalid": "长度应为整数"},
    )
    share_type = fields.String(allow_none=True, error_messages=_TEXT)
    description = fields.String(allow_none=True, error_messages=_TEXT)


class ResourceInput(Schema):
    """A resource version as submitted (rules are checked afterwards by catalog.rules)."""

    class Meta:
        unknown = RAISE

    code = fields.String(allow_none=True, error_messages=_TEXT)
    resource_class = fields.String(
        allow_none=True, validate=validate.OneOf(list(RESOURCE_CLASSES), error="分类不在可选范围内")
    )
    subcategory = fields.String(allow_none=True, error_messages=_TEXT)
    name = fields.String(allow_none=True, error_messages=_TEXT)
    summary = fields.String(allow_none=True, error_messages=_TEXT)
    format = fields.String(allow_none=True, error_messages=_TEXT)
    share_type = fields.String(allow_none=True, error_messages=_TEXT)
    share_conditions = fields.String(allow_none=True, error_messages=_TEXT)
    share_method = fields.String(allow_none=True, error_messages=_TEXT)
    usage_requirements = fields.String(allow_none=True, error_messages=_TEXT)
    open_attribute = fields.String(allow_none=True, error_messages=_TEXT)
    update_cycle = fields.String(allow_none=True, error_messages=_TEXT)
    published_on = fields.String(allow_none=True, error_messages=_TEXT)
    related_codes = fields.List(fields.String(), allow_none=True, error_messages={"invalid": "应为代码列表"})
    legal_basis_type = fields.String(allow_none=True, error_messages=_TEXT)
    legal_basis = fields.String(allow_none=True, error_messages=_TEXT)
    items = fields.List(
        fields.Nested(ItemInput), allow_none=True, error_messages={"invalid": "信息项应为列表"}
    )


class ParameterInput(Schema):
    """A data-service parameter."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, error_messages={"required": "请填写参数名称"})
    description = fields.String(allow_none=True)
    controlled = fields.Boolean(
        load_default=False, error_messages={"invalid": "controlled 应为 true 或 false"}
    )


class ServiceInput(Schema):
    """A data service registration."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, error_messages={"required": "请填写服务名称"})
    method = fields.String(required=True, error_messages={"required": "请选择服务方式"})
    endpoint = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    parameters = fields.List(fields.Nested(ParameterInput), load_default=list)


class ReasonInput(Schema):
    """A body carrying a reason."""

    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, error_messages={"required": "请填写原因"})


def load(schema: Schema, payload) -> dict:
    """Deserialize or raise the service layer's ValidationFailed with per-field messages."""
    if not isinstance(payload, dict):
        raise ValidationFailed("请求体应为 JSON 对象", fields={"_body": "应为 JSON 对象"})
    try:
        return schema.load(payload)
    except ValidationError as exc:
        raise ValidationFailed("提交的数据有误", fields=flatten_errors(exc.normalized_messages())) from None


def resource_summary(resource: Resource) -> dict:
    """The list shape of a resource."""
    return {
        "code": resource.code,
        "name": resource.name,
        "class": resource.resource_class,
        "class_label": label(RESOURCE_CLASSES, resource.resource_class),
        "subcategory": resource.subcategory,
        "provider": {"uscc": resource.provider.uscc, "name": resource.provider.name},
        "provider_level": resource.provider_level,
        "share_type": resource.share_type,
        "update_cycle": resource.update_cycle,
        "status": resource.status,
    }


def version_json(version: ResourceVersion) -> dict:
    """A version with its items."""
    data = version_data(version)
    data.update(
        {"number": version.number, "status": version.status, "review_comment": version.review_comment}
    )
    return data
