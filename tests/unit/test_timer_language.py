"""The timer language is read in one place (app/engine/language.py, #29): the modeler asks the server what a
timer expression means and how to write a new deadline back, instead of parsing it in the browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.engine.language import timer_form

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("deadline(received_at, 5)", ("received_at", 5, "deadline({moment}, {days})", False)),
        (
            "reminder(deadline(forwarded_at, 10), 1)",
            ("forwarded_at", 10, "reminder(deadline({moment}, {days}), 1)", True),
        ),
        ("deadline(  raised_at ,15 )", ("raised_at", 15, "deadline(  {moment} ,{days} )", False)),
        (
            '"中文" and deadline(received_at, 3)',
            ("received_at", 3, '"中文" and deadline({moment}, {days})', False),
        ),
    ],
)
def test_a_timer_expression_as_the_modeler_edits_it(expression, expected):
    form = timer_form(expression)
    assert (form["moment"], form["days"], form["template"], form["reminder"]) == expected
    rewritten = form["template"].replace("{moment}", "ordered_at").replace("{days}", "20")
    assert timer_form(rewritten)["moment"] == "ordered_at" and timer_form(rewritten)["days"] == 20


@pytest.mark.parametrize(
    "expression", ["", "nonsense(", "now_iso()", "deadline(received_at, days_field)", "deadline('x', 5)"]
)
def test_an_expression_without_a_plain_deadline_has_no_form(expression):
    assert timer_form(expression) is None


def test_no_script_of_ours_parses_the_timer_language():
    parsers = [
        f"{path.name}:{n}"
        for path in STATIC.glob("*.js")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(
            r"(deadline|reminder)\\\(|indexOf\([\"'](deadline|reminder)\(", line
        )  # a regex, a search
    ]
    assert parsers == []
