"""The model language: what GovShare reads in a BPMN file beyond the standard — the namespaces, the
spiffworkflow properties a user task carries, and the timer expressions `deadline(…)` / `reminder(…)`:
parsed (which field, how many working days), evaluated on sample data (validation, 期限试算) and described in
words (版本对比). The engine, the studio's checks and its previews all read the language here.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree

from app.calendar.deadlines import MAX_DAYS, parse_rule
from app.engine import sandbox

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

FORM_PROPERTY = "formJsonSchemaFilename"
ROLE_PROPERTY = "candidateRole"
DEPARTMENT_PROPERTY = "candidateDepartment"
DEADLINE_TIMER_PROPERTY = "deadlineTimer"
ASSIGNEE_PROPERTY = "assignee"  # an expression giving the user the task goes to directly (e.g. the applicant)
LABEL_SUFFIX_PROPERTY = "labelSuffix"  # an expression shown after the task name, e.g. the resource's name


def element_properties(element: Any) -> dict[str, tuple[str, Any]]:
    """An element's spiffworkflow properties: {name: (value, the property element, an lxml element)}."""
    out: dict[str, tuple[str, Any]] = {}
    for prop in element.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS):
        out[prop.get("name")] = (prop.get("value") or "", prop)
    return out


def property_values(element) -> dict[str, str]:
    """An element's spiffworkflow properties: {name: value}."""
    return {name: value for name, (value, _prop) in element_properties(element).items()}


def lane_names(root) -> dict[str, str]:
    """{flow node id: the name of the lane holding it (a role code)} over a BPMN document."""
    lanes = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    return lanes


# --- timer expressions, evaluated on sample data ----------------------------------------------------------
# A timer that raises at run time leaves its task without a statutory deadline. So each timeDate expression
# is evaluated at validation with the real functions' argument rules and sample process data: a field
# named *_at is a moment, *_days a number of working days (the naming every model in bpmn/ follows).

SAMPLE_MOMENT = "2026-09-30T10:00:00+08:00"
SAMPLE_DAYS = 5


class _TimerProblem(Exception):
    """Why a timer expression cannot give a deadline."""


def _sample_moment(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _TimerProblem(f"{what}应为时间（以 _at 结尾的流程数据），而不是 {value!r}") from None
    if moment.tzinfo is None:
        raise _TimerProblem(f"{what} {value!r} 没有时区（应带 +08:00）")
    return moment


def _sample_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _TimerProblem(f"工作日数应为整数（或以 _days 结尾的流程数据），而不是 {value!r}")
    if not 1 <= value <= MAX_DAYS:
        raise _TimerProblem(f"工作日数应在 1–{MAX_DAYS} 之间，而不是 {value}")
    return value


def _sample_deadline(event_at: Any = None, days: Any = None, rule: Any = None, *extra: Any) -> str:
    if extra or event_at is None or days is None:
        raise _TimerProblem("deadline() 的参数应为 (起算时间, 工作日数[, 规则])")
    _sample_moment(event_at, "deadline() 的起算时间")
    _sample_days(days)
    try:
        parse_rule(rule)
    except ValueError as err:
        raise _TimerProblem(str(err)) from None
    return "2026-10-15T00:00:00+08:00"


def _sample_reminder(deadline_iso: Any = None, days: Any = 1, *extra: Any) -> str:
    if extra or deadline_iso is None:
        raise _TimerProblem("reminder() 的参数应为 (期限, 提前工作日数)")
    _sample_moment(deadline_iso, "reminder() 的期限")
    _sample_days(days)
    return "2026-10-14T09:00:00+08:00"


_SAMPLE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "deadline": _sample_deadline,
    "reminder": _sample_reminder,
    "now_iso": lambda: SAMPLE_MOMENT,
}


class _SampleData(dict):
    """Process data as a timer sees it: *_at a moment, *_days a number; any other name is unknown."""

    def __missing__(self, name: str) -> Any:
        if name in _SAMPLE_FUNCTIONS or name.startswith("_") or name in sandbox.BUILTINS or name == "globals":
            raise KeyError(name)  # the sandbox's functions, guards and builtins
        if name.endswith("_at"):
            return SAMPLE_MOMENT
        if name.endswith("_days"):
            return SAMPLE_DAYS
        raise _TimerProblem(
            f"中的 {name!r} 既不是函数（deadline、reminder、now_iso）也不是流程数据（时间以 _at 结尾，工作日数以 _days 结尾）"
        )


