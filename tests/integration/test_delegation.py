"""委托 (#15): a clerk on leave names a deputy of the same department and role for a period; the claimed tasks and
personal notices go to the deputy as well; actions record "代"; the delegation ends by itself."""

from __future__ import annotations

from app.access import can
from app.audit.models import AuditEvent
from app.engine import runtime
from app.engine.history import case_steps
from app.extensions import db
from app.inbox import urging
from app.notices.notifications import notifications_for
from app.sharing import services
from tests.conftest import api_token, bearer, csrf_token, login, user
from tests.integration.test_sharing import application_data, at, task


def _claimed_by_the_owner(app) -> tuple[str, str]:
    """A provider task mz_clerk has claimed; the demo's mz_reviewer, a provider clerk of 民政厅 too, is the
    deputy to be."""
    with app.app_context():
        at("2026-11-02T10:00:00+08:00")
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
        provider_task = task(number, "provider_authorization").id
        runtime.claim_task(provider_task, user("mz_clerk"))
    return number, provider_task


def test_a_deputy_completes_a_task_while_the_owner_is_away(app, client, demo_content):
    number, provider_task = _claimed_by_the_owner(app)
    login(client, "mz_clerk")
    token = csrf_token(client, "/profile")
    wrong = client.post(
        "/profile/delegations",
        data={
            "csrf_token": token,
            "deputy": "gat_provider",
            "starts_on": "2026-11-02",
            "ends_on": "2026-11-06",
        },
    )
    assert wrong.status_code == 422 and "本部门、同一角色" in wrong.get_data(as_text=True)
    given = client.post(
        "/profile/delegations",
        data={
            "csrf_token": token,
            "deputy": "mz_reviewer",
            "starts_on": "2026-11-02",
            "ends_on": "2026-11-06",
        },
    )
    assert given.status_code == 302
    deputy = app.test_client()
    login(deputy, "mz_reviewer")
    assert provider_task in deputy.get("/tasks?scope=mine").get_data(as_text=True)
    # The API lists it too: one query serves the inbox page and GET /api/v1/tasks.
    listed = deputy.get("/api/v1/tasks?scope=mine", headers=bearer(api_token(app, "mz_reviewer"))).get_json()
    assert [t["id"] for t in listed["items"]] == [provider_task] and listed["total"] == 1
    with app.app_context():
        urging.urge_task(provider_task, user("hb_operator"), "请尽快答复")  # addressed to the owner
        assert any("请尽快答复" in n.message for n in notifications_for(user("mz_reviewer")))
        runtime.complete_task(provider_task, user("mz_reviewer"), {"granted": True})
        event = db.session.scalar(
            db.select(AuditEvent).where(
                AuditEvent.action == "task.completed", AuditEvent.task_id == provider_task
            )
        )
        assert event.data["on_behalf_of"] == "省民政厅经办人"
        # The case so far on every later task page and in GET /api/v1/tasks/<id> says who acted for whom.
        (step,) = [s for s in case_steps(number) if s.task_id == provider_task]
        assert (step.actor, step.on_behalf_of) == ("省民政厅审核人", "省民政厅经办人")
    case = app.test_client()
    login(case, "rst_applicant")
    assert "省民政厅审核人 代 省民政厅经办人" in case.get(f"/applications/{number}").get_data(as_text=True)


def test_a_delegation_ends_by_itself(app, client, demo_content):
    number, provider_task = _claimed_by_the_owner(app)
    login(client, "mz_clerk")
    client.post(
        "/profile/delegations",
        data={
            "csrf_token": csrf_token(client, "/profile"),
            "deputy": "mz_reviewer",
            "starts_on": "2026-11-02",
            "ends_on": "2026-11-03",
        },
    )
    with app.app_context():
        at("2026-11-04T09:00:00+08:00")
        assert not can(user("mz_reviewer"), "task.complete", runtime.get_task(provider_task))
    deputy = app.test_client()
    login(deputy, "mz_reviewer")
    assert provider_task not in deputy.get("/tasks?scope=mine").get_data(as_text=True)
