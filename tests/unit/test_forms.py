"""Task forms (forms/*.json) as the engine validates them: every required text needs real text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.forms import clean_form, validate_form

FORMS = sorted((Path(__file__).resolve().parents[2] / "forms").glob("*.json"))


def _conditions(schema: dict) -> list[tuple[dict, list[str]]]:
    """(values that make a branch apply, the fields it requires): the form itself and each if/then."""
    branches = [({}, schema.get("required", []))]
    for rule in [schema, *schema.get("allOf", [])]:
        if "if" in rule:
            when = {name: _example(spec) for name, spec in rule["if"].get("properties", {}).items()}
            when |= {name: "样例" for name in rule["if"].get("required", []) if name not in when}
            branches.append((when, rule["then"].get("required", [])))
    return branches


def _example(spec: dict):
    """A value meeting an `if` condition: its constant, or a list of as many items as it asks for."""
    return spec["const"] if "const" in spec else ["样例"] * spec.get("minItems", 1)


def _required_text_cases():
    for path in FORMS:
        schema = json.loads(path.read_text(encoding="utf-8"))
        properties = schema["properties"]
        for when, required in _conditions(schema):
            for name in required:
                if properties[name].get("type") == "string" and "enum" not in properties[name]:
                    yield pytest.param(schema, when, name, id=f"{path.stem}.{name}")


CASES = list(_required_text_cases())


def test_every_form_has_required_text_to_check():
    assert {case.values[2] for case in CASES} >= {
        "reasons",
        "position",
        "minutes",
        "measures",
        "verification",
    }


@pytest.mark.parametrize(("schema", "when", "name"), CASES)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u3000"])
def test_a_required_text_of_blanks_is_refused_by_its_chinese_title(schema, when, name, blank):
    errors = validate_form(schema, clean_form({**when, name: blank}))
    assert errors.get(name) == f"请填写{schema['properties'][name]['title']}"


def test_text_reaches_the_process_trimmed_and_blank_optional_text_is_left_out():
    assert clean_form({"accepted": True, "reasons": "  材料不全  ", "note": "  ", "count": 0}) == {
        "accepted": True,
        "reasons": "材料不全",
        "count": 0,
    }
