"""Turn a posted HTML form into the JSON a task's JSON-Schema form expects, and describe fields for templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One form field as the template renders it."""

    name: str
    title: str
    kind: str  # "boolean", "select", "checkboxes", "textarea", "text", "number", "date", "lines"
    required: bool
    options: list[tuple[str, str]]
    description: str = ""


def fields_of(schema: dict | None) -> list[Field]:
    """The fields of a JSON Schema object form, in declaration order."""
    if not schema:
        return []
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind, options = "text", []
        if prop.get("type") == "boolean":
            labels = prop.get("x-labels", {})
            kind, options = (
                "boolean",
                [("true", labels.get("true", "是")), ("false", labels.get("false", "否"))],
            )
        elif prop.get("type") == "array" and "enum" in prop.get("items", {}):
            labels = prop.get("x-labels", {})
            kind, options = (
                "checkboxes",
                [(str(v), labels.get(str(v), str(v))) for v in prop["items"]["enum"]],
            )
        elif prop.get("x-line-names"):  # "name=values" lines: a box per name the case offers (管控参数, §11)
            kind, options = "lines", [(line, line) for line in prop["x-line-names"]]
        elif "x-options-from" in prop and "enum" in prop and not prop["enum"]:
            continue  # options from the case, none here: the field does not apply to this task
        elif "enum" in prop:
            labels = prop.get("x-labels", {})
            kind, options = "select", [(str(v), labels.get(str(v), str(v))) for v in prop["enum"]]
        elif prop.get("type") in ("integer", "number"):
            kind = "number"
        elif prop.get("format") == "date":
            kind = "date"
        elif prop.get("x-widget") == "textarea" or prop.get("maxLength", 0) > 200:
            kind = "textarea"
        out.append(
            Field(name, prop.get("title", name), kind, name in required, options, prop.get("description", ""))
        )
    return out


LINE_SEPARATOR = "="


def line_values(text: Any) -> dict[str, str]:
    """{name: values} of a lines field's text "name=values" per line (what the boxes show again)."""
    found: dict[str, str] = {}
    for line in str(text or "").splitlines():
        name, sep, values = line.partition(LINE_SEPARATOR)
        if sep and name.strip():
            found[name.strip()] = values.strip()
    return found


def _lines_from_boxes(name: str, names: list[str], form) -> str | None:
    """The text "name=values" per line of the boxes `name.<line name>` that were filled, or None if the page
    sent none of them (an API client or a saved draft sends the text itself)."""
    boxes = [(line, form.get(f"{name}.{line}")) for line in names]
    if all(value is None for _line, value in boxes):
        return None
    return "\n".join(
        f"{line}{LINE_SEPARATOR}{value.strip()}" for line, value in boxes if value and value.strip()
    )


def from_form(schema: dict | None, form) -> dict[str, Any]:
    """Posted values converted to the schema's types; empty inputs are left out (so "required" reports them)."""
    data: dict[str, Any] = {}
    for name, prop in (schema or {}).get("properties", {}).items():
        if prop.get("x-line-names"):
            text = _lines_from_boxes(name, prop["x-line-names"], form)
            if text is None:
                text = (form.get(name) or "").strip()
            if text:
                data[name] = text
            continue
        if prop.get("type") == "array":
            chosen = [value for value in form.getlist(name) if str(value).strip()]
            if chosen:
                data[name] = chosen
            continue
        raw = form.get(name)
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()
        kind = prop.get("type")
        if kind == "boolean":
            data[name] = {"true": True, "false": False}.get(raw, raw)
        elif kind == "integer":
            data[name] = int(raw) if raw.lstrip("-").isdigit() else raw
        elif kind == "number":
            try:
                data[name] = float(raw)
            except ValueError:
                data[name] = raw
        else:
            data[name] = raw
    return data
