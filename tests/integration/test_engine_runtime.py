"""The engine through its service functions: deploy, start, tasks, deadlines, timers, messages, incidents."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime

import pytest

from app import clock, scheduler
from app.audit.models import AuditEvent
from app.engine import runtime, store
from app.engine.models import HumanTask, Incident, InstanceStatus, ProcessInstance, TaskStatus
from app.engine.operations import operation
from app.engine.registry import latest_version, list_versions
from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.extensions import db
from app.notices.models import Notification
from app.notices.notifications import notifications_for, unread_count
from app.transactions import unit_of_work
from tests.conftest import DATA, captured_sql, deploy_test_models, user
from tests.integration.test_cli import run

SAMPLE = (DATA / "bpmn" / "engine_sample.bpmn").read_text(encoding="utf-8")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def start_sample(key: str = "GS-2026-0001") -> ProcessInstance:
    return runtime.start_instance(
        "engine_sample",
        business_key=key,
        data={
            "applicant_department_id": user("rst_applicant").department_id,
            "provider_department_id": user("gat_provider").department_id,
        },
        actor=user("rst_applicant"),
    )


def open_task(instance_id: int) -> HumanTask:
    return db.session.scalar(
        db.select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
    )


# --- deployment ------------------------------------------------------------------------------------------


def test_deploy_creates_a_version_once_and_records_who_and_why(engine_ready):
    version = latest_version("engine_sample")
    assert (version.version, version.comment) == (1, "test")
    assert set(version.forms) == {"sample_submit.json", "sample_check.json", "sample_decide.json"}
    result = deploy_test_models("engine_sample.bpmn", comment="again")
    assert result.created == [] and result.unchanged == ["engine_sample"]
    assert len(list_versions("engine_sample")) == 1
    assert (
        db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "process.deployed")).data[
            "version"
        ]
        == 1
    )


def test_running_instances_keep_their_version_new_ones_start_on_the_latest(engine_ready, tmp_path):
    clock.freeze(at("2026-09-30T10:00:00+08:00"))
    first = start_sample("GS-A")
    runtime.complete_task(open_task(first.id).id, user("rst_applicant"), {"purpose": "社保待遇资格认证"})
    changed = tmp_path / "engine_sample.bpmn"
    changed.write_text(
        SAMPLE.replace("deadline(received_at, 3)</bpmn:timeDate>", "deadline(received_at, 5)</bpmn:timeDate>")
    )
    from app.studio.deploy import deploy

    result = deploy([changed], forms_dir=DATA / "forms", comment="§19 改为5个工作日（测试）")
    assert [v.version for v in result.created] == [2]
    second = start_sample("GS-B")
    runtime.complete_task(open_task(second.id).id, user("rst_applicant"), {"purpose": "社保待遇资格认证"})
    assert open_task(first.id).due_date == date(2026, 10, 10)  # 3 working days, version 1
    assert open_task(second.id).due_date == date(2026, 10, 13)  # 5 working days, version 2
    assert db.session.get(ProcessInstance, first.id).process_version.version == 1
    assert db.session.get(ProcessInstance, second.id).process_version.version == 2


def test_starting_an_undeployed_process_is_a_clear_404(app, seeded):
    from app.errors import NotFound

    with app.app_context(), pytest.raises(NotFound, match="尚未部署"):
        runtime.start_instance("nope", business_key="X")


# --- human tasks and deadlines ------------------------------------------------------------------------------


def test_start_materializes_the_first_human_task(engine_ready):
    row = start_sample()
    task = open_task(row.id)
    assert (task.label, task.candidate_role, task.form) == (
        "提交申请",
        "applicant_clerk",
        "sample_submit.json",
    )
    assert task.candidate_department_id == user("rst_applicant").department_id
    assert row.status == InstanceStatus.RUNNING and row.business_key == "GS-2026-0001"
    assert row.serializer_version.startswith("spiff-3.2.0/")
    assert "task_specs" not in store.decode_state(
        row.state
    )  # the spec is stored once per version, not per instance


def test_task_deadline_comes_from_the_calendar_and_equals_the_timer(engine_ready):
    clock.freeze(at("2026-09-30T10:00:00+08:00"))
    row = start_sample()
    runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
    check = open_task(row.id)
    assert check.label == "规范性检查"
    # 办法§19: 3 working days after Wednesday 09-30 end on the make-up Saturday 10-10, at 24:00 Beijing time.
    assert (check.due_date, check.deadline_days, check.deadline_provisional) == (date(2026, 10, 10), 3, False)
    assert check.due_at.isoformat() == "2026-10-10T16:00:00+00:00"
    state = store.decode_state(db.session.get(ProcessInstance, row.id).state)
    timer_values = [
        t["internal_data"].get("event_value")
        for t in state["tasks"].values()
        if t["task_spec"] == "check_overdue"
    ]
    assert timer_values == ["2026-10-11T00:00:00+08:00"]
    # The platform operator of the applicant's platform is the candidate department.
    assert check.candidate_department_id == user("hb_operator").department_id


def test_form_errors_are_per_field_in_chinese_and_nothing_moves(engine_ready):
    row = start_sample()
    task = open_task(row.id)
    with pytest.raises(ValidationFailed) as info:
        runtime.complete_task(task.id, user("rst_applicant"), {"purpose": "", "extra": 1})
    assert info.value.fields == {"purpose": "请填写用途", "extra": "表单中没有这个字段"}
    assert open_task(row.id).id == task.id


def test_refusal_reasons_are_required_when_not_accepted(engine_ready):
    row = start_sample()
    runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
    check = open_task(row.id)
    with pytest.raises(ValidationFailed) as info:
        runtime.complete_task(check.id, user("hb_operator"), {"accepted": False})
    assert info.value.fields == {"reasons": "请填写不予受理理由"}
    runtime.complete_task(check.id, user("hb_operator"), {"accepted": False, "reasons": "用途不明确"})
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.COMPLETED


def test_only_candidates_may_claim_and_complete(engine_ready):
    row = start_sample()
    task = open_task(row.id)
    with pytest.raises(PermissionDenied):
        runtime.complete_task(task.id, user("wh_applicant"), {"purpose": "x"})  # same role, other department
    with pytest.raises(PermissionDenied):
        runtime.claim_task(task.id, user("gat_provider"))  # other role
    runtime.claim_task(task.id, user("rst_applicant"))
    assert open_task(row.id).assignee_id == user("rst_applicant").id
    runtime.unclaim_task(task.id, user("rst_applicant"))
    assert open_task(row.id).assignee_id is None


def test_a_claimed_task_belongs_to_its_assignee_until_reassigned(engine_ready):
    from app.org.services import create_user

    create_user(
        username="rst2",
        display_name="二号",
        department_code="湖北省人力资源和社会保障厅",
        roles=["applicant_clerk"],
        password="a-long-password",
        demo=True,
    )
    row = start_sample()
    task = open_task(row.id)
    runtime.claim_task(task.id, user("rst_applicant"))
    with pytest.raises(Conflict, match="已被"):
        runtime.claim_task(task.id, user("rst2"))
    with pytest.raises(PermissionDenied):
        runtime.complete_task(task.id, user("rst2"), {"purpose": "x"})
    with pytest.raises(PermissionDenied):
        runtime.reassign_task(task.id, user("rst2"), user("rst_applicant"))  # clerks cannot reassign
    runtime.reassign_task(task.id, user("rst2"), user("supervisor"))
    with pytest.raises(ValidationFailed):
        runtime.reassign_task(task.id, user("gat_provider"), user("supervisor"))  # not a candidate
    runtime.complete_task(task.id, user("rst2"), {"purpose": "x"})
    done = db.session.get(HumanTask, task.id)
    assert (done.status, done.completed_by_id) == (TaskStatus.COMPLETED, user("rst2").id)


def test_completing_a_finished_task_is_a_conflict(engine_ready):
    row = start_sample()
    task = open_task(row.id)
    runtime.complete_task(task.id, user("rst_applicant"), {"purpose": "x"})
    with pytest.raises(Conflict):
        runtime.complete_task(task.id, user("rst_applicant"), {"purpose": "x"})


# --- timers --------------------------------------------------------------------------------------------------


def _at_check(key: str = "GS-T") -> ProcessInstance:
    clock.freeze(at("2026-09-30T10:00:00+08:00"))
    row = start_sample(key)
    runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
    return row


def test_deadline_timer_fires_exactly_at_expiry_across_the_holiday(engine_ready):
    row = _at_check()
    clock.freeze(at("2026-10-09T08:59:00+08:00"))
    assert scheduler.fire_due_timers().timers_fired == 0
    clock.freeze(at("2026-10-09T09:00:01+08:00"))  # reminder: 09:00 one working day before 10-10
    assert scheduler.fire_due_timers().timers_fired == 1
    assert "明天到期" in db.session.scalars(db.select(Notification)).one().message
    clock.freeze(at("2026-10-10T23:59:59+08:00"))  # still the make-up working day: not yet overdue
    assert scheduler.fire_due_timers().timers_fired == 0
    clock.freeze(at("2026-10-11T00:00:01+08:00"))
    result = scheduler.fire_due_timers()
    assert (result.timers_fired, result.instance_ids) == (1, [row.id])
    notes = [n.message for n in db.session.scalars(db.select(Notification).order_by(Notification.id))]
    assert notes[-1] == "规范性检查已超期"
    # Overdue marks and urges; nothing is auto-decided: the check is still open.
    assert open_task(row.id).label == "规范性检查"
    fired = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "timer.fired").order_by(AuditEvent.seq)
    ).all()
    assert [e.data["timer"] for e in fired] == ["到期提醒", "检查超期"]


def test_a_server_down_past_two_deadlines_fires_both_on_the_next_sweep(engine_ready):
    row = _at_check()
    clock.freeze(at("2026-10-20T10:00:00+08:00"))
    result = scheduler.fire_due_timers()
    assert (result.instances, result.timers_fired) == (1, 2)
    assert db.session.get(ProcessInstance, row.id).next_timer_at is None
    assert scheduler.fire_due_timers().timers_fired == 0


def test_a_sweep_touches_only_due_instances(engine_ready):
    for n in range(3):
        _at_check(f"GS-{n}")
    with captured_sql() as statements:
        clock.freeze(at("2026-10-01T10:00:00+08:00"))
        assert scheduler.fire_due_timers().instances == 0
    assert len([s for s in statements if "process_instance" in s]) == 1  # one indexed query, no loading


def test_timer_sweep_leaves_human_task_rows_alone(engine_ready):
    _at_check()
    with captured_sql() as statements:
        clock.freeze(at("2026-10-09T10:00:00+08:00"))
        assert scheduler.fire_due_timers().timers_fired == 1
    assert not [s for s in statements if s.startswith(("UPDATE human_task", "INSERT INTO human_task"))]


def test_cli_timers_fire_with_now(app, engine_ready):
    _at_check()
    result = run(app, "--now", "2026-10-12T10:00:00+08:00", "timers", "fire")
    assert "timers fired: 2" in result.output, result.output


def test_importing_next_years_calendar_rearms_provisional_timers(engine_ready):
    from app.calendar.services import import_arrangement

    clock.freeze(at("2026-12-31T10:00:00+08:00"))
    row2 = start_sample("GS-2027")
    runtime.complete_task(open_task(row2.id).id, user("rst_applicant"), {"purpose": "x"})
    check2 = open_task(row2.id)
    # Provisional 2027: 01-01 元旦 off → 01-04, 01-05, 01-06.
    assert (check2.due_date, check2.deadline_provisional) == (date(2027, 1, 6), True)
    document = json.loads((DATA / "arrangement_2027_test.json").read_text())
    document["holidays"][0]["end"] = "2027-01-04"  # this test's 2027 notice gives 01-04 off as well
    import_arrangement(document, comment="test")
    check2 = open_task(row2.id)
    assert (check2.due_date, check2.deadline_provisional) == (date(2027, 1, 7), False)
    assert check2.due_at.isoformat() == "2027-01-07T16:00:00+00:00"
    state = store.decode_state(db.session.get(ProcessInstance, row2.id).state)
    values = {t["task_spec"]: t["internal_data"].get("event_value") for t in state["tasks"].values()}
    assert values["check_overdue"] == "2027-01-08T00:00:00+08:00"
    rearmed = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "timer.rearmed")).all()
    assert sorted((e.data["from"], e.data["to"]) for e in rearmed) == [
        ("2027-01-05T09:00:00+08:00", "2027-01-06T09:00:00+08:00"),  # the reminder moved with its deadline
        ("2027-01-07T00:00:00+08:00", "2027-01-08T00:00:00+08:00"),
    ]
    clock.freeze(at("2027-01-07T23:00:00+08:00"))
    assert scheduler.fire_due_timers().timers_fired == 1  # the reminder, not yet the deadline


# --- incidents -----------------------------------------------------------------------------------------------

FLAKY = {"fail": True}


@operation("test_flaky")
def _flaky(task, value: int) -> dict:
    if FLAKY["fail"]:
        raise ConnectionError("国家共享平台接口超时")
    return {"echo": value}


def test_a_failing_service_becomes_an_incident_with_the_real_error_and_can_be_retried(engine_ready, tmp_path):
    flaky = tmp_path / "engine_sample.bpmn"
    flaky.write_text(
        SAMPLE.replace(
            '<spiffworkflow:serviceTaskOperator id="notify" resultVariable="overdue_notice">',
            '<spiffworkflow:serviceTaskOperator id="test_flaky" resultVariable="overdue_notice">',
        )
        .replace(
            """<spiffworkflow:parameter id="message" type="str" value="'规范性检查已超期'" />""",
            """<spiffworkflow:parameter id="value" type="int" value="42" />""",
        )
        .replace(
            """<spiffworkflow:parameter id="role" type="str" value="'platform_operator'" />
            <spiffworkflow:parameter id="department_id" type="int" value="platform_operator(applicant_department_id)" />
            <spiffworkflow:parameter id="value\"""",
            """<spiffworkflow:parameter id="value\"""",
        )
    )
    from app.studio.deploy import deploy

    assert deploy([flaky], forms_dir=DATA / "forms").problems == []
    FLAKY["fail"] = True
    row = _at_check()
    clock.freeze(at("2026-10-12T10:00:00+08:00"))
    result = scheduler.fire_due_timers()
    assert result.incidents == 1
    incident = db.session.scalars(db.select(Incident)).one()
    assert "ConnectionError: 国家共享平台接口超时" in incident.message
    assert "NameError" not in incident.message
    assert incident.task_name == "标记超期并督促"
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.INCIDENT
    # The human task is not lost: it is still open.
    assert open_task(row.id).label == "规范性检查"
    FLAKY["fail"] = False
    assert runtime.retry_incident(incident.id, user("admin")) is None
    assert db.session.get(Incident, incident.id).resolution == "retried"
    instance = db.session.get(ProcessInstance, row.id)
    assert instance.status == InstanceStatus.RUNNING
    assert store.decode_state(instance.state)["tasks"]
    runtime.complete_task(open_task(row.id).id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(open_task(row.id).id, user("gat_provider"), {"granted": True})
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.COMPLETED
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert "incident.created" in actions and "incident.retried" in actions


def test_only_admins_retry_and_cancel_needs_a_reason(engine_ready):
    row = start_sample()
    with pytest.raises(PermissionDenied):
        runtime.cancel_instance(row.id, user("rst_applicant"), "不需要了")
    with pytest.raises(ValidationFailed):
        runtime.cancel_instance(row.id, user("admin"), " ")
    runtime.cancel_instance(row.id, user("admin"), "申请人撤回")
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.CANCELLED
    assert db.session.scalars(db.select(HumanTask)).one().status == TaskStatus.CANCELLED


# --- messages ------------------------------------------------------------------------------------------------


def test_messages_are_routed_by_business_key(app, seeded):
    with app.app_context():
        deploy_test_models("message_sample.bpmn")
        runtime.start_instance("message_sample", business_key="GS-M1", data={})
        other = runtime.start_instance("message_sample", business_key="GS-M2", data={})
        delivered = runtime.deliver_message("GS-M1", "provider_answered", {"answer": "同意"})
        assert len(delivered) == 1
        first = db.session.get(ProcessInstance, delivered[0])
        assert first.status == InstanceStatus.COMPLETED
        assert store.instance_data(first)["answer"] == "同意"
        assert db.session.get(ProcessInstance, other.id).status == InstanceStatus.WAITING
        from app.errors import NotFound

        with pytest.raises(NotFound):
            runtime.deliver_message("GS-M1", "provider_answered", {})
        assert (
            db.session.scalar(
                db.select(AuditEvent).where(AuditEvent.action == "message.delivered")
            ).instance_id
            == first.id
        )


# --- notifications, audit ------------------------------------------------------------------------------------


def test_notifications_reach_the_role_in_the_department(engine_ready):
    _at_check()
    clock.freeze(at("2026-10-12T10:00:00+08:00"))
    scheduler.fire_due_timers()
    assert unread_count(user("hb_operator")) == 2
    assert unread_count(user("wh_operator")) == 0  # another platform's operator
    assert unread_count(user("rst_applicant")) == 0
    from app.notices.notifications import mark_read

    note = notifications_for(user("hb_operator"))[0]
    assert note.link == "/cases/GS-T"
    mark_read(user("hb_operator"), note.id)
    assert unread_count(user("hb_operator")) == 1


def test_every_step_is_audited_with_actor_instance_and_task(engine_ready):
    row = _at_check()
    check = open_task(row.id)
    runtime.claim_task(check.id, user("hb_operator"))
    runtime.complete_task(check.id, user("hb_operator"), {"accepted": True})
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.instance_id == row.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "instance.started",
        "task.created",
        "task.completed",
        "task.created",
        "task.claimed",
        "task.completed",
        "task.created",
    ]
    completed = events[5]
    assert (completed.actor_name, completed.task_id, completed.data["form"]) == (
        "hb_operator",
        check.id,
        {"accepted": True},
    )


