"""Engine use cases: start, claim, unclaim, reassign, complete, timers, messages, incidents.

Each use case is one transaction. The instance row is locked (FOR UPDATE on PostgreSQL) and version-checked
(optimistic lock on every database) from load to save: BpmnWorkflow objects are not thread-safe, and two
people completing the same task must end with one success and one clear conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.access import require
from app.audit.writer import record
from app.calendar.services import on_deadlines_recomputed
from app.engine import store
from app.engine.forms import check_form, clean_form, needs_options, resolve_options, validate_form
from app.engine.models import HumanTask, Incident, InstanceStatus, ProcessInstance, TaskStatus
from app.engine.policies import is_candidate
from app.engine.registry import latest_version_key, parsed_by_id
from app.engine.scripting import INJECTED, RunContext, begin_run, end_run, failure_message
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db, rows_changed, stored
from app.org.models import User
from app.transactions import begin_write, conflicts_as_409

log = logging.getLogger(__name__)


@contextmanager
def engine_run(row: ProcessInstance, actor: User | None) -> Iterator[RunContext]:
    run = RunContext(instance_id=row.id, business_key=row.business_key, actor_id=actor.id if actor else None)
    token = begin_run(run)
    try:
        yield run
    finally:
        end_run(token)


def _database_error(err: BaseException) -> DBAPIError | None:
    """The database error behind `err` (a service operation's write failed), if there is one."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, DBAPIError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _attempt(step: Callable[[], None]) -> Exception | None:
    """Run engine work and return the error instead of raising it (the caller turns it into an incident).

    A failed database statement is not an incident of the process: the transaction is broken and nothing of
    it can be saved, so the database error is raised to the use case, which rolls back (a lost race becomes a 409)."""
    try:
        step()
    except Exception as err:
        database_error = _database_error(err)
        if database_error is not None:
            raise database_error from err
        return err
    return None


def _record_incident(row: ProcessInstance, workflow, err: Exception, actor: User | None) -> Incident:
    """Record a failure with the real error and the failed task. Nothing is lost: the state up to the failure
    is saved with the instance and the failed task can be retried."""
    failed = workflow.get_tasks(state=TaskState.ERROR)
    task = failed[0] if failed else getattr(err, "task", None)
    incident = Incident(
        instance_id=row.id,
        task_id=str(task.id) if task is not None else None,
        task_name=(task.task_spec.bpmn_name or task.task_spec.bpmn_id) if task is not None else None,
        error_type=type(err).__name__,
        message=failure_message(err)[:4000],
        created_at=clock.now(),
    )
    db.session.add(incident)
    db.session.flush()
    record(
        "incident.created",
        actor=actor,
        object_type="incident",
        object_id=incident.id,
        instance_id=row.id,
        task_id=incident.task_id,
        data={"error": incident.error_type, "message": incident.message},
    )
    log.warning("instance %s: incident %s: %s", row.id, incident.id, err)
    return incident


def report_incident(
    instance_id: int, error_type: str, message: str, task_name: str | None = None
) -> Incident:
    """An incident from outside the engine run (an outbox call that failed for good): on the incidents page
    and the case, resolved by retrying (which finds nothing to redo) or by cancelling the instance."""
    incident = Incident(
        instance_id=instance_id,
        task_name=task_name,
        error_type=error_type,
        message=message[:4000],
        created_at=clock.now(),
    )
    db.session.add(incident)
    db.session.flush()
    record(
        "incident.created",
        object_type="incident",
        object_id=incident.id,
        instance_id=instance_id,
        data={"error": error_type, "message": incident.message},
    )
    return incident


def _advance(row: ProcessInstance, workflow, step: Callable[[], None], actor: User | None) -> Incident | None:
    """Run engine work; a failing script or service becomes an incident with the real error."""
    err = _attempt(step)
    return _record_incident(row, workflow, err, actor) if err is not None else None


def _flush() -> None:
    """Write the use case's changes now, so that a lost race is a Conflict here; the entry point commits."""
    with conflicts_as_409():
        db.session.flush()


def locked_instance(instance_id: int) -> ProcessInstance:
    begin_write()
    row = db.session.scalar(
        db.select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(_("流程实例不存在"))
    return row


# --- start ----------------------------------------------------------------------------------------------


def start_instance(
    process_id: str, *, business_key: str, data: dict[str, Any] | None = None, actor: User | None = None
) -> ProcessInstance:
    """Start the latest deployed version of `process_id` with `data` as its initial task data."""
    version_id, version_number = latest_version_key(process_id)
    data = dict(data or {})
    clash = set(data) & set(INJECTED)
    if clash:
        raise ValidationFailed(_("流程数据字段名与内置函数重名"), fields={name: "保留字" for name in clash})
    workflow = store.new_workflow(version_id)
    workflow.data.update(data)
    workflow.task_tree.data.update(data)
    now = clock.now()
    row = ProcessInstance(
        process_version_id=version_id,
        process_id=process_id,
        business_key=business_key,
        status=InstanceStatus.RUNNING,
        serializer_version=store.SERIALIZER_VERSION,
        started_at=now,
        updated_at=now,
        started_by_id=actor.id if actor else None,
    )

    # Run first, insert after: the row is written once, at the end of the transaction.
    def started() -> None:
        record(
            "instance.started",
            actor=actor,
            object_type="instance",
            object_id=row.id,
            instance_id=row.id,
            data={"process_id": process_id, "version": version_number, "business_key": business_key},
        )

    with engine_run(row, actor):
        err = _attempt(workflow.do_engine_steps)
        store.save(row, workflow, incident_open=err is not None, on_inserted=started)
        if err is not None:
            _record_incident(row, workflow, err, actor)
    _flush()
    return row


# --- human tasks ------------------------------------------------------------------------------------------


def task_event(action: str, task: HumanTask, user: User, data: dict | None = None) -> None:
    record(
        action,
        actor=user,
        object_type="task",
        object_id=task.id,
        instance_id=task.instance_id,
        task_id=task.id,
        data=data,
    )


def get_task(task_id: str, *, fresh: bool = False) -> HumanTask:
    """A human task by id (`fresh`: read again even if this session holds it)."""
    task = db.session.get(HumanTask, str(task_id), populate_existing=fresh)
    if task is None:
        raise NotFound(_("任务不存在"))
    return task


def _must_be_open(task: HumanTask) -> HumanTask:
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("任务已经办结或已取消"))
    return task


def open_task(task_id: str) -> HumanTask:
    """An open task, read inside the write transaction that will change it (fresh, not the session's copy)."""
    begin_write()
    return _must_be_open(get_task(task_id, fresh=True))


_TASK_AND_INSTANCE = (
    db.select(HumanTask, ProcessInstance)
    .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
    .where(HumanTask.id == db.bindparam("task_id"))
    .with_for_update(of=ProcessInstance)
    # Objects this session loaded earlier take the values just read (the lock version above all).
    .execution_options(populate_existing=True)
)


def _open_task_locked(task_id: str) -> tuple[HumanTask, ProcessInstance]:
    """An open task and its instance, read in one statement that locks the instance row on PostgreSQL.

    SQLite completes optimistically (the engine step of two processes runs in parallel): a concurrent
    completion is caught by the instance's version check at save, or earlier by the database refusing a row
    the winner wrote (a unique authorization, raised by _attempt): both end in a rollback and a 409."""
    found = db.session.execute(_TASK_AND_INSTANCE, {"task_id": str(task_id)}).first()
    if found is None:
        raise NotFound(_("任务不存在"))
    return _must_be_open(found[0]), found[1]


def claim_task(task_id: str, user: User) -> HumanTask:
    """Take an open task from the queue."""
    task = open_task(task_id)
    if task.assignee_id == user.id:
        return task
    if task.assignee_id is not None:
        raise Conflict(_("任务已被 %(name)s 认领", name=task.assignee.display_name))
    require(user, "task.claim", task)
    claimed = rows_changed(
        db.update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.assignee_id.is_(None), HumanTask.status == TaskStatus.OPEN)
        .values(assignee_id=user.id)
    )
    if claimed != 1:
        raise Conflict(_("任务已被他人认领"))
    db.session.refresh(task)
    task_event("task.claimed", task, user)
    _flush()
    return task


