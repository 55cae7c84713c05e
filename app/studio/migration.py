"""Moving running cases to a newer version of their process (the analyst studio, part 5).

A case keeps the version it started with (ENGINE-FACTS: running instances keep their spec). When an analyst
corrects a procedure, the running cases of older versions can be moved to the new one, one by one, after a
dry run that says for each case which of its steps map onto the new version and why a case cannot move.

How a case moves (SpiffWorkflow's `diff_workflow` aligns the old specs with the new ones, by id first, then
by structure): every task of the case and of its called processes gets the aligned spec of the new version;
tasks keep their ids, so open human tasks, their claims and drafts stay; the predicted (not yet reached)
steps after an open step are predicted again from the new diagram. `migrate_workflow` is not used as is: it
resets ready and waiting tasks, which would give open human tasks new ids and drop their subprocesses.

A case is refused when a step it has reached (done, open or waiting) no longer exists in the new version or
changed its kind, when it calls a process the new version does not have, or while it has an open incident.

Deadlines of open steps (办法§19/§20/§21 periods, evaluated when the step was reached): kept as they were
(a case started under the old rule keeps it), or recomputed with the new version's timer expressions from
the same starting moments. The analyst chooses; both are shown in the dry run. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.util.task import TaskState

from app import clock
from app.access import require
from app.audit.writer import record
from app.engine import registry, runtime, store
from app.engine.models import HumanTask, InstanceStatus, ProcessInstance, ProcessVersion, TaskStatus
from app.engine.scripting import SCRIPT_ENGINE
from app.errors import NotFound, ValidationFailed
from app.extensions import db, stored
from app.org.models import User

KEEP, RECOMPUTE = "keep", "recompute"
DEADLINE_MODES = (KEEP, RECOMPUTE)

_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
_OPEN_LEAF = TaskState.READY | TaskState.WAITING


@dataclass
class TimerChange:
    """A waiting timer of the case: its due time now and under the new version's expression."""

    step: str
    current: str | None
    recomputed: str | None


@dataclass
class InstancePlan:
    """The dry run of one case."""

    instance_id: int
    business_key: str
    from_version: int
    to_version: int
    status: str
    open_steps: list[str] = field(default_factory=list)
    changed_steps: list[str] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.refused


def _label(spec) -> str:
    return spec.bpmn_name or spec.bpmn_id or spec.name


def target_version(process_id: str, version: int | None = None) -> ProcessVersion:
    """The version to move to: `version` of `process_id`, or its latest."""
    if version is None:
        return registry.latest_version(process_id)
    found = db.session.scalar(
        db.select(ProcessVersion).where(
            ProcessVersion.process_id == process_id, ProcessVersion.version == version
        )
    )
    if found is None:
        raise NotFound(_("流程 %(p)s 没有版本 v%(v)d", p=process_id, v=version))
    return found


def candidates(
    process_id: str, target: ProcessVersion, from_version: int | None = None
) -> list[ProcessInstance]:
    """Open cases of `process_id` on an older version than `target` (or on exactly `from_version`)."""
    query = (
        db.select(ProcessInstance)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.status.in_((*InstanceStatus.OPEN, InstanceStatus.INCIDENT)),
            ProcessVersion.version < target.version,
        )
        .order_by(ProcessInstance.id)
    )
    if from_version is not None:
        query = query.where(ProcessVersion.version == from_version)
    return list(db.session.scalars(query))


def _diffs(workflow, target: ProcessVersion):
    parsed = registry.parsed(target)
    top, subs = diff_workflow(store.SERIALIZER.registry, workflow, parsed.spec, parsed.subprocess_specs)
    parts = [(workflow, top, parsed.spec)]
    missing = []
    for sub_id, sub_diff in subs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None:
            missing.append(sub.spec.name)
        else:
            parts.append((sub, sub_diff, parsed.subprocess_specs[sub.spec.name]))
    return parts, missing, parsed