# --- concurrency ---------------------------------------------------------------------------------------------


def test_two_people_completing_the_same_task_one_wins_one_gets_a_conflict(app, engine_ready):
    from app.org.services import create_user

    create_user(
        username="hb_operator2",
        display_name="省平台审核员二",
        department_code="湖北省数据局",
        roles=["platform_operator"],
        password="a-long-password",
        demo=True,
    )
    row = _at_check()
    task_id = open_task(row.id).id
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(username: str) -> None:
        with app.app_context():
            actor = user(username)
            barrier.wait()
            try:
                with unit_of_work():  # each person's request
                    runtime.complete_task(task_id, actor, {"accepted": True})
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("hb_operator", "hb_operator2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    decided = db.session.scalars(
        db.select(HumanTask).where(HumanTask.instance_id == row.id, HumanTask.label == "授权")
    ).all()
    assert len(decided) == 1  # the engine moved on exactly once


def test_a_committed_workflow_is_reused_only_while_its_row_is_unchanged(engine_ready):
    row = start_sample()
    with unit_of_work():
        runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
    warm = store._warm[row.id]  # kept once the use case committed
    assert warm[0] == db.session.get(ProcessInstance, row.id).lock_version
    # Another process changes the instance: the lock version moves on and the warm copy is not used.
    db.session.execute(
        db.update(ProcessInstance)
        .where(ProcessInstance.id == row.id)
        .values(lock_version=ProcessInstance.lock_version + 1)
    )
    db.session.commit()
    db.session.expire_all()
    fresh = store.load(db.session.get(ProcessInstance, row.id))
    assert fresh is not warm[2]


