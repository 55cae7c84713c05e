"""Forms without JSON by hand (the analyst studio): a task form's JSON Schema as rows an analyst edits — field
name, Chinese title, kind, required, options with their labels, hint — and back. JSON Schema stays the stored
format; what rows cannot express (the conditional rules `if`/`then`/`allOf`, `additionalProperties`) is kept
from the deployed schema as it is, and shown read-only. Nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, SchemaError

KINDS = {
    "text": "单行文字",
    "textarea": "多行文字",
    "boolean": "是/否（单选）",
    "select": "下拉选择",
    "integer": "整数",
    "number": "数字",
    "kept": "（保留原定义）",
}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 40
KEPT_KEYS = ("if", "then", "else", "allOf", "anyOf", "oneOf", "dependentRequired")


@dataclass
class FieldRow:
    """One field as the editor shows it."""

    name: str = ""
    title: str = ""
    kind: str = "text"
    required: bool = False
    options: str = ""  # one per line: value=标签 (select), true=标签 / false=标签 (boolean)
    description: str = ""
    max_length: str = ""
    remove: bool = False
    kept: str = ""  # a field the rows cannot express (a list, options from the case): its JSON, kept as is


@dataclass
class FormDraft:
    """The editable parts of a form, and what is kept as it is."""

    title: str = ""
    description: str = ""
    rows: list[FieldRow] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)


def _kind(prop: dict) -> str:
    if prop.get("type") in ("array", "object") or "x-options-from" in prop or "x-lines-from" in prop:
        return "kept"
    if prop.get("type") == "boolean":
        return "boolean"
    if "enum" in prop:
        return "select"
    if prop.get("type") in ("integer", "number"):
        return prop["type"]
    if prop.get("x-widget") == "textarea" or prop.get("maxLength", 0) > 200:
        return "textarea"
    return "text"


def to_draft(schema: dict) -> FormDraft:
    """The rows of a deployed schema."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = _kind(prop)
        labels = prop.get("x-labels", {})
        if kind == "boolean":
            options = "\n".join(f"{value}={labels[value]}" for value in ("true", "false") if value in labels)
        elif kind == "select":
            options = "\n".join(f"{value}={labels.get(str(value), value)}" for value in prop["enum"])
        else:
            options = ""
        rows.append(
            FieldRow(
                name=name,
                title=prop.get("title", ""),
                kind=kind,
                required=name in required,
                options=options,
                description=prop.get("description", ""),
                max_length=str(prop.get("maxLength", "")) if kind in ("text", "textarea") else "",
                kept=json.dumps(prop, ensure_ascii=False) if kind == "kept" else "",
            )
        )
    return FormDraft(
        title=schema.get("title", ""),
        description=schema.get("description", ""),
        rows=rows,
        kept={key: schema[key] for key in (*KEPT_KEYS, "additionalProperties") if key in schema},
    )


def from_post(form, kept: dict[str, Any]) -> FormDraft:
    """The editor's posted rows (row.N.name …), blank rows dropped."""
    rows = []
    for index in range(MAX_FIELDS):
        prefix = f"row.{index}."
        if prefix + "name" not in form:
            break
        row = FieldRow(
            name=(form.get(prefix + "name") or "").strip(),
            title=(form.get(prefix + "title") or "").strip(),
            kind=form.get(prefix + "kind") or "text",
            required=form.get(prefix + "required") == "on",
            options=(form.get(prefix + "options") or "").strip(),
            description=(form.get(prefix + "description") or "").strip(),
            max_length=(form.get(prefix + "max_length") or "").strip(),
            remove=form.get(prefix + "remove") == "on",
            kept=form.get(prefix + "kept") or "",
        )
        if row.name or row.title:
            rows.append(row)
    return FormDraft(
        title=(form.get("title") or "").strip(),
        description=(form.get("description") or "").strip(),
        rows=rows,
        kept=kept,
    )


