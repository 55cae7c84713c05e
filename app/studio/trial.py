"""期限试算: the due dates each step of a changed model would get, on the real working-day calendar, next to
the deployed version's — the analyst sees a change across National Day or a 调休 weekend before deploying.

Each user task's boundary timers are evaluated as the engine evaluates them (the same `deadline` and
`reminder` functions, the active calendar), with every moment the expressions count from (`*_at`) set to the
chosen start. Expressions that fail validation are left out: the validation report names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from lxml import etree

from app.calendar.services import deadline as calendar_deadline
from app.clock import SHANGHAI
from app.engine import sandbox
from app.engine.language import (
    BPMN,
    DEADLINE_TIMER_PROPERTY,
    ROLE_PROPERTY,
    SAMPLE_DAYS,
    deadline_of,
    is_reminder,
    lane_names,
    moment_word,
    property_values,
    timer_problem,
)
from app.engine.scripting import bpmn_reminder
from app.org.roles import role_label

START_TIME = time(10, 0)


@dataclass
class TrialRow:
    """One timer of a user task: the rule in words and when it falls, in the deployed and the changed model."""

    file: str
    step_id: str
    step: str
    role: str
    timer: str
    rule: str
    before: str | None = None  # ISO due time under the deployed model (None: no such timer there)
    after: str | None = None  # under the changed model (None: removed)
    provisional: bool = False  # the due day falls in a year without a loaded holiday arrangement


class _Moments(dict):
    """Process data as the trial sees it: every moment (`*_at`) is the chosen start, `*_days` a sample."""

    def __missing__(self, name: str):
        if name.endswith("_at"):
            return self.start
        if name.endswith("_days"):
            return SAMPLE_DAYS
        raise KeyError(name)  # the functions, the sandbox's guards and builtins

    def __init__(self, start: str):
        super().__init__()
        self.start = start


def _evaluate(expression: str, start: str) -> tuple[str | None, bool]:
    if timer_problem(expression) is not None:
        return None, False
    provisional = False

    def trial_deadline(event_at, days, rule=None):
        nonlocal provisional
        result = calendar_deadline(datetime.fromisoformat(str(event_at)), int(days), rule)
        provisional = provisional or result.provisional
        return result.timer_value()

    functions: dict[str, Callable[..., Any]] = {
        "deadline": trial_deadline,
        "reminder": bpmn_reminder,
        "now_iso": lambda: start,
    }
    try:
        value = sandbox.evaluate(expression, _Moments(start), functions)
    except Exception:  # noqa: BLE001 (the validation report names a failing expression)
        return None, False
    return str(value), provisional


def _timers(source: str, file: str, start: str) -> dict[tuple[str, str], TrialRow]:
    root = etree.fromstring(source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    lanes = lane_names(root)
    tasks = {t.get("id"): t for t in root.iter(f"{{{BPMN}}}userTask")}
    rows = {}
    for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
        task = tasks.get(event.get("attachedToRef"))
        expression = next((t.text for t in event.iter(f"{{{BPMN}}}timeDate")), None)
        if task is None or not expression:
            continue
        props = property_values(task)
        rule = deadline_of(expression)
        is_deadline = (props.get(DEADLINE_TIMER_PROPERTY) or None) in (
            None,
            event.get("id"),
        ) and not is_reminder(expression)
        words = f"{rule[1]} 个工作日，自{moment_word(rule[0])}起" if rule else expression.strip()
        if rule and is_reminder(expression):
            words = f"到期前提醒（期限 {words}）"
        elif rule and is_deadline:
            words = f"办理期限 {words}"
        due, provisional = _evaluate(expression, start)
        rows[(task.get("id"), event.get("id"))] = TrialRow(
            file=file,
            step_id=task.get("id"),
            step=task.get("name") or task.get("id"),
            role=role_label(props.get(ROLE_PROPERTY) or lanes.get(task.get("id"))),
            timer=event.get("name") or event.get("id"),
            rule=words,
            after=due,
            provisional=provisional,
        )
    return rows


def deadline_trial(changed: dict[str, str], deployed: dict[str, str], start_day: date) -> list[TrialRow]:
    """The timers of every user task in the changed .bpmn files, due from `start_day` 10:00 (Beijing), next to
    the deployed file of the same name."""
    start = datetime.combine(start_day, START_TIME, tzinfo=SHANGHAI).isoformat()
    rows: list[TrialRow] = []
    for name, text in sorted(changed.items()):
        if not name.endswith(".bpmn"):
            continue
        try:
            after = _timers(text, name, start)
            before = _timers(deployed[name], name, start) if name in deployed else {}
        except etree.XMLSyntaxError:
            continue
        for key, row in after.items():
            if key in before:
                row.before = before[key].after
            rows.append(row)
        for key, row in before.items():
            if key not in after:
                row.before, row.after = row.after, None
                rows.append(row)
    return rows