def test_a_failed_transaction_never_hands_its_workflow_back(engine_ready):
    row = start_sample()
    task = open_task(row.id)
    store._warm.clear()
    with pytest.raises(ValidationFailed):
        runtime.complete_task(task.id, user("rst_applicant"), {"purpose": ""})
    assert row.id not in store._warm


# --- the instance store's writes -----------------------------------------------------------------------------


def _stored_task(task_id: str) -> dict:
    """The task's row as stored (read past the session's identity map)."""
    return dict(
        db.session.execute(db.select(HumanTask.__table__).where(HumanTask.id == task_id)).mappings().one()
    )


def test_completing_a_queue_task_records_the_completer_as_assignee_in_the_row_and_the_session(engine_ready):
    clock.freeze(at("2026-09-30T10:00:00+08:00"))
    row = start_sample()
    task = open_task(row.id)
    assert task.assignee_id is None
    clerk = user("rst_applicant")
    clock.freeze(at("2026-09-30T11:30:00+08:00"))
    runtime.complete_task(task.id, clerk, {"purpose": "x"})
    stored = _stored_task(task.id)
    assert (stored["status"], stored["assignee_id"], stored["completed_by_id"]) == (
        "completed",
        clerk.id,
        clerk.id,
    )
    assert clock.as_utc(stored["completed_at"]) == at("2026-09-30T11:30:00+08:00")
    # The object the caller holds says the same, without a reload.
    assert (task.status, task.assignee_id, task.completed_by_id) == ("completed", clerk.id, clerk.id)


