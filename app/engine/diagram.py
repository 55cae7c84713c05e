"""What the case page's BPMN viewer shows: each diagram of an instance with its completed, active and overdue
steps (the instance's own process, and one diagram per called subprocess, e.g. per requested resource)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from xml.etree import ElementTree

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app import clock
from app.engine import store
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion, TaskStatus
from app.extensions import db

BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class DiagramView:
    """One diagram to draw, and the element ids to mark."""

    process_id: str
    title: str
    xml: str
    done: set[str] = field(default_factory=set)
    active: set[str] = field(default_factory=set)
    overdue: set[str] = field(default_factory=set)

    def as_json(self) -> dict:
        """The shape the viewer script reads."""
        return {
            "process": self.process_id,
            "title": self.title,
            "done": sorted(self.done),
            "active": sorted(self.active),
            "overdue": sorted(self.overdue),
        }


def processes_in(xml: str) -> list[tuple[str, str]]:
    """(id, name) of each process defined in a BPMN file; [] when it is not well-formed XML."""
    try:
        root = ElementTree.fromstring(xml.encode())
    except ElementTree.ParseError:
        return []
    return [
        (pid, p.get("name") or pid)
        for p in root.iter(f"{BPMN_NS}process")
        if (pid := p.get("id")) is not None
    ]


_sources: dict[int, dict[str, tuple[str, str]]] = {}


def process_sources(version: ProcessVersion) -> dict[str, tuple[str, str]]:
    """{process id: (name, BPMN XML of the file defining it)} for a deployed version (cached; versions are
    immutable)."""
    found = _sources.get(version.id)
    if found is None:
        found = {}
        for xml in version.files.values():
            for process_id, name in processes_in(xml):  # one without a layout is laid out in the browser
                found[process_id] = (name, xml)
        _sources[version.id] = found
    return found


def _mark(view: DiagramView, tasks, missed: set[tuple[str, str]]) -> None:
    for task in tasks:
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED:
            view.done.add(bpmn_id)
            if type(spec).__name__ == "BoundaryEvent":  # a deadline timer that fired: the step ran late
                view.overdue.add(bpmn_id)
        elif task.state & _ACTIVE and type(spec).__name__ != "BoundaryEvent":
            view.active.add(bpmn_id)
        if (str(task.id), bpmn_id) in missed:
            view.overdue.add(bpmn_id)
    view.done -= view.active


def _missed_deadlines(instance: ProcessInstance, now: datetime) -> set[tuple[str, str]]:
    """(task id, step) of human tasks open past their deadline, or completed after it."""
    rows = db.session.execute(
        select(
            HumanTask.id, HumanTask.spec_name, HumanTask.status, HumanTask.due_at, HumanTask.completed_at
        ).where(HumanTask.instance_id == instance.id, HumanTask.due_at.is_not(None))
    )
    missed = set()
    for task_id, step, status, due_at, completed_at in rows:
        finished = completed_at if status == TaskStatus.COMPLETED and completed_at else now
        if due_at is not None and finished > due_at:
            missed.add((task_id, step))
    return missed


def _subprocess_title(name: str, sub, index: int) -> str:
    for task in sub.tasks.values():
        data = task.data or {}
        request = data.get("request") if isinstance(data.get("request"), dict) else data
        resource = request.get("resource_name") if isinstance(request, dict) else None
        if resource:
            return f"{name}：{resource}"
    return f"{name} #{index}"


def instance_diagrams(instance: ProcessInstance) -> list[DiagramView]:
    """The instance's diagram and its subprocesses' diagrams, marked from the saved workflow state."""
    sources = process_sources(instance.process_version)
    workflow = store.peek(instance)
    missed = _missed_deadlines(instance, clock.now())
    name, xml = sources[instance.process_id]
    main = DiagramView(instance.process_id, name, xml)
    _mark(main, workflow.tasks.values(), missed)
    views = [main]
    for index, sub in enumerate(workflow.subprocesses.values(), start=1):
        process_id = sub.spec.name
        if process_id not in sources:  # an embedded subprocess: drawn inside its parent's diagram
            _mark(main, sub.tasks.values(), missed)
            continue
        sub_name, sub_xml = sources[process_id]
        view = DiagramView(process_id, _subprocess_title(sub_name, sub, index), sub_xml)
        _mark(view, sub.tasks.values(), missed)
        views.append(view)
    return views