def _problems(parts, missing: list[str], row: ProcessInstance) -> list[str]:
    problems = [_("调用的流程 %(p)s 在新版本中不存在", p=name) for name in sorted(set(missing))]
    if row.status == InstanceStatus.INCIDENT:
        problems.append(_("案件有未处理的故障，先重试或取消"))
    for _wf, diff, _spec in parts:
        for task in diff.removed:
            if task.state & _REACHED:
                problems.append(_("步骤「%(s)s」本案件已经到达，新版本中没有它", s=_label(task.task_spec)))
            elif not _repredictable(task):
                problems.append(
                    _("步骤「%(s)s」在新版本中被删除，无法重新预测其后的步骤", s=_label(task.task_spec))
                )
        for task in diff.changed:
            if task.state & (_REACHED & ~TaskState.COMPLETED) and "typename" in diff_changes(diff, task):
                problems.append(_("进行中的步骤「%(s)s」在新版本中改变了类型", s=_label(task.task_spec)))
    return list(dict.fromkeys(problems))


def diff_changes(diff, task) -> list[str]:
    """The changed attributes of a task's spec (WorkflowDiff keeps only the tasks; the aligned spec is known)."""
    new = diff.alignment.get(task)
    if new is None:
        return []
    old = store.SERIALIZER.registry.convert(task.task_spec)
    now = store.SERIALIZER.registry.convert(new)
    if old.get("typename") != now.get("typename"):
        return ["typename"]
    return [key for key, value in old.items() if now.get(key) != value]


def _repredictable(task) -> bool:
    """A predicted task whose nearest reached ancestor is an open leaf: its branch is predicted again."""
    ancestor = task.parent
    while ancestor is not None and ancestor.state & _PREDICTED:
        ancestor = ancestor.parent
    return ancestor is not None and bool(ancestor.state & _OPEN_LEAF) and _open_leaf(ancestor)


def _open_leaf(task) -> bool:
    return all(child.state & _PREDICTED for child in task.children)


def _swap(parts, parsed) -> None:
    """Give every task its aligned spec of the new version and predict the unreached steps again."""
    workflow = parts[0][0]
    workflow.subprocess_specs = parsed.subprocess_specs
    for wf, diff, spec in parts:
        wf.spec = spec
        for task in list(wf.tasks.values()):
            aligned = diff.alignment.get(task)
            if aligned is not None:
                task.task_spec = aligned
        for task in [t for t in wf.tasks.values() if t.state & _OPEN_LEAF and t.children and _open_leaf(t)]:
            if task.id not in wf.tasks:
                continue
            task._drop_children(force=True)
            task.task_spec._predict_hook(task)
            for child in task.children:
                child.task_spec._predict(child, mask=_PREDICTED)


def _timer_tasks(workflow) -> list:
    return [
        t
        for t in store.all_tasks(workflow)
        if t.state == TaskState.WAITING
        and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)
    ]


def _recomputed(task) -> str | None:
    """The due time the new version's expression gives this waiting timer (date timers; others restart)."""
    definition = task.task_spec.event_definition
    if not isinstance(definition, TimeDateEventDefinition):
        return None
    return str(SCRIPT_ENGINE.evaluate(task, definition.expression))


def _plan_loaded(row: ProcessInstance, workflow, target: ProcessVersion) -> tuple[InstancePlan, list, object]:
    from_version = stored(ProcessVersion, row.process_version_id).version
    plan = InstancePlan(row.id, row.business_key, from_version, target.version, row.status)
    parts, missing, parsed = _diffs(workflow, target)
    plan.refused = _problems(parts, missing, row)
    for _wf, diff, _spec in parts:
        for task in diff.changed:
            if task.state & (_REACHED & ~TaskState.COMPLETED):
                plan.changed_steps.append(_label(task.task_spec))
    plan.open_steps = [_label(t.task_spec) for t in store.open_user_tasks(workflow).values()]
    if not plan.refused:
        _swap(parts, parsed)
        with runtime.engine_run(row, None):
            for timer in _timer_tasks(workflow):
                try:
                    value = _recomputed(timer)
                except Exception as err:  # the new expression cannot be evaluated with this case's data
                    plan.refused.append(
                        _("期限「%(s)s」无法按新版本计算：%(e)s", s=_label(timer.task_spec), e=err)
                    )
                    continue
                plan.timers.append(
                    TimerChange(_label(timer.task_spec), timer.internal_data.get("event_value"), value)
                )
    return plan, parts, parsed


