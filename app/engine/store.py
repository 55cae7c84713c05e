"""The one place that loads and saves a process instance. Nothing else touches the serializer.

Saving serializes the workflow without its spec (stored once per version), derives the status and the
earliest due timer, materializes human tasks (only the rows that changed), and stores the working-day
provisional deadlines that timers evaluated so they can be re-armed when the calendar is completed.
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from uuid import UUID
from weakref import WeakKeyDictionary

import SpiffWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, event, func, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from app import clock
from app.audit.writer import record
from app.calendar.services import Taken, store_deadlines, time_taken
from app.engine.language import (
    ASSIGNEE_PROPERTY,
    DEADLINE_TIMER_PROPERTY,
    DEPARTMENT_PROPERTY,
    FORM_PROPERTY,
    LABEL_SUFFIX_PROPERTY,
    ROLE_PROPERTY,
)
from app.engine.models import HumanTask, InstanceStatus, ProcessInstance, TaskStatus
from app.engine.policies import is_candidate
from app.engine.registry import parsed_by_id
from app.engine.scripting import SCRIPT_ENGINE, current_run
from app.extensions import db
from app.org.models import User

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
# SpiffWorkflow's to_dict adds no version and from_dict never migrates: record both versions ourselves.
SERIALIZER_VERSION = f"spiff-{SpiffWorkflow.__version__}/{SERIALIZER.VERSION}"


def _converter():
    """SpiffWorkflow's BpmnWorkflowConverter instance inside the serializer's registry."""
    return SERIALIZER.registry.convert_from_dict["BpmnWorkflow"].args[0].__self__


def new_workflow(version_id: int) -> BpmnWorkflow:
    """A fresh workflow of a deployed version, attached to the script engine."""
    parsed_version = parsed_by_id(version_id)
    return BpmnWorkflow(parsed_version.spec, parsed_version.subprocess_specs, script_engine=SCRIPT_ENGINE)


# Workflows restored in this process, reused while the row's lock_version is unchanged: a workflow is handed
# back to this cache only after its transaction committed (after_commit below), and taken out when loaded, so
# a half-run workflow from a failed or rolled-back transaction is never reused.
_warm: OrderedDict[int, tuple[int, int, BpmnWorkflow]] = OrderedDict()
WARM_LIMIT = 256


def _current(row: ProcessInstance, warm: tuple[int, int, BpmnWorkflow] | None) -> BpmnWorkflow | None:
    """The cached workflow if it is the one saved in the row as it is now."""
    if warm is not None and warm[0] == row.lock_version and warm[1] == row.process_version_id:
        return warm[2]
    return None


def load(row: ProcessInstance) -> BpmnWorkflow:
    """The workflow of an instance, to run and save: the one this process committed last if the row has not
    changed since, otherwise restored from its state onto its version's cached spec objects."""
    workflow = _current(row, _warm.pop(row.id, None)) or _restore(row)
    _open_at_load[workflow] = frozenset(open_user_tasks(workflow))
    return workflow


def peek(row: ProcessInstance) -> BpmnWorkflow:
    """The workflow of an instance for reading only (pages that draw its state): the warm copy stays cached.
    Callers must not run or change it."""
    return _current(row, _warm.get(row.id)) or _restore(row)


def private_copy(row: ProcessInstance) -> BpmnWorkflow:
    """A workflow restored from the row for the caller alone (a dry run may change it; it is never saved)."""
    return _restore(row)


def _restore(row: ProcessInstance) -> BpmnWorkflow:
    """The workflow of an instance, restored from its state onto its version's cached spec objects.

    This is BpmnWorkflowConverter.from_dict (SpiffWorkflow 3.2.0, pinned) minus the spec restoration (the
    spec is parsed once per version instead of being rebuilt from a dict on every load), with the tasks and
    subprocesses read by _restore_tasks / _restore_subprocesses.
    """
    if row.serializer_version != SERIALIZER_VERSION:
        raise RuntimeError(
            f"instance {row.id} was saved by {row.serializer_version}, this engine is {SERIALIZER_VERSION}; "
            "migrate saved instances before upgrading SpiffWorkflow"
        )
    parsed_version = parsed_by_id(row.process_version_id)
    state = decode_state(row.state)
    converter = _converter()
    workflow = BpmnWorkflow(parsed_version.spec, parsed_version.subprocess_specs, deserializing=True)
    ids: dict[str, UUID] = {}
    _restore_tasks(state["tasks"], workflow, ids)
    workflow.task_tree = workflow.tasks.get(UUID(state["root"]))
    converter.set_default_attributes(workflow, state)
    _restore_subprocesses(state["subprocesses"], workflow, workflow, ids)
    workflow.bpmn_events = converter.registry.restore(state.pop("bpmn_events", []))
    workflow.script_engine = SCRIPT_ENGINE  # re-attach after every load (ENGINE-NOTES)
    return workflow


