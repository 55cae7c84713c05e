"""Freshness watch (#17): a daily resource not updated for 3 days opens exactly one §17 quality issue, routed to
its provider with the evidence; reported over the API by the exchange system."""

from __future__ import annotations

from datetime import timedelta

from app import clock
from app.catalog.models import DataService, Resource
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.scheduler import freshness
from app.sharing.models import QualityIssue
from tests.conftest import api_token, bearer
from tests.integration.test_sharing import at


def daily_resource(stale_days: int | None = None) -> tuple[Resource, DataService]:
    """婚姻登记信息 made a daily resource, on Monday 2026-11-02 10:00; its service last updated `stale_days` ago."""
    at("2026-11-02T10:00:00+08:00")
    resource, service = db.session.execute(
        db.select(Resource, DataService)
        .join(DataService, DataService.resource_id == Resource.id)
        .where(Resource.name == "婚姻登记信息")
    ).one()
    resource.update_cycle = "daily"
    if stale_days is not None:
        service.last_updated_at = clock.now() - timedelta(days=stale_days)
    return resource, service


def test_a_daily_resource_not_updated_for_three_days_opens_exactly_one_quality_issue(
    app, client, demo_content
):
    with app.app_context():
        resource, service = daily_resource()
        db.session.commit()
        code, name, provider = resource.code, service.name, resource.provider_department_id
    updated = (clock.now() - timedelta(days=3)).isoformat()
    report = client.post(
        "/api/v1/services/freshness",
        headers=bearer(api_token(app, "hb_operator")),
        json={"updates": [{"resource_code": code, "service": name, "updated_at": updated}]},
    )
    assert report.status_code == 201 and report.get_json() == {"stored": 1}
    unknown = client.post(
        "/api/v1/services/freshness",
        headers=bearer(api_token(app, "hb_operator")),
        json={"updates": [{"resource_code": code, "service": "没有的服务", "updated_at": updated}]},
    )
    assert unknown.status_code == 422 and "updates[0]" in unknown.get_json()["error"]["fields"]
    clerk = client.post(
        "/api/v1/services/freshness",
        headers=bearer(api_token(app, "rst_applicant")),
        json={"updates": [{"resource_code": code, "service": name, "updated_at": updated}]},
    )
    assert clerk.status_code == 403
    with app.app_context():
        freshness(app)
        freshness(app)  # the next hour, or a second scheduler: nothing more
        clock.advance(timedelta(days=1))
        freshness(app)
        (issue,) = db.session.scalars(db.select(QualityIssue)).all()
        assert issue.source == "freshness" and issue.raised_by_id is None and "已 3.0 天" in issue.description
        response = db.session.scalar(
            db.select(HumanTask).where(
                HumanTask.business_key == issue.number, HumanTask.status == TaskStatus.OPEN
            )
        )
        assert response.candidate_department_id == provider and response.candidate_role == "provider_clerk"


def test_fresh_data_opens_nothing(app, client, demo_content):
    with app.app_context():
        resource, service = daily_resource()
        service.last_updated_at = clock.now() - timedelta(hours=30)  # within 1 day + 1 day of grace
        db.session.commit()
        freshness(app)
        assert db.session.scalar(db.select(db.func.count(QualityIssue.id))) == 0
