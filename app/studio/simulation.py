"""路径试运行 (the analyst studio's test run): a changed model run by SpiffWorkflow on a chosen day, with the
start data of real cases of the process as fixtures, through every path its decisions open.

Nothing is written: service operations are not called (each gives its registered sample result, e.g. the
national platform "pending"), scripts and decision tables run as in production, and the clock is the chosen
day for this run only (`clock.simulated`). Every moment in the fixture (`*_at`) is moved to that day, so each
step's due date is counted from it on the working-day calendar — across a holiday if the analyst picks one.

Paths: at each user task, the completions differ in the task form's deciding fields (its first boolean or
enumerated field; a second one as a follow-up of the first one's other answers); other fields get sample
values; choices that depend on the case (a transfer, refused items, bound 管控参数) are left out. A step met
again on the same path (a loop such as 退回补正) takes its first answer. Runs are replayed from the start for
each prefix of choices; at most MAX_PATHS paths of at most MAX_STEPS user tasks each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from app import clock
from app.engine import store
from app.engine.language import FORM_PROPERTY, ROLE_PROPERTY
from app.engine.operations import sample_result
from app.engine.scripting import GovShareScriptEngine, RunContext, begin_run, end_run, failure_message
from app.org.roles import role_label

MAX_PATHS = 24
MAX_STEPS = 30
SAMPLE_TEXT = "试运行"


@dataclass
class SimStep:
    """One user task reached on a path: who, when due, what was chosen."""

    step: str
    role: str
    due: str | None
    choice: str


@dataclass
class SimPath:
    """One path through the model."""

    steps: list[SimStep] = field(default_factory=list)
    outcome: str = ""
    ok: bool = True


class _SimulationEngine(GovShareScriptEngine):
    """The production script engine, except that service operations are not called."""

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        return json.dumps(sample_result(operation_name, params), ensure_ascii=False, default=str)


SIMULATION_ENGINE = _SimulationEngine()


def _role(task) -> str:
    return role_label(
        task.task_spec.extensions.get("properties", {}).get(ROLE_PROPERTY) or task.task_spec.lane
    )


def _completions(schema: dict | None) -> list[tuple[str, dict[str, Any]]]:
    """(label, form data) for each combination of the form's deciding fields; sample values elsewhere."""
    if not schema:
        return [("提交", {})]
    base: dict[str, Any] = {}
    deciding: list[tuple[str, list[tuple[Any, str]]]] = []
    for name, prop in schema.get("properties", {}).items():
        if "x-options-from" in prop or "x-lines-from" in prop or prop.get("type") in ("array", "object"):
            continue  # choices that depend on the case (a transfer, refused items, bound parameters): left out
        labels = prop.get("x-labels", {})
        if prop.get("type") == "boolean":
            options = [(True, labels.get("true", "是")), (False, labels.get("false", "否"))]
        elif "enum" in prop:
            options = [(value, labels.get(str(value), str(value))) for value in prop["enum"]]
        else:
            options = []
        if options and len(deciding) < 2:
            deciding.append((name, options))
            base[name] = options[0][0]
        elif options:
            base[name] = options[0][0]
        elif prop.get("type") in ("integer", "number"):
            base[name] = 1
        else:
            base[name] = SAMPLE_TEXT
    if not deciding:
        return [("提交", base)]
    # The second deciding field is read as a follow-up of the first one's other answers (e.g. 不予受理 →
    # 退回补正 or not): the first answer is tried alone.
    (first, first_options), rest = deciding[0], deciding[1:]
    completions = [(first_options[0][1], base | {first: first_options[0][0]})]
    for value, label in first_options[1:]:
        if not rest:
            completions.append((label, base | {first: value}))
            continue
        second, second_options = rest[0]
        for other, other_label in second_options:
            completions.append((f"{label}，{other_label}", base | {first: value, second: other}))
    return completions