def unclaim_task(task_id: str, user: User) -> HumanTask:
    """Put a task the user holds back in the queue."""
    task = open_task(task_id)
    if task.assignee_id != user.id:
        raise Conflict(_("只能退回自己认领的任务"))
    task.assignee_id = None
    task_event("task.unclaimed", task, user)
    _flush()
    return task


def reassign_task(task_id: str, assignee: User, user: User) -> HumanTask:
    """Give an open task to another candidate (supervisors, admins, the platform operator)."""
    task = open_task(task_id)
    require(user, "task.reassign", task)

    if not is_candidate(assignee, task) or not assignee.active:
        raise ValidationFailed(
            _("被指派人不具备该任务的角色或部门"), fields={"assignee": _("不符合任务要求")}
        )
    previous = task.assignee_id
    task.assignee_id = assignee.id
    task_event("task.reassigned", task, user, {"from": previous, "to": assignee.id})
    _flush()
    return task


def raw_task_form(task: HumanTask) -> dict | None:
    """The task's form as deployed (options that depend on the case not filled in)."""
    if not task.form:
        return None
    return parsed_by_id(task.instance.process_version_id).forms.get(task.form)


def task_form(task: HumanTask) -> dict | None:
    """The JSON Schema of the task's form, from the instance's own process version."""
    schema = raw_task_form(task)
    if schema is not None and needs_options(schema):  # options that depend on the case (the line's items)
        schema = resolve_options(schema, store.task_data(task.instance, task.id))
    return schema


