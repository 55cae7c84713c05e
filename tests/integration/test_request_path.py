"""What a request costs (#21): the work it saves must not be done twice, and what it keeps must stay small.

A whole case — one resource on the provider route (§20), one on the direct route (§21) — over the JSON API,
checking the statements each step sends and the rows the finished case leaves.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import zlib
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from app import clock
from app.calendar.models import StoredDeadline
from app.catalog.models import Resource
from app.engine import registry, store
from app.engine.models import InstanceStatus, ProcessInstance
from app.extensions import db
from tests.conftest import api_token, bearer, captured_sql

RESOURCES = ("婚姻登记信息", "法人单位基础信息")


def _case(app, client) -> tuple[dict, str]:
    """A submitted two-resource case: (headers by user, case number)."""
    with app.app_context():
        codes = [db.session.scalar(db.select(Resource.code).where(Resource.name == n)) for n in RESOURCES]
    headers = {name: bearer(api_token(app, name)) for name in ("rst_applicant", "hb_operator", "mz_clerk")}
    body = {
        "purpose": "低保家庭经济状况核对",
        "reason": "依据《社会救助暂行办法》审核",
        "business_system": "社会救助系统",
        "scope": "全省低保申请人",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
        "resources": [{"code": code} for code in codes],
    }
    created = client.post("/api/v1/applications", json=body, headers=headers["rst_applicant"])
    assert created.status_code == 201, created.get_json()
    return headers, created.get_json()["number"]


def _task(client, headers: dict, step: str, number: str | None = None) -> str:
    (task,) = [
        t
        for t in client.get("/api/v1/tasks?scope=queue", headers=headers).get_json()["items"]
        if t["step"] == step and number in (None, t["business_key"])
    ]
    return task["id"]


def _complete(client, headers: dict, task_id: str, data: dict) -> None:
    answer = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    assert answer.status_code == 200, answer.get_json()


def test_a_case_reads_each_row_once_per_request_and_leaves_no_dead_weight(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
    headers, number = _case(app, client)
    _complete(
        client,
        headers["hb_operator"],
        _task(client, headers["hb_operator"], "normative_check"),
        {"accepted": True},
    )
    provider_task = _task(client, headers["mz_clerk"], "provider_authorization")
    with app.app_context(), captured_sql() as statements:
        _complete(client, headers["mz_clerk"], provider_task, {"granted": True})
    # The bearer token, its user and the user's roles: one statement.
    assert len([s for s in statements if "FROM api_token" in s]) == 1
    assert not [s for s in statements if s.lstrip().startswith("SELECT") and "FROM user_role" in s]
    # The line is read once, though the form's options (items, parameters) and each service operation of the
    # step (decision, telling the applicant) all look it up.
    by_id = [s for s in statements if "FROM application_line" in s and "WHERE application_line.id =" in s]
    assert len(by_id) == 1, by_id
    _complete(
        client,
        headers["hb_operator"],
        _task(client, headers["hb_operator"], "direct_authorization"),
        {"granted": True},
    )

    with app.app_context():
        row = db.session.scalar(db.select(ProcessInstance).where(ProcessInstance.business_key == number))
        assert row.status == InstanceStatus.COMPLETED
        # The finished state is kept at zlib's best level; running states are written at its fastest.
        raw = zlib.decompress(row.state)
        assert len(row.state) == len(zlib.compress(raw, 9)) < len(zlib.compress(raw, 1))
        # Deadlines on a published calendar are on the task rows; no timer deadline row is left behind.
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(StoredDeadline)
                .where(StoredDeadline.subject_type == "timer")
            )
            == 0
        )
        # JSON columns hold Chinese as UTF-8, not as \u escapes, and read back the same.
        stored = db.session.execute(
            text(
                "SELECT CAST(data AS TEXT) FROM audit_event WHERE action = 'task.completed' AND task_id = :t"
            ),
            {"t": provider_task},
        ).scalar()
        assert "提供部门授权：婚姻登记信息" in stored and "\\u" not in stored
        assert json.loads(stored)["form"] == {"granted": True}
    case = client.get(f"/api/v1/applications/{number}", headers=headers["rst_applicant"]).get_json()
    assert case["status"] == "decided" and {r["decision"] for r in case["resources"]} == {"granted"}


def test_rows_read_in_a_transaction_stay_in_it_until_it_ends(app, demo_content):
    with app.app_context():
        resource_id = db.session.scalar(db.select(Resource.id).where(Resource.name == RESOURCES[0]))
        db.session.rollback()
        with captured_sql() as statements:
            db.session.get(Resource, resource_id)
            gc.collect()  # nothing of ours refers to the row any more
            db.session.get(Resource, resource_id)
        assert len([s for s in statements if "FROM resource" in s]) == 1
        db.session.commit()
        with captured_sql() as statements:
            gc.collect()
            db.session.get(Resource, resource_id)  # a new transaction reads it again
        assert len([s for s in statements if "FROM resource" in s]) == 1


def test_gunicorn_workers_parse_the_deployed_processes_then_freeze_them(app, demo_content):
    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    registry._parsed.clear()
    try:
        settings.post_worker_init(SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    with app.app_context():
        assert {v.id for v in registry.latest_versions()} <= set(registry._parsed)


def _library_restore(row: ProcessInstance):
    """The instance restored by SpiffWorkflow's own converter (what app.engine.store did before #21)."""
    converter = store._converter()
    parsed = registry.parsed_by_id(row.process_version_id)
    state = store.decode_state(row.state)
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, deserializing=True)
    workflow.tasks = converter.mapping_from_dict(state["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(state["root"]))
    converter.set_default_attributes(workflow, state)
    converter.subprocesses_from_dict(state["subprocesses"], workflow)
    workflow.bpmn_events = converter.registry.restore(state.pop("bpmn_events", []))
    return workflow


def _library_state(workflow) -> dict:
    converter = store._converter()
    state = WorkflowConverter.to_dict(converter, workflow)
    state["subprocesses"] = converter.mapping_to_dict(workflow.subprocesses)
    state["bpmn_events"] = converter.registry.convert(workflow.bpmn_events)
    return state


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def test_the_store_reads_and_writes_states_exactly_as_spiffworkflow_does(app, client, demo_content):
    clock.freeze(datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
    _case(app, client)  # waiting for the normative check, its reminder and deadline timers armed
    headers, number = _case(app, client)  # checked: both resource_authorization subprocesses running
    _complete(
        client,
        headers["hb_operator"],
        _task(client, headers["hb_operator"], "normative_check", number),
        {"accepted": True},
    )
    headers, number = _case(app, client)  # finished
    for user, step, data in (
        ("hb_operator", "normative_check", {"accepted": True}),
        ("hb_operator", "direct_authorization", {"granted": True}),
        ("mz_clerk", "provider_authorization", {"granted": True}),
    ):
        _complete(client, headers[user], _task(client, headers[user], step, number), data)
    with app.app_context():
        rows = db.session.scalars(db.select(ProcessInstance).order_by(ProcessInstance.id)).all()
        assert {row.status for row in rows} == {InstanceStatus.RUNNING, InstanceStatus.COMPLETED}
        for row in rows:
            ours, theirs = store.private_copy(row), _library_restore(row)
            # Writing: the same state as the library's converter writes, from either copy.
            assert _canonical(store.state_of(ours)) == _canonical(_library_state(theirs))
            assert _canonical(store.state_of(theirs)) == _canonical(_library_state(theirs))
            # Reading: the same tasks with the same data, and the same events waited for.
            pairs = list(zip(store.all_tasks(ours), store.all_tasks(theirs), strict=True))
            assert pairs and all(
                (
                    a.id,
                    a._parent,
                    a._children,
                    a.state,
                    a.task_spec is b.task_spec,
                    _canonical(a.data),
                    _canonical(a.internal_data),
                )
                == (
                    b.id,
                    b._parent,
                    b._children,
                    b.state,
                    True,
                    _canonical(b.data),
                    _canonical(b.internal_data),
                )
                for a, b in pairs
            )
            waiting = [sorted(_canonical(vars(e)) for e in w.waiting_events()) for w in (ours, theirs)]
            assert waiting[0] == waiting[1]
            assert [t.id for t in ours.get_tasks(state=TaskState.READY)] == [
                t.id for t in theirs.get_tasks(state=TaskState.READY)
            ]