def _due(task) -> str | None:
    timer = store.deadline_timer_of(task)
    if timer is None:
        return None
    definition = timer.task_spec.event_definition
    value = timer.internal_data.get("event_value")
    if value is None:
        value = SIMULATION_ENGINE.evaluate(timer, definition.expression)
    return str(value)


def _ready(workflow) -> list:
    tasks = [t for t in store.all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]
    return sorted(tasks, key=lambda t: (t.task_spec.bpmn_id or t.task_spec.name, str(t.id)))


def _run(
    spec, subprocess_specs, data: dict, forms: dict[str, dict], choices: list[int]
) -> tuple[SimPath, list[int]]:
    """Replay `choices` (then the first completion at each later task); the path and the completion counts."""
    path = SimPath()
    counts: list[int] = []
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=SIMULATION_ENGINE)
    workflow.data.update(data)
    workflow.task_tree.data.update(data)
    try:
        workflow.do_engine_steps()
        while len(path.steps) < MAX_STEPS:
            ready = _ready(workflow)
            if not ready:
                break
            task = ready[0]
            options = _completions(
                forms.get(task.task_spec.extensions.get("properties", {}).get(FORM_PROPERTY))
            )
            index = choices[len(counts)] if len(counts) < len(choices) else 0
            name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
            # a step met again on the same path (a loop such as 退回补正) takes its first answer: no new branches
            counts.append(1 if any(s.step == name for s in path.steps) else len(options))
            label, form = options[index]
            path.steps.append(SimStep(name, _role(task), _due(task), label))
            task.set_data(**form)
            task.run()
            workflow.do_engine_steps()
        if workflow.is_completed():
            path.outcome = "办结"
        elif len(path.steps) >= MAX_STEPS:
            path.outcome = f"超过 {MAX_STEPS} 步未办结（可能是循环）"
            path.ok = False
        else:
            waiting = sorted(
                {
                    e.event_type.replace("EventDefinition", "") + f"：{e.name}"
                    for e in workflow.waiting_events()
                }
            )
            path.outcome = "等待 " + "、".join(waiting) if waiting else "停止（没有可办理的步骤）"
    except Exception as err:  # noqa: BLE001 (a test run reports what would become an incident)
        path.outcome = f"出错：{failure_message(err)}"
        path.ok = False
    return path, counts


def run_paths(
    model_paths: list[Path], forms_dir: Path, process_id: str, start_data: dict, start: datetime
) -> tuple[list[SimPath], bool]:
    """Every path of `process_id` (its models in `model_paths`) from `start_data` on the day of `start`;
    whether all paths were explored (False when cut at MAX_PATHS)."""
    parser = SpiffBpmnParser()
    for path in sorted(model_paths, key=lambda p: p.suffix != ".dmn"):
        (parser.add_dmn_file if path.suffix == ".dmn" else parser.add_bpmn_file)(str(path))
    spec, subprocess_specs = parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    forms = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in forms_dir.glob("*.json")}
    moment = start.isoformat()
    data = {
        key: (moment if key.endswith("_at") and isinstance(value, str) else value)
        for key, value in start_data.items()
    }
    paths: list[SimPath] = []
    queue: list[list[int]] = [[]]
    seen: set[tuple[int, ...]] = set()
    token = begin_run(RunContext(business_key="试运行"))
    try:
        with clock.simulated(start):
            while queue and len(paths) < MAX_PATHS:
                prefix = queue.pop(0)
                found, counts = _run(spec, subprocess_specs, data, forms, prefix)
                paths.append(found)
                taken = prefix + [0] * (len(counts) - len(prefix))
                for position in range(len(prefix), len(counts)):
                    for alternative in range(1, counts[position]):
                        branch = taken[:position] + [alternative]
                        if tuple(branch) not in seen:
                            seen.add(tuple(branch))
                            queue.append(branch)
    finally:
        end_run(token)
    return paths, not queue