DRAFT_VALUE_LIMIT = 20_000  # characters per field; a draft is a clerk's notes, not a file store


def save_draft(task_id: str, user: User, data: dict[str, Any]) -> HumanTask:
    """Keep a half-filled form on the task (not validated beyond field names); saving claims a queue task."""
    task = open_task(task_id)
    require(user, "task.complete", task)
    properties = (task_form(task) or {}).get("properties", {})
    errors = {name: _("表单中没有该字段") for name in data if name not in properties}
    for name, value in data.items():
        is_choices = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if name in properties and not (is_choices or isinstance(value, str | int | float | bool | None)):
            errors[name] = _("草稿只能保存文字、数字、是否或选项")
        elif isinstance(value, str) and len(value) > DRAFT_VALUE_LIMIT:
            errors[name] = _("内容过长（最多 %(n)d 字）", n=DRAFT_VALUE_LIMIT)
    if errors:
        raise ValidationFailed(_("草稿未保存"), fields=errors)
    if task.assignee_id is None:
        task = claim_task(task_id, user)
    task.draft = {name: value for name, value in data.items() if value not in (None, "")} or None
    task_event("task.draft_saved", task, user, {"fields": sorted(task.draft or {})})
    _flush()
    return task


def complete_task(task_id: str, user: User, data: dict[str, Any] | None = None) -> HumanTask:
    """Complete a task with form data (trimmed, validated per field); the engine moves on, new tasks appear."""
    data = clean_form(data or {})
    with conflicts_as_409():
        task, row = _open_task_locked(task_id)
        require(user, "task.complete", task)
        errors = validate_form(task_form(task), data)
        if not errors:  # rules across fields once each field is right
            errors = check_form(task.form, data, lambda: store.instance_data(row))
        clash = set(data) & set(INJECTED) if isinstance(data, dict) else set()
        errors.update({name: "保留字，不能作为字段名" for name in clash})
        if errors:
            raise ValidationFailed(_("表单填写有误"), fields=errors)
        _complete_locked(row, task, user, data)
    return task


