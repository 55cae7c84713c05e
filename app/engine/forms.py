"""Server-side validation of task forms (JSON Schema, draft 2020-12) with per-field Chinese messages.

A form's properties carry Chinese `title`s; an `errorMessage` on a property overrides the generic text.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

_TYPES = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
    "array": "列表",
    "object": "对象",
}


def _title(schema: dict, field: str) -> str:
    return (schema.get("properties", {}).get(field) or {}).get("title") or field


def _message(schema: dict, field: str, error: ValidationError) -> str:
    prop = schema.get("properties", {}).get(field) or {}
    if isinstance(prop.get("errorMessage"), str) and error.validator != "required":
        return prop["errorMessage"]
    title = _title(schema, field)
    validator, value = error.validator, error.validator_value
    if validator == "required":
        return f"请填写{title}"
    if validator == "type":
        expected = value if isinstance(value, str) else value[0]
        return f"{title}应为{_TYPES.get(expected, expected)}"
    if validator == "enum":
        return f"{title}的取值无效"
    if validator == "const":
        return f"{title}的取值无效"
    if validator == "minLength":
        return f"请填写{title}" if value == 1 else f"{title}至少 {value} 个字符"
    if validator == "maxLength":
        return f"{title}最多 {value} 个字符"
    if validator in ("minimum", "exclusiveMinimum"):
        return f"{title}不能小于 {value}"
    if validator in ("maximum", "exclusiveMaximum"):
        return f"{title}不能大于 {value}"
    if validator == "minItems":
        return f"{title}至少选择 {value} 项"
    if validator == "maxItems":
        return f"{title}最多 {value} 项"
    if validator == "format":
        return f"{title}格式不正确（{value}）"
    if validator == "pattern":
        return f"{title}格式不正确"
    if validator == "additionalProperties":
        return "表单中含有未定义的字段"
    return f"{title}不符合要求"


_validators: dict[str, Draft202012Validator] = {}


def _validator(schema: dict) -> Draft202012Validator:
    # Forms belong to immutable process versions: build each validator once per distinct schema.
    key = json.dumps(schema, sort_keys=True)
    validator = _validators.get(key)
    if validator is None:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        _validators[key] = validator
    return validator


def clean_form(data: Any) -> Any:
    """Submitted form data as the process gets it: text trimmed, blank text left out.

    A reason of spaces is no reason (办法§19 asks for 具体原因): a blank text field counts as not filled in,
    so `required` (and a conditional `then: required`) reports it by its Chinese title, and models test an
    optional field with `'field' in globals()` as for any field left empty."""
    if not isinstance(data, dict):
        return data
    cleaned = {}
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        cleaned[name] = value
    return cleaned


def validate_form(schema: dict | None, data: Any) -> dict[str, str]:
    """Per-field messages for `data` against `schema`; empty when valid."""
    if schema is None:
        return {}
    if not isinstance(data, dict):
        return {"_form": "表单数据必须是对象"}
    errors: dict[str, str] = {}
    validator = _validator(schema)
    for error in sorted(validator.iter_errors(data), key=lambda e: (len(e.path), str(e.path))):
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in (error.instance or {})]
            for name in missing:
                errors.setdefault(name, _message(schema, name, error))
            continue
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(schema.get("properties", {})))
            for name in extra:
                errors.setdefault(name, "表单中没有这个字段")
            continue
        field = str(error.path[0]) if error.path else "_form"
        errors.setdefault(field, _message(schema, field, error))
    return errors


# --- rules across fields ----------------------------------------------------------------------------------
# What JSON Schema cannot say (one date not before another): an area registers a check for a form by its file
# name beside its services; complete_task adds its per-field messages to the schema's. A check that takes a
# second argument gets the case: a function returning the instance's data (read only when asked for).

FormCheck = Callable[..., dict[str, str]]
_FORM_CHECKS: dict[str, FormCheck] = {}


def form_check(form: str) -> Callable[[FormCheck], FormCheck]:
    """Register a check of the data submitted with form `form` (per-field messages, empty when fine)."""

    def register(check: FormCheck) -> FormCheck:
        _FORM_CHECKS[form] = check
        return check

    return register


def check_form(
    form: str | None, data: dict[str, Any], case: Callable[[], dict[str, Any]] | None = None
) -> dict[str, str]:
    """The registered check of `form` on `data` (nothing registered: no messages); `case` gives the instance's
    data to a check that asks for it."""
    check = _FORM_CHECKS.get(form or "")
    if check is None or not isinstance(data, dict):
        return {}
    if len(inspect.signature(check).parameters) > 1:
        return check(data, case or dict)
    return check(data)


# --- choices that depend on the case ---------------------------------------------------------------------
# A form field may take its options from the case: {"type": "array", "items": {"type": "string"},
# "x-options-from": "requested_items"} lists what the source registered under that name gives for the task's
# data (e.g. the data items requested on the line). The options become the field's `enum`, so the same JSON
# Schema validation refuses anything else; "x-all-but-one": true also caps the choice below all options. A text
# field with "x-lines-from" takes lines "option=value" (a `pattern` naming the options, which its description lists);
# when the case has no such options the field is left out of the form.

OptionSource = Callable[[dict[str, Any]], list[tuple[str, str]]]
_OPTION_SOURCES: dict[str, OptionSource] = {}


def form_options(name: str) -> Callable[[OptionSource], OptionSource]:
    """Register an option source (an area registers it beside its services)."""

    def register(fn: OptionSource) -> OptionSource:
        if name in _OPTION_SOURCES:
            raise RuntimeError(f"form options {name!r} registered twice")
        _OPTION_SOURCES[name] = fn
        return fn

    return register


def needs_options(schema: dict | None) -> bool:
    """Does the form take options from the case?"""
    return any(
        "x-options-from" in prop or "x-lines-from" in prop
        for prop in (schema or {}).get("properties", {}).values()
    )


def resolve_options(schema: dict, data: dict[str, Any]) -> dict:
    """The form with each case-dependent field's options filled in from the task's data."""
    resolved = copy.deepcopy(schema)
    for name, prop in list(resolved.get("properties", {}).items()):
        source = prop.get("x-options-from") or prop.get("x-lines-from")
        if source is None:
            continue
        options = _OPTION_SOURCES[source](data) if source in _OPTION_SOURCES else []
        values = [value for value, _label in options]
        if "x-lines-from" in prop and not values:  # nothing this case could name: the field is not shown
            del resolved["properties"][name]
            resolved["required"] = [r for r in resolved.get("required", []) if r != name]
            continue
        if "x-lines-from" in prop:  # text lines "option=value": the options name the left-hand sides
            prop["x-line-names"] = values  # the page offers one value box per name (inbox/formdata.py)
            prop["description"] = f"{prop.get('description', '')}可限定的参数：{'、'.join(values)}。".lstrip()
            names = "|".join(re.escape(value) for value in values)
            line = rf"[ \t]*(?:{names})[ \t]*=[ \t]*[^=\n]*[^=\s][^=\n]*"
            prop["pattern"] = rf"^\s*{line}(?:\s*\n{line})*\s*$"
            prop["errorMessage"] = (
                f"每行一个：参数名=取值（多个取值用逗号分隔）；参数名应为：{'、'.join(values)}"
            )
            continue
        target = prop["items"] if prop.get("type") == "array" else prop
        target["enum"] = values
        prop["x-labels"] = {value: label for value, label in options}
        if prop.get("x-all-but-one") and prop.get("type") == "array":
            prop["maxItems"] = max(len(values) - 1, 0)
    return resolved