def timer_problem(expression: str | None) -> str | None:
    """What is wrong with a timeDate expression on sample data (unknown names, wrong argument types,
    unknown rules, a result that is not a time with an offset), or None. Evaluated in the sandbox, as a case
    would evaluate it."""
    try:
        result = sandbox.evaluate(expression or "", _SampleData(), _SAMPLE_FUNCTIONS)
        _sample_moment(result, "的结果")
    except _TimerProblem as problem:
        text = str(problem)
        return text if text.startswith("中") or text.startswith("的") else f"：{text}"
    except sandbox.SandboxError as err:
        return f"：{err}"
    except Exception as err:  # what the expression itself raises on sample data
        return f"在示例数据上出错：{type(err).__name__}: {err}"
    return None


def _user_task(source: str, step: str) -> tuple[Any, Any] | None:
    """(the document's root, user task `step`) of a BPMN source, or None when it does not parse or has no such
    task."""
    try:
        root = etree.fromstring(
            source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        return None
    task = next((t for t in root.iter(f"{{{BPMN}}}userTask") if t.get("id") == step), None)
    return None if task is None else (root, task)


def deadline_days_in(source: str, step: str) -> int | None:
    """The N of `deadline(…, N)` in the deadline timer of user task `step` in a BPMN source, or None."""
    found = _user_task(source, step)
    if found is None:
        return None
    root, task = found
    wanted = element_properties(task).get(DEADLINE_TIMER_PROPERTY, (None, None))[0]
    timers = [
        event
        for event in root.iter(f"{{{BPMN}}}boundaryEvent")
        if event.get("attachedToRef") == step and (wanted is None or event.get("id") == wanted)
    ]
    expressions = [t.text for timer in timers for t in timer.iter(f"{{{BPMN}}}timeDate")]
    found = deadline_call(expressions[0]) if len(expressions) == 1 else None
    return found[1] if found else None


def documentation_in(source: str, step: str) -> str | None:
    """The <bpmn:documentation> of user task `step` in a BPMN source (the article it applies, in the analysts'
    words), or None."""
    found = _user_task(source, step)
    documentation = found[1].find(f"{{{BPMN}}}documentation") if found is not None else None
    text = (documentation.text or "").strip() if documentation is not None else ""
    return text or None


def deadline_call(expression: str | None) -> tuple[str | None, int] | None:
    """(the field it counts from, N) of the `deadline(field, N)` inside a timer expression, or None; the field
    is None when the first argument is not a plain name."""
    try:
        tree = ast.parse((expression or "").strip(), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "deadline"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, int)
        ):
            field = node.args[0].id if isinstance(node.args[0], ast.Name) else None
            return field, node.args[1].value
    return None


# The moments the diagrams count deadlines from (task data fields set by a script before the step), as
# analysts call them. A field not listed is shown by its name.
MOMENT_LABELS = {
    "received_at": "收到申请之日",
    "forwarded_at": "转交之日",
    "submitted_at": "提交之日",
    "requested_at": "提出申请之日",
    "raised_at": "提出之日",
    "ordered_at": "下达通知之日",
}


def moment_word(field: str) -> str:
    return MOMENT_LABELS.get(field, field)


def deadline_of(expression: str | None) -> tuple[str, int] | None:
    """(field, N) of the `deadline(field, N)` inside a timer expression, or None."""
    found = deadline_call(expression) if expression else None
    return (found[0], found[1]) if found and found[0] else None


def timer_form(expression: str | None) -> dict[str, Any] | None:
    """A timer expression as the modeler edits it, so that the browser never parses the language itself:
    the `deadline(field, N)` it contains (field, N), a template of the whole expression with that call's two
    arguments as `{moment}` and `{days}`, and whether it is a reminder (its outermost call is `reminder`).
    None when the expression contains no `deadline(name, N)`."""
    text = expression or ""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    stripped = text.strip()
    line_starts = [0]
    for line in stripped.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(line: int | None, column: int | None) -> int:
        if line is None or column is None:  # every parsed expression node has its position
            raise ValueError("expression node without a position")
        return line_starts[line - 1] + len(
            stripped.splitlines(keepends=True)[line - 1].encode()[:column].decode()
        )

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "deadline"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and isinstance(node.args[1], ast.Constant)
            and type(node.args[1].value) is int
        ):
            first, second = node.args[0], node.args[1]
            spans = [
                (
                    offset(first.lineno, first.col_offset),
                    offset(first.end_lineno, first.end_col_offset),
                    "{moment}",
                ),
                (
                    offset(second.lineno, second.col_offset),
                    offset(second.end_lineno, second.end_col_offset),
                    "{days}",
                ),
            ]
            template = stripped
            for start, end, hole in sorted(spans, reverse=True):
                template = template[:start] + hole + template[end:]
            return {
                "moment": first.id,
                "days": second.value,
                "template": template,
                "reminder": is_reminder(stripped),
            }
    return None


def is_reminder(expression: str | None) -> bool:
    """Is this timer expression a reminder (its outermost call is `reminder(…)`)?"""
    try:
        tree = ast.parse((expression or "").strip(), mode="eval")
    except SyntaxError:
        return False
    body = tree.body
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "reminder"
