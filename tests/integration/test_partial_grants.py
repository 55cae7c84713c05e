"""Partial grants (办法§20, §21, §24): the provider refuses some data items with reasons; the authorization, the
applicant's pages and the API agree on exactly the granted ones; a dispute (§25) can still grant the rest."""

from __future__ import annotations

from datetime import date

import pytest

from app.engine import runtime
from app.errors import ValidationFailed
from app.extensions import db
from app.sharing import disputes, services
from app.sharing.models import ApplicationLine, Authorization
from app.supervision import stats
from tests.conftest import api_token, bearer, login, user
from tests.integration.test_sharing import application_data, at, task


def _at_provider() -> tuple[str, ApplicationLine]:
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    line = services.applications_of(user("rst_applicant").department_id)[0].lines[0]
    assert len(line.items) >= 3
    return number, line


def test_the_provider_grants_some_items_and_everything_agrees_on_them(app, client, demo_content):
    with app.app_context():
        number, line = _at_provider()
        provider_task_id, items = task(number, "provider_authorization").id, list(line.items)
    refused = items[1:3]
    granted = [item for item in items if item not in refused]
    login(client, "mz_clerk")
    html = client.get(f"/tasks/{provider_task_id}").get_data(as_text=True)
    for item in items:  # the requested items, to tick the refused ones
        assert f'type="checkbox" name="refused_items" value="{item}"' in html
    provider = bearer(api_token(app, "mz_clerk"))
    schema = client.get(f"/api/v1/tasks/{provider_task_id}", headers=provider).get_json()["form_schema"]
    assert schema["properties"]["refused_items"]["items"]["enum"] == items
    done = client.post(
        f"/api/v1/tasks/{provider_task_id}/complete",
        headers=provider,
        json={
            "data": {
                "granted": True,
                "refused_items": refused,
                "reasons": f"{'、'.join(refused)}超出用途所需（最小必要原则）",
                "basis": "办法§14",
            }
        },
    )
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        authorization = db.session.scalars(db.select(Authorization)).one()
        assert authorization.items == granted
        assert db.session.get(ApplicationLine, line.id).refused_items == refused
    applicant = app.test_client()
    login(applicant, "rst_applicant")
    case = applicant.get(f"/applications/{number}").get_data(as_text=True)
    assert f"部分授权：不予授权 {'、'.join(refused)}" in case
    token = bearer(api_token(app, "rst_applicant"))
    (listed,) = [
        a
        for a in client.get("/api/v1/authorizations", headers=token).get_json()["items"]
        if a["line_id"] == line.id
    ]
    assert listed["items"] == granted
    (application,) = client.get("/api/v1/applications", headers=token).get_json()["items"]
    assert application["resources"][0]["refused_items"] == refused
    with app.app_context():  # §26 figures count the partial grant among the provider's grants
        figures = stats.compute(stats.Scope(date(2026, 11, 1), date(2026, 11, 30)))
        assert figures.decisions["provider_granted"] == 1 and figures.decisions["provider_partial"] == 1


def test_a_partial_grant_needs_reasons_known_items_and_at_least_one_granted(content):
    number, line = _at_provider()
    provider_task = task(number, "provider_authorization")
    with pytest.raises(ValidationFailed) as no_reason:
        runtime.complete_task(
            provider_task.id, user("mz_clerk"), {"granted": True, "refused_items": line.items[:1]}
        )
    assert no_reason.value.fields["reasons"] == "请填写不予授权理由"
    with pytest.raises(ValidationFailed) as unknown:
        runtime.complete_task(
            provider_task.id,
            user("mz_clerk"),
            {"granted": True, "refused_items": ["不存在的数据项"], "reasons": "x", "basis": "y"},
        )
    assert "取值无效" in unknown.value.fields["refused_items"]
    with pytest.raises(ValidationFailed) as everything:
        runtime.complete_task(
            provider_task.id,
            user("mz_clerk"),
            {"granted": True, "refused_items": list(line.items), "reasons": "x", "basis": "y"},
        )
    assert f"最多 {len(line.items) - 1} 项" in everything.value.fields["refused_items"]
    assert db.session.scalar(db.select(db.func.count(Authorization.id))) == 0


def test_a_dispute_over_the_refused_items_can_grant_them(content):
    number, line = _at_provider()
    runtime.complete_task(
        task(number, "provider_authorization").id,
        user("mz_clerk"),
        {"granted": True, "refused_items": line.items[:1], "reasons": "不必要", "basis": "办法§14"},
    )
    dispute = disputes.raise_dispute(
        user("rst_applicant"),
        topic="result",
        description="该项为履职必需",
        line=db.session.get(ApplicationLine, line.id),
    )
    for spec, username in (
        ("position_applicant", "rst_applicant"),
        ("position_provider", "mz_clerk"),
        ("position_platform", "hb_operator"),
    ):
        runtime.complete_task(task(dispute.number, spec).id, user(username), {"position": "意见"})
    runtime.complete_task(
        task(dispute.number, "negotiation").id,
        user("hb_operator"),
        {"agreed": True, "minutes": "同意全部授权", "outcome": "grant"},
    )
    authorization = db.session.scalars(db.select(Authorization)).one()
    assert (
        authorization.items == line.items and db.session.get(ApplicationLine, line.id).refused_items is None
    )