def _complete_locked(row: ProcessInstance, task: HumanTask, user: User, data: dict[str, Any]) -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.refresh(task)  # re-read after the row lock: the other transaction may have finished it
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("任务已被他人办结"))
    if row.status not in (*InstanceStatus.OPEN, InstanceStatus.INCIDENT):
        raise Conflict(_("流程已结束"))
    workflow = store.load(row)
    spiff_task = store.find_task(workflow, task.id)
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict(_("任务状态已变化，请刷新"))
    with engine_run(row, user):
        spiff_task.task_spec.add_data_from_form(spiff_task, data)

        def step() -> None:
            spiff_task.run()
            workflow.do_engine_steps()

        incident = _advance(row, workflow, step, user)
        # A task whose own script failed is not done: what was submitted is kept, the task stays open.
        done = spiff_task.state == TaskState.COMPLETED
        on_behalf = {}
        if task.assignee_id not in (None, user.id):  # a deputy (委托) completes the principal's task
            principal = db.session.get(User, task.assignee_id)
            on_behalf = {"on_behalf_of": principal.display_name if principal else task.assignee_id}
        task_event(
            "task.completed" if done else "task.submitted",
            task,
            user,
            {"label": task.label, "form": data, **on_behalf},
        )
        # The task's row is closed by save: status, completed_at/by, assignee (if it was a queue task), draft.
        store.save(
            row,
            workflow,
            incident_open=incident is not None or row.status == InstanceStatus.INCIDENT,
            completer=user,
        )
    _flush()


# --- timers -------------------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one timer sweep did."""

    instances: int = 0
    timers_fired: int = 0
    incidents: int = 0
    skipped: int = 0
    instance_ids: list[int] = field(default_factory=list)