# Reading and writing the tasks ourselves (#21): SpiffWorkflow's registry walks every value of every task
# dict looking for typed objects, and parses each id string once per mention (as an id, a parent, a child).
# The dicts are exactly those of its TaskConverter (3.2.0, pinned); tests/integration/test_request_path.py compares both
# ways with the library's own converter on real states. Typed values (dates, events) still go through the
# registry: internal data, the root's data and each task's changes.
_TASK_CONVERTER = SERIALIZER.registry.convert_from_dict["Task"].args[0].__self__
if not isinstance(_TASK_CONVERTER, TaskConverter):
    raise RuntimeError("SpiffWorkflow's task converter is not the one this store reads and writes")
_SUB_CONVERTER = SERIALIZER.registry.convert_from_dict["BpmnSubWorkflow"].args[0].__self__


def _uuid(ids: dict[str, UUID], text: str) -> UUID:
    key = ids.get(text)
    if key is None:
        key = ids[text] = UUID(text)
    return key


def _restore_tasks(dicts: dict[str, dict], workflow, ids: dict[str, UUID]) -> None:
    """TaskConverter.from_dict for every task of one (sub)workflow, parents before children as stored."""
    restore = SERIALIZER.registry.restore
    task_class = _TASK_CONVERTER.target_class
    specs = workflow.spec.task_specs
    events = workflow.top_workflow.event_manager
    workflow.tasks = {}  # each Task registers itself here
    for item in dicts.values():
        spec = specs.get(item["task_spec"])
        task = task_class(workflow, spec, state=item["state"], id=_uuid(ids, item["id"]))
        task._parent = _uuid(ids, item["parent"]) if item["parent"] is not None else None
        task._children = [_uuid(ids, child) for child in item["children"]]
        task.last_state_change = item["last_state_change"]
        task.triggered = item["triggered"]
        task.internal_data = restore(item["internal_data"]) if item["internal_data"] else {}
        if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            events.add_task(task)
        delta = item.get("delta")
        parent = workflow.tasks.get(task._parent) if task._parent is not None else None
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            updates = delta.get("updates")
            if updates:
                data.update(restore(updates))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = restore(item["data"])
        task.data = data


def _restore_subprocesses(dicts: dict[str, dict], workflow, top, ids: dict[str, UUID]) -> None:
    """BpmnWorkflowConverter.subprocesses_from_dict: each subprocess under the task that started it."""
    for task in list(workflow.tasks.values()):
        if not isinstance(task.task_spec, SubWorkflowTask) or str(task.id) not in dicts:
            continue
        item = dicts.pop(str(task.id))
        sub = _SUB_CONVERTER.target_class(
            top.subprocess_specs.get(task.task_spec.spec), task.id, top, deserializing=True
        )
        _restore_tasks(item["tasks"], sub, ids)
        sub.task_tree = sub.tasks.get(_uuid(ids, item["root"]))
        _SUB_CONVERTER.set_default_attributes(sub, item)
        top.subprocesses[task.id] = sub
        sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        _restore_subprocesses(dicts, sub, top, ids)


def _task_dicts(workflow) -> dict[str, dict]:
    """TaskConverter.to_dict (with its typename) for every task of one (sub)workflow."""
    convert = SERIALIZER.registry.convert
    tasks = workflow.tasks
    names = {key: str(key) for key in tasks}  # each id written once, though mentioned up to three times
    dicts = {}
    for key, task in tasks.items():
        parent = tasks.get(task._parent) if task._parent is not None else None
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {
                "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        dicts[names[key]] = {
            "id": names[key],
            "parent": names[task._parent] if parent is not None else None,
            "children": [names.get(child) or str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": convert(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": "Task",
        }
    return dicts


def _workflow_dict(workflow) -> dict:
    """WorkflowConverter.to_dict: the attributes a workflow and each subprocess share."""
    registry = SERIALIZER.registry
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _task_dicts(workflow),
        "root": str(workflow.task_tree.id),
    }


