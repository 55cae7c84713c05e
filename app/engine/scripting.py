"""The script engine BPMN expressions run in, and the functions injected into it.

Every expression and script of a model runs in the sandbox (`app/engine/sandbox.py`, docs/MODEL-EXPRESSIONS.md):
SpiffWorkflow's environment is replaced by one that compiles through RestrictedPython with a step and time
budget, so a diagram can never run code on the server.

Injected functions:
- `deadline(event_at, days, rule=None)` → ISO-8601 string with +08:00: the expiry of `days` working days after
  `event_at` on the statutory calendar (the one deadline function). Timers need a string with an offset.
- `reminder(deadline_iso, days=1)` → 09:00 Beijing time `days` working days before the deadline's due day.
- `now_iso()` → the one clock's now, +08:00.
- `platform_operator(department_id)` → id of the department operating that department's platform.
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from flask import g
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.exceptions import SpiffWorkflowException

from app import clock
from app.calendar.deadlines import Deadline
from app.calendar.services import active_calendar, deadline
from app.clock import SHANGHAI, parse_moment
from app.engine import sandbox
from app.engine.operations import run_operation
from app.extensions import db
from app.org.models import Department


class _ClockDatetime(datetime):
    """datetime whose now() is the one clock: SpiffWorkflow's timers read it (tests freeze it)."""

    @classmethod
    def now(cls, tz=None):  # noqa: D102
        moment = clock.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


# SpiffWorkflow's timer module calls datetime.now(timezone.utc) directly; route it through our clock.
spiff_timer.datetime = _ClockDatetime


@dataclass
class RunContext:
    """What one engine run (a start, a completion, a sweep) collects while scripts execute."""

    instance_id: int | None = None
    business_key: str = ""
    actor_id: int | None = None
    deadlines: dict[str, Deadline] = field(default_factory=dict)  # task id → deadline it evaluated


_run: ContextVar[RunContext | None] = ContextVar("govshare_engine_run", default=None)
_current_task: ContextVar[Any] = ContextVar("govshare_current_task", default=None)


def current_run() -> RunContext:
    """The run in progress (a throw-away one outside the runtime, e.g. in validation)."""
    run = _run.get()
    if run is None:
        run = RunContext()
        _run.set(run)
    return run


def begin_run(run: RunContext):
    """Make `run` current; returns the token for end_run()."""
    return _run.set(run)


def end_run(token) -> None:
    """Restore the previous run."""
    _run.reset(token)


def bpmn_deadline(event_at: Any, days: int, rule: str | None = None) -> str:
    """BPMN: the expiry (ISO, +08:00) of `days` working days after `event_at`."""
    result = deadline(parse_moment(event_at), int(days), rule)
    task = _current_task.get()
    if task is not None:
        current_run().deadlines[str(task.id)] = result
    return result.timer_value()


def bpmn_reminder(deadline_iso: Any, days: int = 1) -> str:
    """BPMN: 09:00 Beijing time on the working day `days` working days before the deadline's due day."""
    expires = parse_moment(deadline_iso).astimezone(SHANGHAI)
    due_day = (expires - timedelta(seconds=1)).date()  # expiry is 24:00 of the due day
    day = active_calendar().sub_working_days(due_day, int(days))
    return datetime.combine(day, time(9, 0), tzinfo=SHANGHAI).isoformat()


def bpmn_now() -> str:
    """BPMN: the one clock's now as ISO with +08:00."""
    return clock.now().astimezone(SHANGHAI).isoformat()


def bpmn_platform_operator(department_id: int) -> int | None:
    """BPMN: the id of the department operating the platform of `department_id` (memoized per request)."""
    memo = g.setdefault("platform_operator_memo", {})
    key = int(department_id)
    if key not in memo:
        # No autoflush: a lookup must not write the transaction's pending rows early (audit rows would then be
        # inserted unsealed and updated at commit, one statement more).
        with db.session.no_autoflush:
            dept = db.session.get(Department, key)
            operator = dept.platform.operator if dept is not None else None
            memo[key] = operator.id if operator else None
    return memo[key]


INJECTED = {
    "deadline": bpmn_deadline,
    "reminder": bpmn_reminder,
    "now_iso": bpmn_now,
    "platform_operator": bpmn_platform_operator,
}


class _SandboxEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, evaluating and executing through the sandbox (compiled once per
    text: timers, conditions and properties are evaluated again and again). SpiffWorkflow reaches the
    environment directly for some conditions, so the sandbox sits here, not only in the script engine."""

    def evaluate(self, expression, context, external_context=None):
        names = {**external_context, **context} if external_context else dict(context)
        return sandbox.evaluate(expression, names, self.globals)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        functions = {**self.globals, **external_context} if external_context else self.globals
        sandbox.execute(script, context, functions)
        return True


class GovShareScriptEngine(PythonScriptEngine):
    """PythonScriptEngine with GovShare's functions, task tracking for deadlines, and real service errors."""

    def __init__(self) -> None:
        super().__init__(environment=_SandboxEnvironment(dict(INJECTED)))

    def evaluate(self, task, expression, external_context=None):
        token = _current_task.set(task)
        try:
            return super().evaluate(task, expression, external_context)
        finally:
            _current_task.reset(token)

    def execute(self, task, script, external_context=None):
        token = _current_task.set(task)
        try:
            return super().execute(task, script, external_context)
        finally:
            _current_task.reset(token)

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        """Run a registered operation. Replaces 3.2.0's version, whose error path raised NameError."""
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            result = run_operation(operation_name, task, params)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"服务操作 {operation_name} 失败：{type(err).__name__}: {err}", task=task, exception=err
            ) from err
        return json.dumps(result, ensure_ascii=False, default=str)


SCRIPT_ENGINE = GovShareScriptEngine()

_EXPRESSION = re.compile(r"Error evaluating expression '(.*?)'", re.S)


def failure_message(err: Exception) -> str:
    """A script's or expression's failure as an administrator or analyst reads it: in Chinese, with the
    expression and the real error (an incident's message, a test run's outcome).

    SpiffWorkflow wraps what a script or expression raised in an English WorkflowTaskException (the real
    error is the exception it was raised during)."""
    text = str(err)
    if any("\u4e00" <= char <= "\u9fff" for char in text):  # our own operations already speak Chinese
        return text
    original: BaseException = err
    while isinstance(original, SpiffWorkflowException) and (original.__cause__ or original.__context__):
        original = original.__cause__ or original.__context__
    expression = _EXPRESSION.search(text)
    where = f"计算表达式 {expression.group(1)} 时出错" if expression else "执行脚本时出错"
    if isinstance(original, NameError) and original.name:
        reason = f"流程数据中没有 {original.name}（字段名写错，或此前的步骤没有给出它）"
    elif original is not err:
        reason = f"{type(original).__name__}: {original}"
    else:
        reason = text
    return f"{where}：{reason}"