def due_instance_ids(now: datetime, limit: int) -> list[int]:
    """Ids of instances whose earliest timer is due (SKIP LOCKED on PostgreSQL).

    Only open instances have next_timer_at set (store.save clears it otherwise), so the one indexed range
    condition finds them: the cost depends on the number due, not on the number waiting.
    """
    query = (
        db.select(ProcessInstance.id)
        .where(ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


@dataclass
class TimerBatch:
    """What one batch of the timer sweep did, in its (not yet committed) transaction."""

    due: int  # instances found due
    fired: list[tuple[int, int, int]] = field(default_factory=list)  # (instance, timers fired, incidents)
    skipped: int = 0  # handled by another process first
    lost: bool = False  # another process wrote meanwhile (SQLite): nothing of the batch may be kept


def fire_timer_batch(now: datetime, batch: int) -> TimerBatch:
    """Wake up to `batch` instances whose timer is due, run and save each (in the caller's transaction, one
    savepoint per instance). A lost batch is to be rolled back: the next sweep does it. The entry point
    commits each batch and loops while a full one was found."""
    ids = due_instance_ids(now, batch)
    done = TimerBatch(len(ids))
    for instance_id in ids:
        try:
            with db.session.begin_nested():
                fired, incidents = _fire_one(instance_id, now)
        except StaleDataError:
            done.skipped += 1  # another process handled it first
            continue
        except OperationalError as err:
            # SQLite: another process wrote since this batch started reading; the next sweep goes on.
            if "locked" not in str(err).lower():
                raise
            done.lost = True
            return done
        done.fired.append((instance_id, fired, incidents))
    return done


def refresh_timers(row: ProcessInstance, workflow, now: datetime, actor: User | None) -> tuple[int, int]:
    """Let due timers fire and the engine move on; audit each fired timer. Returns (fired, incidents)."""
    before = {str(t.id): t for t in store.waiting_timer_tasks(workflow)}

    def step() -> None:
        workflow.refresh_timers()
        workflow.do_engine_steps()

    incidents = 1 if _advance(row, workflow, step, actor) is not None else 0
    after = {str(t.id) for t in store.waiting_timer_tasks(workflow)}
    fired = [t for task_id, t in before.items() if task_id not in after]
    for timer in fired:
        record(
            "timer.fired",
            object_type="timer",
            object_id=str(timer.id),
            instance_id=row.id,
            task_id=str(timer.id),
            data={
                "timer": timer.task_spec.bpmn_name or timer.task_spec.bpmn_id,
                "due": timer.internal_data.get("event_value"),
                "fired_at": now.isoformat(),
            },
        )
    return len(fired), incidents


def _fire_one(instance_id: int, now: datetime) -> tuple[int, int]:
    row = stored(ProcessInstance, instance_id)
    workflow = store.load(row)
    with engine_run(row, None):
        fired, incidents = refresh_timers(row, workflow, now, None)
        store.save(row, workflow, incident_open=incidents > 0)
    return fired, incidents


@on_deadlines_recomputed
def rearm_timers(changes) -> int:
    """Re-evaluate waiting timers whose deadline was recomputed (the calendar imported a year).

    The cached due time is cleared and the timer expression evaluated again on the new calendar (ENGINE-NOTES),
    so reminders derived from a deadline move with it. Human tasks enforced by these timers get the new due
    (store.save updates an open task's row when its deadline timer was evaluated again in the run).
    """
    by_instance: dict[int, set[str]] = {}
    for change in changes:
        if change.subject_type == "timer":
            instance_id, _sep, task_id = change.subject_id.partition("/")
            by_instance.setdefault(int(instance_id), set()).add(task_id)
    moved = 0
    now = clock.now()
    for instance_id, task_ids in sorted(by_instance.items()):
        row = db.session.get(ProcessInstance, instance_id)
        if row is None or row.status not in InstanceStatus.OPEN:
            continue
        workflow = store.load(row)
        timers = [t for t in (store.find_task(workflow, task_id) for task_id in task_ids) if t is not None]
        timers = [t for t in timers if t.state == TaskState.WAITING]
        if not timers:
            continue
        old = {str(t.id): t.internal_data.get("event_value") for t in timers}
        for timer in timers:
            timer.internal_data.pop("event_value", None)
        with engine_run(row, None):
            refresh_timers(row, workflow, now, None)
            for timer in timers:
                new_value = timer.internal_data.get("event_value")
                record(
                    "timer.rearmed",
                    object_type="timer",
                    object_id=str(timer.id),
                    instance_id=row.id,
                    task_id=str(timer.id),
                    data={"from": old[str(timer.id)], "to": new_value},
                )
                moved += 1
            store.save(row, workflow)  # the open tasks these timers enforce get the new deadline there
    return moved


# --- messages -----------------------------------------------------------------------------------------------


def deliver_message(
    business_key: str,
    name: str,
    payload: dict | None = None,
    actor: User | None = None,
    *,
    instance_id: int | None = None,
) -> list[int]:
    """Deliver message `name` to the open instances of `business_key` that wait for it (routed in SQL), or
    to the one instance `instance_id` of it (an answer to what that instance asked)."""
    query = db.select(ProcessInstance.id).where(
        ProcessInstance.business_key == business_key, ProcessInstance.status.in_(InstanceStatus.OPEN)
    )
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    ids = list(db.session.scalars(query))
    delivered = []
    for instance_id in ids:
        row = locked_instance(instance_id)
        workflow = store.load(row)
        if name not in store.waiting_message_names(workflow):
            continue
        with engine_run(row, actor):

            def step(workflow=workflow) -> None:
                workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload or {}))
                workflow.do_engine_steps()

            incident = _advance(row, workflow, step, actor)
            record(
                "message.delivered",
                actor=actor,
                object_type="instance",
                object_id=row.id,
                instance_id=row.id,
                data={"message": name, "payload": payload or {}},
            )
            with conflicts_as_409():  # another process saved the instance since it was read (SQLite)
                store.save(row, workflow, incident_open=incident is not None)
        delivered.append(row.id)
    if not delivered:
        raise NotFound(_("没有等待消息 %(name)s 的流程（业务编号 %(key)s）", name=name, key=business_key))
    _flush()
    return delivered


