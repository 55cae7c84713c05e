"""Turn the OpenAPI document into rows a reader can scan: operations by tag, fields of each schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldRow:
    """One property of a request or response body (nested ones with a dotted name)."""

    name: str
    type: str
    required: bool
    description: str


@dataclass
class Operation:
    """One method on one path."""

    method: str
    path: str
    summary: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    body: list[FieldRow] = field(default_factory=list)
    responses: list[tuple[str, str, list[FieldRow]]] = field(default_factory=list)


def _resolve(spec: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def _type(spec: dict, schema: dict) -> str:
    schema = _resolve(spec, schema) if "$ref" in schema else schema
    kind = schema.get("type") or ("object" if "properties" in schema else "任意")
    if isinstance(kind, list):
        kind = "/".join(kind)
    if kind == "array":
        return f"{_type(spec, schema.get('items', {}))}[]"
    if "enum" in schema:
        return f"{kind}（{' | '.join(map(str, schema['enum']))}）"
    return kind


def field_rows(spec: dict, schema: dict, prefix: str = "", depth: int = 0) -> list[FieldRow]:
    """The properties of `schema`, nested objects flattened one level per dot (at most three deep)."""
    schema = _resolve(spec, schema)
    required = set(schema.get("required", []))
    rows: list[FieldRow] = []
    for name, prop in schema.get("properties", {}).items():
        full = f"{prefix}{name}"
        rows.append(FieldRow(full, _type(spec, prop), name in required, prop.get("description", "")))
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        if depth < 3 and "$ref" in target:
            rows.extend(field_rows(spec, target, f"{full}{'[].' if target is not prop else '.'}", depth + 1))
    return rows


ORDER = ["待办任务", "共享申请", "授权", "异议", "争议", "目录", "通知", "监督", "账户", "工作日历", "管理"]


def operations_by_tag(spec: dict) -> list[tuple[str, list[Operation]]]:
    """Operations grouped by their first tag, the everyday ones first."""
    groups: dict[str, list[Operation]] = {}
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operation = Operation(method.upper(), path, op.get("summary", ""))
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                operation.parameters.append(
                    {
                        "name": param["name"],
                        "in": param["in"],
                        "type": _type(spec, schema),
                        "required": param.get("required", False),
                        "description": param.get("description", ""),
                        "default": schema.get("default"),
                    }
                )
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                operation.body = field_rows(spec, body)
            for status, response in op.get("responses", {}).items():
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = spec["components"]["responses"][name]
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                rows = field_rows(spec, schema) if schema and status.startswith("2") else []
                operation.responses.append((status, response.get("description", ""), rows))
            groups.setdefault((op.get("tags") or ["其他"])[0], []).append(operation)
    return sorted(groups.items(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else len(ORDER))