def test_completing_keeps_the_assignee_and_drops_the_draft(engine_ready):
    from app.org.services import create_user

    create_user(
        username="rst2",
        display_name="二号",
        department_code="湖北省人力资源和社会保障厅",
        roles=["applicant_clerk"],
        password="a-long-password",
        demo=True,
    )
    row = start_sample()
    task = open_task(row.id)
    runtime.save_draft(task.id, user("rst_applicant"), {"purpose": "草稿"})
    runtime.reassign_task(task.id, user("rst2"), user("supervisor"))
    runtime.complete_task(task.id, user("rst2"), {"purpose": "x"})
    stored = _stored_task(task.id)
    assert (stored["assignee_id"], stored["completed_by_id"], stored["draft"]) == (
        user("rst2").id,
        user("rst2").id,
        None,
    )


def test_a_save_over_a_row_another_transaction_changed_is_refused_and_writes_nothing(engine_ready):
    from sqlalchemy.orm.exc import StaleDataError

    row = start_sample()
    before = db.session.execute(
        db.select(ProcessInstance.__table__).where(ProcessInstance.id == row.id)
    ).one()
    workflow = store.load(row)
    # Another process saved the instance meanwhile (its lock version moved on; this session does not know).
    table = ProcessInstance.__table__
    db.session.connection().execute(
        table.update().where(table.c.id == row.id).values(lock_version=table.c.lock_version + 1)
    )
    db.session.commit()
    task = workflow.get_tasks(manual=True)[0]
    task.task_spec.add_data_from_form(task, {"purpose": "x"})
    task.run()
    with pytest.raises(StaleDataError):
        store.save(row, workflow)
    db.session.rollback()
    after = db.session.execute(db.select(ProcessInstance.__table__).where(ProcessInstance.id == row.id)).one()
    assert (after.state, after.lock_version) == (before.state, before.lock_version + 1)
    assert open_task(row.id).label == "提交申请"