def state_of(workflow: BpmnWorkflow) -> dict:
    """The workflow's state without the spec: BpmnWorkflowConverter.to_dict minus the specs."""
    state = _workflow_dict(workflow)
    state["subprocesses"] = {
        str(key): {
            **_workflow_dict(sub),
            "parent_task_id": str(sub.parent_task_id),
            "spec": sub.spec.name,
            "typename": "BpmnSubWorkflow",
        }
        for key, sub in workflow.subprocesses.items()
    }
    state["bpmn_events"] = SERIALIZER.registry.convert(workflow.bpmn_events)
    return state


def dump(workflow: BpmnWorkflow) -> bytes:
    """The workflow's state without the spec, encoded."""
    return encode_state(state_of(workflow), final=workflow.is_completed())


def encode_state(state: dict, *, final: bool = False) -> bytes:
    """JSON, zlib-compressed (a 7 KB state stores as about 1.4 KB: smaller rows, less to write).

    A running instance's state is rewritten at every step: the fastest level. A finished one is written once
    and kept: the best level (share_application's 34 KB final state: 4.9 KB at level 1, 4.2 KB at level 9,
    for 0.25 ms more, once; bench/http_bench.py reports the growth)."""
    raw = json.dumps(state, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return zlib.compress(raw, 9 if final else 1)


def decode_state(blob: bytes | str) -> dict:
    """The state dict of a stored instance (also reads plain JSON, as written before compression)."""
    if isinstance(blob, str):
        return json.loads(blob)
    raw = bytes(blob)
    return json.loads(raw if raw[:1] == b"{" else zlib.decompress(raw))


def task_data(row: ProcessInstance, task_id: str) -> dict:
    """The data a task of the instance sees (read only), or {} if the task is not in it."""
    task = find_task(peek(row), task_id)
    return dict(task.data) if task is not None else {}


def start_data(row: ProcessInstance) -> dict:
    """The data an instance was started with (its root task's data), without loading it."""
    state = decode_state(row.state)
    return dict(state["tasks"][state["root"]].get("data", {}))


def instance_data(row: ProcessInstance) -> dict:
    """The workflow data of an instance (its start data and what the top level has set), without loading it."""
    return decode_state(row.state).get("data", {})


def timer_due(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, dict):  # cycle timers
        value = value.get("next")
        if value is None:
            return None
    try:
        return TimerEventDefinition.get_datetime(str(value))
    except ValueError:
        return None


def _timer_definitions(definition) -> list:
    """The timer definitions a waiting task listens for: its own, or those of an event-based gateway (which
    holds its branches' events in one MultipleEventDefinition)."""
    if isinstance(definition, TimerEventDefinition):
        return [definition]
    if isinstance(definition, MultipleEventDefinition):
        return [d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)]
    return []


def waiting_message_names(workflow: BpmnWorkflow) -> set[str]:
    """The messages the workflow waits for, including those behind an event-based gateway."""
    names = set()
    for task in all_tasks(workflow):
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        definitions = (
            definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        )
        names |= {d.name for d in definitions if isinstance(d, MessageEventDefinition)}
    return names


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest due time among the workflow's waiting timers (an event-based gateway's too)."""
    found = (timer_due(t.internal_data.get("event_value")) for t in waiting_timer_tasks(workflow))
    dues = [d for d in found if d is not None]
    return min(dues) if dues else None


def all_tasks(workflow: BpmnWorkflow):
    """Every task of the workflow and its subprocesses (a flat walk; cheaper than the tree iterator)."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def waiting_timer_tasks(workflow: BpmnWorkflow) -> list:
    """Timer catch events currently waiting (and event-based gateways waiting for a timer among other events)."""
    return [
        task
        for task in all_tasks(workflow)
        if task.state == TaskState.WAITING
        and _timer_definitions(getattr(task.task_spec, "event_definition", None))
    ]


def deadline_timer_of(task):
    """The boundary timer that enforces a user task's deadline (property deadlineTimer, or its only timer)."""
    parent = task.parent
    if parent is None:
        return None
    timers = [
        sibling
        for sibling in parent.children
        if isinstance(sibling.task_spec, BoundaryEvent)
        and isinstance(sibling.task_spec.event_definition, TimerEventDefinition)
    ]
    wanted = task.task_spec.extensions.get("properties", {}).get(DEADLINE_TIMER_PROPERTY)
    if wanted:
        timers = [t for t in timers if t.task_spec.bpmn_id == wanted]
    return timers[0] if len(timers) == 1 else None