# --- incidents ----------------------------------------------------------------------------------------------


def open_incidents() -> list[Incident]:
    """Unresolved incidents, oldest first."""
    return list(
        db.session.scalars(
            db.select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.created_at)
        )
    )


def _unresolved_incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(_("故障记录不存在"))
    if incident.resolved_at is not None:
        raise Conflict(_("故障已处理"))
    return incident


def retry_incident(incident_id: int, user: User) -> Incident | None:
    """Retry the failed task after its cause is fixed; returns the new incident if it fails again."""
    require(user, "incident.resolve")
    incident = _unresolved_incident(incident_id)
    row = locked_instance(incident.instance_id)
    workflow = store.load(row)
    now = clock.now()
    incident.resolved_at = now
    incident.resolution = "retried"
    incident.resolved_by_id = user.id
    record("incident.retried", actor=user, object_type="incident", object_id=incident.id, instance_id=row.id)
    db.session.flush()
    with engine_run(row, user):

        def step() -> None:
            for failed in workflow.get_tasks(state=TaskState.ERROR):
                workflow.reset_from_task_id(failed.id)
            workflow.do_engine_steps()
            # A timer whose expression failed waits again, but unevaluated and unknown to the workflow's event
            # manager: evaluate it now, or its task keeps no deadline and the timer never fires.
            for timer in store.waiting_timer_tasks(workflow):
                if timer.internal_data.get("event_value") is None:
                    timer.task_spec._update(timer)
            workflow.do_engine_steps()

        again = _advance(row, workflow, step, user)
        still_open = db.session.scalar(
            db.select(Incident.id)
            .where(Incident.instance_id == row.id, Incident.resolved_at.is_(None))
            .limit(1)
        )
        with conflicts_as_409():
            store.save(row, workflow, incident_open=still_open is not None)
    _flush()
    return again


def cancel_instance(instance_id: int, user: User, reason: str) -> ProcessInstance:
    """Cancel an instance (and its open tasks and incidents), with a reason (an administrator's act)."""
    require(user, "incident.resolve")
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写取消原因"), fields={"reason": _("请填写取消原因")})
    row = locked_instance(instance_id)
    if row.status in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED):
        raise Conflict(_("流程已结束"))
    _cancel(row, user, reason)
    _flush()
    return row


def cancel_case(business_key: str, user: User, reason: str) -> list[int]:
    """Cancel every open instance of a case (a withdrawn application): the area checks who may; nothing is
    committed here. Ids of the instances cancelled."""
    ids = list(
        db.session.scalars(
            db.select(ProcessInstance.id).where(
                ProcessInstance.business_key == business_key,
                ProcessInstance.status.in_((*InstanceStatus.OPEN, InstanceStatus.INCIDENT)),
            )
        )
    )
    for instance_id in ids:
        _cancel(locked_instance(instance_id), user, reason)
    return ids


def _cancel(row: ProcessInstance, user: User, reason: str) -> None:
    workflow = store.load(row)
    workflow.cancel()
    now = clock.now()
    for incident in db.session.scalars(
        db.select(Incident).where(Incident.instance_id == row.id, Incident.resolved_at.is_(None))
    ):
        incident.resolved_at, incident.resolution, incident.resolved_by_id = now, "cancelled", user.id
    with engine_run(row, user), conflicts_as_409():
        store.save(row, workflow)
    row.status = InstanceStatus.CANCELLED
    row.next_timer_at = None
    row.completed_at = now
    for human in db.session.scalars(
        db.select(HumanTask).where(HumanTask.instance_id == row.id, HumanTask.status == TaskStatus.OPEN)
    ):
        human.status, human.completed_at = TaskStatus.CANCELLED, now
    record(
        "instance.cancelled",
        actor=user,
        object_type="instance",
        object_id=row.id,
        instance_id=row.id,
        data={"reason": reason},
    )