def test_an_interrupting_deadline_cancels_the_task_row_and_opens_the_escalation(engine_ready):
    deploy_test_models("interrupting_timer.bpmn")
    clock.freeze(at("2026-09-30T10:00:00+08:00"))  # received before National Day: 2 working days → 10-09
    row = runtime.start_instance(
        "interrupting_timer",
        business_key="GS-INT-1",
        data={"applicant_department_id": user("rst_applicant").department_id},
        actor=user("rst_applicant"),
    )
    answer = open_task(row.id)
    assert (answer.label, answer.due_date) == ("答复", date(2026, 10, 9))
    clock.freeze(at("2026-10-09T23:59:59+08:00"))
    assert scheduler.fire_due_timers().timers_fired == 0
    clock.freeze(at("2026-10-10T00:00:01+08:00"))
    assert scheduler.fire_due_timers().timers_fired == 1
    assert _stored_task(answer.id)["status"] == TaskStatus.CANCELLED
    assert db.session.get(HumanTask, answer.id).status == TaskStatus.CANCELLED  # the session's copy too
    escalated = open_task(row.id)
    assert (escalated.label, escalated.candidate_role) == ("超期转办", "platform_operator")
    runtime.complete_task(escalated.id, user("hb_operator"), {})
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.COMPLETED