def materialize(row: ProcessInstance, task) -> HumanTask:
    spec = task.task_spec
    props = spec.extensions.get("properties", {})
    department = props.get(DEPARTMENT_PROPERTY)
    department_id = SCRIPT_ENGINE.evaluate(task, department) if department else None
    label = spec.bpmn_name or spec.bpmn_id or spec.name
    if props.get(LABEL_SUFFIX_PROPERTY):
        label = f"{label}：{SCRIPT_ENGINE.evaluate(task, props[LABEL_SUFFIX_PROPERTY])}"
    human = HumanTask(
        id=str(task.id),
        instance_id=row.id,
        business_key=row.business_key,
        process_id=row.process_id,
        spec_name=spec.bpmn_id or spec.name,
        label=label[:200],
        candidate_role=props.get(ROLE_PROPERTY) or spec.lane,
        candidate_department_id=int(department_id) if department_id is not None else None,
        status=TaskStatus.OPEN,
        form=props.get(FORM_PROPERTY),
        created_at=clock.now(),
    )
    if props.get(ASSIGNEE_PROPERTY):
        human.assignee_id = _direct_assignee(human, SCRIPT_ENGINE.evaluate(task, props[ASSIGNEE_PROPERTY]))
    timer = deadline_timer_of(task)
    if timer is not None:
        human.timer_task_id = str(timer.id)
        for name, value in _deadline_columns(timer).items():
            setattr(human, name, value)
    return human


