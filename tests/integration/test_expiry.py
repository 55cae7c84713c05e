"""Before an authorization ends the applicant is told (N working days ahead, once), and renews it from the
authorization page: a new application prefilled from the old one (#14)."""

from __future__ import annotations

from app.engine import runtime
from app.extensions import db
from app.notices.notifications import notifications_for
from app.scheduler import expiry_notices
from app.sharing import services
from app.sharing.models import Authorization
from tests.conftest import end_use_case, login, user
from tests.integration.test_sharing import application_data, at, task


def _expiry_job(app) -> None:
    """The scheduler's expiry-notices job (its own app context) after the test's use case so far."""
    end_use_case()
    expiry_notices(app)


def _authorization_until_new_year() -> Authorization:
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(
        user("rst_applicant"),
        application_data("婚姻登记信息", valid_from="2026-11-01", valid_to="2026-12-31"),
    ).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    return db.session.scalars(db.select(Authorization)).one()


def _notices() -> list[str]:
    return [n.message for n in notifications_for(user("rst_applicant"), limit=100) if "即将到期" in n.message]


def test_the_applicant_is_told_ten_working_days_ahead_once(app, content):
    authorization = _authorization_until_new_year()
    at("2026-12-16T10:00:00+08:00")  # 10 working days later is 12-30: not yet
    _expiry_job(app)
    assert _notices() == []
    at("2026-12-17T10:00:00+08:00")  # 10 working days later is 12-31: the last day
    _expiry_job(app)
    _expiry_job(app)  # a second scheduler, or the next day: nothing more
    at("2026-12-18T10:00:00+08:00")
    _expiry_job(app)
    (notice,) = _notices()
    assert "婚姻登记信息" in notice and "2026-12-31" in notice
    told_at = db.session.scalar(
        db.select(Authorization.expiry_notified_at).where(Authorization.id == authorization.id)
    )
    assert told_at is not None


def test_a_revoked_authorization_is_not_announced(app, content):
    authorization = _authorization_until_new_year()
    services.revoke_authorization(user("mz_clerk"), authorization, "停止共享")
    db.session.commit()
    at("2026-12-20T10:00:00+08:00")
    _expiry_job(app)
    assert _notices() == []


def test_renewal_is_a_new_application_prefilled_from_the_old_one(app, client, demo_content):
    with app.app_context():
        authorization_id = _authorization_until_new_year().id
    login(client, "rst_applicant")
    listing = client.get("/authorizations").get_data(as_text=True)
    assert f"/applications/new?renew={authorization_id}" in listing
    page = client.get(f"/applications/new?renew={authorization_id}").get_data(as_text=True)
    assert 'value="2027-01-01"' in page and 'value="2027-03-02"' in page  # from the day after, as long again
    assert "续期：" in page and "湖北省社会救助信息系统" in page
    other = app.test_client()
    login(other, "wh_applicant")
    assert other.get(f"/applications/new?renew={authorization_id}").status_code == 404