def _options(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        if line.strip():
            value, _sep, label = line.partition("=")
            pairs.append((value.strip(), label.strip() or value.strip()))
    return pairs


def to_schema(draft: FormDraft) -> tuple[dict | None, dict[str, str]]:
    """(JSON Schema, {}) or (None, {field: 中文 message}) naming the row and column of each problem."""
    errors: dict[str, str] = {}
    if not draft.title:
        errors["title"] = "请填写表单标题"
    properties: dict[str, Any] = {}
    required = []
    for number, row in enumerate(draft.rows):
        where = f"row.{number}"
        if row.remove:
            continue
        if not NAME.match(row.name):
            errors[f"{where}.name"] = (
                f"第 {number + 1} 行：字段名应为小写字母开头的字母、数字、下划线（如 reasons）"
            )
            continue
        if row.name in properties:
            errors[f"{where}.name"] = f"第 {number + 1} 行：字段名 {row.name} 重复"
            continue
        if not row.title:
            errors[f"{where}.title"] = f"第 {number + 1} 行：请填写字段标题（办理人看到的中文名称）"
        if row.kind not in KINDS:
            errors[f"{where}.kind"] = f"第 {number + 1} 行：请选择类型"
            continue
        prop: dict[str, Any] = {"title": row.title}
        options = _options(row.options)
        if row.kind == "kept":
            try:
                kept = json.loads(row.kept)
            except ValueError:
                kept = None
            if not isinstance(kept, dict):
                errors[f"{where}.kind"] = f"第 {number + 1} 行：该字段只能保留原定义，请选择其他类型重新定义"
                continue
            prop = kept | {"title": row.title}
            if row.description:
                prop["description"] = row.description
            properties[row.name] = prop
            if row.required:
                required.append(row.name)
            continue
        if row.kind == "boolean":
            prop["type"] = "boolean"
            labels = dict(options)
            unknown = set(labels) - {"true", "false"}
            if unknown:
                errors[f"{where}.options"] = f"第 {number + 1} 行：是/否字段的选项只能写 true=… 和 false=…"
            if labels:
                prop["x-labels"] = labels
        elif row.kind == "select":
            if not options:
                errors[f"{where}.options"] = (
                    f"第 {number + 1} 行：下拉选择至少要有一个选项（每行一个：值=标签）"
                )
            prop.update(type="string", enum=[value for value, _label in options])
            prop["x-labels"] = {value: label for value, label in options}
        elif row.kind in ("integer", "number"):
            prop["type"] = row.kind
        else:
            prop["type"] = "string"
            if row.kind == "textarea":
                prop["x-widget"] = "textarea"
            if row.max_length:
                if not row.max_length.isdigit() or not 1 <= int(row.max_length) <= 100_000:
                    errors[f"{where}.max_length"] = f"第 {number + 1} 行：最大长度应为 1–100000 的整数"
                else:
                    prop["maxLength"] = int(row.max_length)
        if row.description:
            prop["description"] = row.description
        properties[row.name] = prop
        if row.required:
            required.append(row.name)
    for name in sorted(_referenced(draft.kept) - set(properties)):
        errors["rows"] = f"条件必填规则引用的字段 {name} 不在表单中（恢复该字段，或上传修改后的表单文件）"
    if not properties and "title" not in errors:
        errors["rows"] = "表单至少要有一个字段"
    if errors:
        return None, errors
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": draft.title}
    if draft.description:
        schema["description"] = draft.description
    schema.update(type="object", properties=properties, required=required)
    schema.update(draft.kept)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return None, {"rows": f"生成的表单不是有效的 JSON Schema：{err.message}"}
    return schema, {}


def _referenced(value: Any) -> set[str]:
    """Field names the kept conditional rules mention (in `required` lists and `properties` keys)."""
    names: set[str] = set()
    if isinstance(value, dict):
        names |= set(value.get("properties", {}) if isinstance(value.get("properties"), dict) else ())
        names |= (
            {n for n in value.get("required", []) if isinstance(n, str)}
            if isinstance(value.get("required"), list)
            else set()
        )
        for key, item in value.items():
            if key != "additionalProperties":
                names |= _referenced(item)
    elif isinstance(value, list):
        for item in value:
            names |= _referenced(item)
    return names


def dumps(schema: dict) -> str:
    """The file text, as the files in forms/ are written."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
