"""Moving running cases to a new version: dry run, refusals, deadlines kept or recomputed, CLI twin."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.audit.models import AuditEvent
from app.engine.models import HumanTask, ProcessInstance, TaskStatus
from app.engine.runtime import complete_task
from app.extensions import db
from app.sharing.models import Authorization, ShareApplication
from app.sharing.services import submit_application
from app.studio import migration
from app.studio.uploads import deploy_files
from tests.conftest import csrf_token, login, user
from tests.integration.test_cli import run
from tests.integration.test_sharing import application_data

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")


def _deploy_resource_authorization(tmp_path: Path, text: str, comment: str) -> None:
    changed = tmp_path / "resource_authorization.bpmn"
    changed.write_text(text, encoding="utf-8")
    outcome = deploy_files([changed], user("analyst"), comment)
    assert not outcome.problems, outcome.problems
    db.session.commit()


def _case_at_provider() -> tuple[str, HumanTask]:
    """A case whose provider authorization (10 working days, §20) is open."""
    number = submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    (check,) = db.session.scalars(db.select(HumanTask).where(HumanTask.business_key == number))
    complete_task(check.id, user("hb_operator"), {"accepted": True})
    provider = db.session.scalar(
        db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
    )
    return number, provider


SEVEN_DAYS = SOURCE.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)")


def test_a_running_case_keeps_its_deadline_or_takes_the_new_one_as_the_analyst_chooses(
    app, demo_content, tmp_path
):
    with app.app_context():
        kept_number, kept_task = _case_at_provider()
        moved_number, moved_task = _case_at_provider()
        assert kept_task.due_date == moved_task.due_date == date(2026, 11, 16)  # 10 working days after 11-02
        _deploy_resource_authorization(tmp_path, SEVEN_DAYS, "提供部门答复期限改为7个工作日")

        plans = migration.dry_run(user("analyst"), "share_application")
        assert [p.business_key for p in plans] == [kept_number, moved_number]
        plan = plans[0]
        assert plan.allowed and (plan.from_version, plan.to_version) == (1, 2)
        assert "提供部门授权" in "".join(plan.open_steps)
        overdue = next(t for t in plan.timers if t.step == "超期")
        assert (overdue.current, overdue.recomputed) == (
            "2026-11-17T00:00:00+08:00",
            "2026-11-12T00:00:00+08:00",
        )  # 24:00
        # the dry run changed nothing
        row = db.session.scalar(db.select(ProcessInstance).where(ProcessInstance.business_key == kept_number))
        assert row.process_version.version == 1

        analyst = user("analyst")
        migration.migrate(
            analyst, "share_application", [row.id], deadlines=migration.KEEP, comment="保留原期限"
        )
        other = db.session.scalar(
            db.select(ProcessInstance).where(ProcessInstance.business_key == moved_number)
        )
        migration.migrate(analyst, "share_application", [other.id], deadlines=migration.RECOMPUTE)
        db.session.commit()

        assert db.session.get(HumanTask, kept_task.id).due_date == date(2026, 11, 16)
        recomputed = db.session.get(HumanTask, moved_task.id)
        assert recomputed.status == TaskStatus.OPEN and recomputed.due_date == date(2026, 11, 11)
        assert row.process_version.version == other.process_version.version == 2
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "instance.migrated")
        ).all()
        assert sorted(e.data["deadlines"] for e in events) == ["keep", "recompute"]
        assert migration.dry_run(analyst, "share_application") == []  # nothing older is left

        # the moved cases go on to the end under the new version
        for task in (kept_task, moved_task):
            complete_task(task.id, user("mz_clerk"), {"granted": True})
        db.session.commit()
        for number in (kept_number, moved_number):
            application = db.session.scalar(
                db.select(ShareApplication).where(ShareApplication.number == number)
            )
            assert (
                db.session.scalar(
                    db.select(Authorization).where(Authorization.line_id == application.lines[0].id)
                )
                is not None
            )


def test_a_case_whose_reached_step_is_gone_is_refused_and_left_alone(app, demo_content, tmp_path):
    with app.app_context():
        number, task = _case_at_provider()
        # The open provider step becomes a manual task: another kind of step.
        changed = SOURCE.replace(
            '<bpmn:userTask id="provider_authorization"', '<bpmn:manualTask id="provider_authorization"'
        )
        start = changed.index('<bpmn:manualTask id="provider_authorization"')
        end = changed.index("</bpmn:userTask>", start)
        changed = changed[:end] + "</bpmn:manualTask>" + changed[end + len("</bpmn:userTask>") :]
        _deploy_resource_authorization(tmp_path, changed, "改为手工任务")
        (plan,) = migration.dry_run(user("analyst"), "share_application")
        assert not plan.allowed and "改变了类型" in plan.refused[0]
        (result,) = migration.migrate(
            user("analyst"), "share_application", [plan.instance_id], deadlines="keep"
        )
        db.session.commit()
        assert not result.allowed
        row = db.session.get(ProcessInstance, plan.instance_id)
        assert (
            row.process_version.version == 1 and db.session.get(HumanTask, task.id).status == TaskStatus.OPEN
        )


def test_the_cli_twin_dry_runs_and_migrates(app, demo_content, tmp_path):
    with app.app_context():
        number, task = _case_at_provider()
        _deploy_resource_authorization(tmp_path, SEVEN_DAYS, "提供部门答复期限改为7个工作日")
    dry = run(
        app,
        "bpmn",
        "migrate",
        "share_application",
        "--from",
        "1",
        "--to",
        "2",
        "--dry-run",
        "--as",
        "analyst",
    )
    assert dry.exit_code == 0, dry.output
    assert f"{number}" in dry.output and "would move" in dry.output
    # The default keeps deadlines: the dry run says so, and what the new version would give (#28 item 7).
    assert (
        "超期: keeps 2026-11-17T00:00:00+08:00 (the new version would give 2026-11-12T00:00:00+08:00)"
        in dry.output
    )
    recompute = run(
        app,
        "bpmn",
        "migrate",
        "share_application",
        "--from",
        "1",
        "--to",
        "2",
        "--dry-run",
        "--deadlines",
        "recompute",
        "--as",
        "analyst",
    )
    assert "超期: 2026-11-17T00:00:00+08:00 -> 2026-11-12T00:00:00+08:00" in recompute.output
    with app.app_context():
        assert db.session.scalar(
            db.select(ProcessInstance.process_version_id).where(ProcessInstance.business_key == number)
        ) == _version_id("share_application", 1)
    real = run(app, "bpmn", "migrate", "share_application", "--deadlines", "recompute", "--as", "analyst")
    assert real.exit_code == 0 and "moved" in real.output, real.output
    with app.app_context():
        assert db.session.get(HumanTask, task.id).due_date == date(2026, 11, 11)
    clerk = run(app, "bpmn", "migrate", "share_application", "--as", "rst_applicant")
    assert clerk.exit_code == 1


def _version_id(process_id: str, version: int) -> int:
    return migration.target_version(process_id, version).id


def test_the_migration_page_moves_the_chosen_cases(app, client, demo_content, tmp_path):
    with app.app_context():
        number, task = _case_at_provider()
        _deploy_resource_authorization(tmp_path, SEVEN_DAYS, "提供部门答复期限改为7个工作日")
        instance_id = db.session.scalar(
            db.select(ProcessInstance.id).where(ProcessInstance.business_key == number)
        )
    login(client, "analyst")
    assert "迁移到最新版本" in client.get("/admin/processes/share_application").get_data(as_text=True)
    page = client.get("/admin/processes/share_application/migrate").get_data(as_text=True)
    assert number in page and "可以迁移" in page and "2026-11-16 24:00" in page and "2026-11-11 24:00" in page
    token = csrf_token(client, "/admin/processes/share_application/migrate")
    unchosen = client.post(
        "/admin/processes/share_application/migrate", data={"csrf_token": token, "deadlines": "keep"}
    )
    assert unchosen.status_code == 422 and "请选择要迁移的案件" in unchosen.get_data(as_text=True)
    moved = client.post(
        "/admin/processes/share_application/migrate",
        data={
            "csrf_token": token,
            "deadlines": "keep",
            "instance": str(instance_id),
            "comment": "适用新版本",
        },
    )
    assert moved.status_code == 200 and "已迁移 1 件案件到 v2" in moved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).process_version.version == 2
        assert db.session.get(HumanTask, task.id).due_date == date(2026, 11, 16)  # kept
    clerk = app.test_client()
    login(clerk, "rst_applicant")
    assert clerk.get("/admin/processes/share_application/migrate").status_code == 403