def test_a_user_task_whose_own_script_fails_stays_open_through_incident_and_retry(engine_ready, tmp_path):
    broken = tmp_path / "engine_sample.bpmn"
    broken.write_text(
        SAMPLE.replace(
            '<spiffworkflow:property name="candidateDepartment" value="applicant_department_id" />\n'
            "        </spiffworkflow:properties>",
            '<spiffworkflow:property name="candidateDepartment" value="applicant_department_id" />\n'
            "        </spiffworkflow:properties>\n"
            "        <spiffworkflow:postScript>share = 1 / divisor</spiffworkflow:postScript>",
            1,
        )
    )
    from app.studio.deploy import deploy

    assert deploy([broken], forms_dir=DATA / "forms").problems == []
    row = runtime.start_instance(
        "engine_sample",
        business_key="GS-DIV-0",
        data={
            "applicant_department_id": user("rst_applicant").department_id,
            "provider_department_id": user("gat_provider").department_id,
            "divisor": 0,
        },
        actor=user("rst_applicant"),
    )
    task = open_task(row.id)
    runtime.complete_task(task.id, user("rst_applicant"), {"purpose": "x"})
    incident = db.session.scalars(db.select(Incident)).one()
    assert "ZeroDivisionError" in incident.message and incident.task_name == "提交申请"
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.INCIDENT
    assert open_task(row.id).id == task.id  # the clerk's task is not lost
    submitted = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.task_id == task.id).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, (e.data or {}).get("form")) for e in submitted][-1] == (
        "task.submitted",
        {"purpose": "x"},
    )
    # The retry hands the task back to its clerk: ready again, under the same id and row.
    assert runtime.retry_incident(incident.id, user("admin")) is None
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.RUNNING
    rows = db.session.scalars(db.select(HumanTask).where(HumanTask.instance_id == row.id)).all()
    assert [(r.id, r.status) for r in rows] == [(task.id, TaskStatus.OPEN)]
    # The cause is not fixed, so completing fails again, cleanly, into a new incident.
    runtime.complete_task(task.id, user("rst_applicant"), {"purpose": "x"})
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))
        )
        == 1
    )
    assert open_task(row.id).id == task.id