def _direct_assignee(human: HumanTask, user_id: Any) -> int | None:
    """The user a task goes to directly (property `assignee`, e.g. the applicant's own 补正), when that user is
    still active and still a candidate of the task; otherwise None: the task waits in the department's queue."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    user = db.session.get(User, user_id)
    return user.id if user is not None and user.active and is_candidate(user, human) else None


def _deadline_columns(timer) -> dict[str, Any]:
    """A task row's deadline columns from its deadline timer: the due time it evaluated, and the working-day
    deadline behind it when it was computed in this run."""
    values: dict[str, Any] = {"due_at": timer_due(timer.internal_data.get("event_value"))}
    deadline = current_run().deadlines.get(str(timer.id))
    if deadline is not None:
        values.update(
            due_date=deadline.due_date,
            deadline_days=deadline.days,
            deadline_provisional=deadline.provisional,
            calendar_version=int(deadline.calendar_version),
        )
    return values


_OPEN_USER_TASK = TaskState.READY | TaskState.ERROR


def open_user_tasks(workflow: BpmnWorkflow) -> dict[str, SpiffTask]:
    """The user tasks waiting for a person, by id: exactly the instance's open human-task rows once saved.

    A user task whose own script failed (ERROR) stays open: the instance has an incident, and after the
    retry the task is ready again under the same id, for the same row.
    """
    return {str(t.id): t for t in all_tasks(workflow) if t.state & _OPEN_USER_TASK and t.task_spec.manual}


# The open user tasks of each workflow as loaded (= its open human-task rows, which save() keeps equal to
# open_user_tasks), so that saving knows which rows to close and which to insert without reading them back.
_open_at_load: WeakKeyDictionary[BpmnWorkflow, frozenset[str]] = WeakKeyDictionary()

_TASKS = cast(Table, HumanTask.__table__)
_CLOSE_TASK = (
    _TASKS.update()
    .where(_TASKS.c.id == bindparam("_id"), _TASKS.c.status == TaskStatus.OPEN)
    .values(
        status=bindparam("_status"),
        completed_at=bindparam("_at"),
        days_taken=bindparam("_days"),
        on_time=bindparam("_on_time"),
        days_calendar=bindparam("_calendar"),
    )
)
_COMPLETE_TASK = _CLOSE_TASK.values(
    completed_by_id=bindparam("_by"),
    assignee_id=func.coalesce(_TASKS.c.assignee_id, bindparam("_by")),
    draft=None,
)


def _sync_human_tasks(
    row: ProcessInstance, workflow: BpmnWorkflow, completer: User | None
) -> list[HumanTask]:
    """Insert rows for newly open user tasks, close rows whose task moved on; returns the new rows.

    Written with prepared Core statements (the ORM unit of work costs more than the engine step itself);
    objects of the session's identity map are brought up to date without a reload.
    """
    open_now = open_user_tasks(workflow)
    was_open = _open_at_load.get(workflow, frozenset())
    now = clock.now()
    session = db.session()
    connection = session.connection()
    closed = was_open - open_now.keys()
    done_ids = {
        task_id
        for task_id in closed
        if (t := find_task(workflow, task_id)) is not None and t.state == TaskState.COMPLETED
    }
    taken = _time_taken(session, done_ids, now)
    for task_id in closed:
        done = task_id in done_ids
        status = TaskStatus.COMPLETED if done else TaskStatus.CANCELLED
        figures = taken.get(task_id)
        values = {
            "_id": task_id,
            "_status": status,
            "_at": now,
            "_days": figures.days if figures else None,
            "_on_time": figures.on_time if figures else None,
            "_calendar": figures.calendar if figures else None,
        }
        if done and completer is not None:
            connection.execute(_COMPLETE_TASK, values | {"_by": completer.id})
        else:
            connection.execute(_CLOSE_TASK, values)
        human = session.identity_map.get(identity_key(HumanTask, task_id))
        if human is not None:  # the session's copy says what was written
            set_committed_value(human, "status", status)
            set_committed_value(human, "completed_at", now)
            set_committed_value(human, "days_taken", values["_days"])
            set_committed_value(human, "on_time", values["_on_time"])
            set_committed_value(human, "days_calendar", values["_calendar"])
            if done and completer is not None:
                set_committed_value(human, "completed_by_id", completer.id)
                set_committed_value(human, "assignee_id", human.assignee_id or completer.id)
                set_committed_value(human, "draft", None)
    if current_run().deadlines:  # a deadline evaluated again (an incident's retry): the open row follows it
        for task_id in open_now.keys() & was_open:
            timer = deadline_timer_of(open_now[task_id])
            if timer is not None and str(timer.id) in current_run().deadlines:
                values = _deadline_columns(timer)
                connection.execute(_TASKS.update().where(_TASKS.c.id == task_id).values(**values))
                human = session.identity_map.get(identity_key(HumanTask, task_id))
                for name, value in values.items() if human is not None else ():
                    set_committed_value(human, name, value)
    created = [materialize(row, task) for task_id, task in open_now.items() if task_id not in was_open]
    if created:
        connection.execute(_TASKS.insert(), [_column_values(human, _TASKS) for human in created])
    _open_at_load[workflow] = frozenset(open_now)
    return created


def _time_taken(session: Session, task_ids: set[str], done_at: datetime) -> dict[str, Taken]:
    """The §26 figures of the tasks completed now (#30): from the session's copies, or one query for those
    it does not hold."""
    received: dict[str, tuple[datetime, datetime | None]] = {}
    for task_id in task_ids:
        human = session.identity_map.get(identity_key(HumanTask, task_id))
        if human is not None and "created_at" in human.__dict__ and "due_at" in human.__dict__:
            received[task_id] = (human.created_at, human.due_at)
    missing = task_ids - received.keys()
    if missing:
        rows = session.connection().execute(
            select(_TASKS.c.id, _TASKS.c.created_at, _TASKS.c.due_at).where(_TASKS.c.id.in_(missing))
        )
        received.update({task_id: (created_at, due_at) for task_id, created_at, due_at in rows})
    return {
        task_id: time_taken(created_at, done_at, due_at) for task_id, (created_at, due_at) in received.items()
    }


def _column_values(obj, table) -> dict:
    """Every column of a new ORM object, for a Core INSERT. Unset columns with a constant default get it
    (on the object too); callable defaults are not run here, so the callers set those columns themselves."""
    values = {}
    for column in table.columns:
        value = getattr(obj, column.key)
        if value is None and column.default is not None and column.default.is_scalar:
            value = column.default.arg
            setattr(obj, column.key, value)
        values[column.key] = value
    return values


def find_task(workflow: BpmnWorkflow, task_id: str):
    """The task with this id in the workflow or any of its subprocesses, or None.

    (BpmnWorkflow.get_task_from_id raises as soon as one subprocess lacks the id.)
    """
    key = UUID(task_id)
    if key in workflow.tasks:
        return workflow.tasks[key]
    for sub in workflow.subprocesses.values():
        if key in sub.tasks:
            return sub.tasks[key]
    return None


def _store_timer_deadlines(row: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Persist the provisional deadlines that waiting timers evaluated in this run (subject "timer",
    "<instance>/<task>"), so that they are recomputed and re-armed when the missing year's calendar is imported.

    Only provisional ones: nothing else ever reads a timer's stored deadline (the recomputation takes the
    provisional rows), and the deadline a task is held to is on its own row (due_at, due_date, deadline_days,
    calendar_version). Storing the others cost a row and two index entries per timer for nobody (#21)."""
    run_deadlines = current_run().deadlines
    if not any(deadline.provisional for deadline in run_deadlines.values()):
        return
    waiting = {str(t.id) for t in waiting_timer_tasks(workflow)}
    store_deadlines(
        [
            ("timer", f"{row.id}/{task_id}", deadline)
            for task_id, deadline in run_deadlines.items()
            if task_id in waiting and deadline.provisional
        ]
    )


_INSTANCES = cast(Table, ProcessInstance.__table__)
_UPDATE_INSTANCE = _INSTANCES.update().where(
    _INSTANCES.c.id == bindparam("_id"), _INSTANCES.c.lock_version == bindparam("_version")
)


def _write_instance(row: ProcessInstance, values: dict) -> None:
    """Write the instance row with one Core statement and make the ORM object match it without a reload.

    A new row is inserted and the object becomes persistent in the session; an existing row is updated only
    if its lock_version is still the one read (optimistic lock: otherwise StaleDataError, a 409 upstream).
    """
    session = db.session()
    connection = session.connection()
    if row.id is None:
        for key, value in values.items():
            setattr(row, key, value)
        row.lock_version = 1
        insert_values = _column_values(row, _INSTANCES)
        del insert_values["id"]
        row.id = connection.execute(_INSTANCES.insert(), insert_values).inserted_primary_key[0]
        make_transient_to_detached(row)  # the caller never added it to the session: it is transient
        session.add(row)
        return
    version = row.lock_version
    values["lock_version"] = version + 1
    written = connection.execute(_UPDATE_INSTANCE, {"_id": row.id, "_version": version, **values}).rowcount
    if written != 1:
        raise StaleDataError(f"process_instance {row.id}: lock_version {version} is no longer current")
    for key, value in values.items():
        set_committed_value(row, key, value)


def save(
    row: ProcessInstance,
    workflow: BpmnWorkflow,
    *,
    incident_open: bool = False,
    completer: User | None = None,
    on_inserted: Callable[[], None] | None = None,
) -> list[HumanTask]:
    """Write the workflow back to its row (in the caller's transaction); returns newly created human tasks.

    `incident_open`: the instance has an unresolved incident (the runtime knows; no query needed).
    `completer`: the user who completed the user task this save closes as completed (its row records them).
    `on_inserted`: called once a new row has its id, before its tasks are written (audit order).
    """
    now = clock.now()
    values = {
        "state": dump(workflow),
        "serializer_version": SERIALIZER_VERSION,
        "updated_at": now,
        "next_timer_at": None,
    }
    if workflow.is_completed():
        values["status"] = InstanceStatus.COMPLETED
        values["completed_at"] = row.completed_at or now
    elif incident_open:
        # Timers wait while an admin looks at the incident; retry saves again and re-arms them.
        values["status"] = InstanceStatus.INCIDENT
    else:
        ready = any(t.state == TaskState.READY for t in all_tasks(workflow))
        values["status"] = InstanceStatus.RUNNING if ready else InstanceStatus.WAITING
        values["next_timer_at"] = next_timer(workflow)
    new_instance = row.id is None
    _write_instance(row, values)
    db.session.info.setdefault("govshare_saved_workflows", {})[id(row)] = (row, workflow)
    if new_instance and on_inserted is not None:
        on_inserted()
    created = _sync_human_tasks(row, workflow, completer)
    for human in created:
        record(
            "task.created",
            object_type="task",
            object_id=human.id,
            instance_id=row.id,
            task_id=human.id,
            data={
                "label": human.label,
                "role": human.candidate_role,
                "department_id": human.candidate_department_id,
                "due_at": human.due_at.isoformat() if human.due_at else None,
            },
        )
    _store_timer_deadlines(row, workflow)
    return created


@event.listens_for(Session, "after_commit")
def _keep_committed_workflows(session: Session) -> None:
    saved = session.info.pop("govshare_saved_workflows", None)
    for row, workflow in (saved or {}).values():
        # Read what is loaded without loading (no SQL may run after a commit): a row expired since its save
        # (expire_all) is simply not kept warm.
        state = inspect(row).dict
        row_id, lock_version, version_id = (
            state.get(k) for k in ("id", "lock_version", "process_version_id")
        )
        if row_id is not None and lock_version is not None and version_id is not None:
            _warm[row_id] = (lock_version, version_id, workflow)
            _warm.move_to_end(row_id)
    while len(_warm) > WARM_LIMIT:
        _warm.popitem(last=False)


@event.listens_for(Session, "after_soft_rollback")
def _forget_uncommitted_workflows(session: Session, previous_transaction) -> None:
    session.info.pop("govshare_saved_workflows", None)