def dry_run(
    user: User,
    process_id: str,
    *,
    to_version: int | None = None,
    from_version: int | None = None,
    instance_ids: list[int] | None = None,
) -> list[InstancePlan]:
    """What moving each open case of an older version would do. Changes nothing."""
    require(user, "process.deploy")
    target = target_version(process_id, to_version)
    rows = candidates(process_id, target, from_version)
    if instance_ids is not None:
        rows = [r for r in rows if r.id in set(instance_ids)]
    plans = []
    for row in rows:
        # Planned on a private copy: the dry run swaps specs to evaluate the new deadlines.
        plans.append(_plan_loaded(row, store.private_copy(row), target)[0])
    return plans


def migrate(
    user: User,
    process_id: str,
    instance_ids: list[int],
    *,
    deadlines: str,
    to_version: int | None = None,
    comment: str = "",
) -> list[InstancePlan]:
    """Move the chosen cases to the new version. A refused case is left as it is and reported; the others
    move, each audited with its deadlines before and after."""
    require(user, "process.deploy")
    if deadlines not in DEADLINE_MODES:
        raise ValidationFailed(
            _("请选择期限处理方式"), fields={"deadlines": _("请选择保留原期限或按新版本重算")}
        )
    if not instance_ids:
        raise ValidationFailed(_("请选择要迁移的案件"), fields={"instances": _("请选择要迁移的案件")})
    target = target_version(process_id, to_version)
    wanted = set(instance_ids)
    results = []
    for candidate in [r for r in candidates(process_id, target) if r.id in wanted]:
        row = runtime.locked_instance(candidate.id)
        workflow = store.load(row)
        plan, _parts, _parsed = _plan_loaded(row, workflow, target)
        results.append(plan)
        if not plan.allowed:
            continue
        row.process_version_id = target.id
        with runtime.engine_run(row, user):
            if deadlines == RECOMPUTE:
                # Cleared and evaluated again in this run (ENGINE-FACTS), so the open tasks' rows and the stored
                # working-day deadlines follow; a deadline already past fires its reminders now.
                for timer in _timer_tasks(workflow):
                    timer.internal_data.pop("event_value", None)
                runtime.refresh_timers(row, workflow, clock.now(), user)
            store.save(row, workflow, incident_open=False)
        _refresh_open_rows(row, workflow)
        record(
            "instance.migrated",
            actor=user,
            object_type="instance",
            object_id=row.id,
            instance_id=row.id,
            data={
                "process_id": process_id,
                "from": plan.from_version,
                "to": target.version,
                "deadlines": deadlines,
                "comment": comment,
                "timers": [[t.step, t.current, t.recomputed] for t in plan.timers],
            },
        )
    missing = wanted - {p.instance_id for p in results}
    if missing:
        raise NotFound(_("案件不在可迁移之列：%(ids)s", ids="、".join(str(i) for i in sorted(missing))))
    return results


def _refresh_open_rows(row: ProcessInstance, workflow) -> None:
    """Open human tasks take the new version's step name, role, department and form."""
    for task_id, task in store.open_user_tasks(workflow).items():
        human = db.session.get(HumanTask, task_id)
        if human is None or human.status != TaskStatus.OPEN:
            continue
        fresh = store.materialize(row, task)
        human.label, human.candidate_role, human.form = fresh.label, fresh.candidate_role, fresh.form
        human.candidate_department_id = fresh.candidate_department_id
        human.spec_name = fresh.spec_name