def test_an_admin_cancelling_an_instance_holds_it_so_another_process_cannot_save_in_between(
    engine_ready, monkeypatch
):
    """The instance is locked from the read on (FOR UPDATE on PostgreSQL, the write lock on SQLite): another
    process that tries to save it between the cancellation's read and write is refused, not the cancellation."""
    from sqlalchemy.exc import OperationalError

    row = start_sample()
    db.session.commit()  # the case exists for every process (its start was a use case of its own)
    table = ProcessInstance.__table__
    real_load = store.load
    refused = []

    def load_then_someone_else_tries_to_save(instance):
        workflow = real_load(instance)
        with db.engine.connect() as other:  # another app process, its own connection and transaction
            if db.engine.dialect.name == "postgresql":
                other.exec_driver_sql("SET lock_timeout = '50ms'")
            else:
                other.exec_driver_sql("PRAGMA busy_timeout=50")
            bump = table.update().where(table.c.id == instance.id)
            try:
                with pytest.raises(OperationalError, match="lock"):
                    other.execute(bump.values(lock_version=table.c.lock_version + 1))
                refused.append(instance.id)
            finally:
                other.rollback()
                other.invalidate()  # its lock timeout is not handed to the next user of the pool
        return workflow

    monkeypatch.setattr(store, "load", load_then_someone_else_tries_to_save)
    runtime.cancel_instance(row.id, user("admin"), "重复立案")
    assert refused == [row.id]
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.CANCELLED


def test_audit_rows_are_written_once_sealed_even_when_an_expression_looks_up_a_department(engine_ready):
    row = start_sample()
    from flask import g

    g.pop("platform_operator_memo", None)  # a new request: the check's department is looked up afresh
    with captured_sql() as statements:
        runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "x"})
    assert open_task(row.id).label == "规范性检查"
    assert any(s.startswith("INSERT INTO audit_event") for s in statements)
    assert not [s for s in statements if s.startswith("UPDATE audit_event")]


def test_a_retried_deadline_timer_gives_its_task_the_deadline_and_still_fires(engine_ready, monkeypatch):
    """A deadline that could not be computed (an incident) is computed by the retry: the open task gets its
    due date (§19: 3 working days), and the timer fires when it passes."""
    from app.engine.scripting import SCRIPT_ENGINE

    clock.freeze(at("2026-09-30T10:00:00+08:00"))
    row = start_sample()
    working = SCRIPT_ENGINE.environment.globals["deadline"]

    def unavailable(*_args, **_kwargs):
        raise RuntimeError("节假日安排暂不可用")

    monkeypatch.setitem(SCRIPT_ENGINE.environment.globals, "deadline", unavailable)
    runtime.complete_task(open_task(row.id).id, user("rst_applicant"), {"purpose": "社保待遇资格认证"})
    check = open_task(row.id)
    (incident,) = runtime.open_incidents()
    assert check.label == "规范性检查" and check.due_date is None and incident.task_name == "检查超期"
    assert incident.message == "计算表达式 deadline(received_at, 3) 时出错：RuntimeError: 节假日安排暂不可用"

    monkeypatch.setitem(SCRIPT_ENGINE.environment.globals, "deadline", working)
    assert runtime.retry_incident(incident.id, user("admin")) is None
    check = open_task(row.id)
    assert (check.due_date, check.deadline_days) == (date(2026, 10, 10), 3)  # via National Day, 10-10 works
    clock.freeze(at("2026-10-11T00:00:01+08:00"))
    assert scheduler.fire_due_timers().timers_fired >= 1
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer.fired")
        )
        >= 1
    )
