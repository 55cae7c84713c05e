"""Duties that cannot be taken over, a sign-in that reveals nothing (#27, 办法§27, 等保三级): enrolment codes
instead of passwords set by someone else, second-person approval for the three administrators' accounts,
the second factor, the password rule, throttles that slow a guesser without locking the real user out,
sessions rotated at sign-in, and the client's address in every audit row."""

from __future__ import annotations

import re

import pyotp
import pytest

from app import clock, create_app
from app.audit.models import AuditEvent
from app.auth import passwords
from app.extensions import db, limiter
from app.org.models import EnrolmentCode, User
from tests.conftest import TEST_TOTP_SECRET, csrf_token, login
from tests.integration.test_cli import run


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        _ = user.department.uscc  # loaded while the session is open
        return user


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()


def _code_on(page: str) -> str:
    return re.search(r'<p class="enrolment-code"><code>([A-Z0-9-]+)</code>', page).group(1)


def _enrol(client, username: str, code: str, password: str):
    return client.post(
        "/enrol",
        data={
            "csrf_token": csrf_token(client, "/enrol"),
            "username": username,
            "code": code,
            "password": password,
            "confirm_password": password,
        },
    )


# --- no account takeover across duties -------------------------------------------------------------------


@pytest.mark.parametrize("victim", ["auditor", "secadmin"])
def test_the_system_administrator_cannot_take_over_the_auditor_or_the_security_administrator(
    app, seeded, victim
):
    target = _user(app, victim)
    before = target.password_hash
    admin = app.test_client()
    login(admin, "admin")
    token = csrf_token(admin, f"/org/users/{target.id}")
    # 1. The old way: a new password typed on the user page — ignored, nothing changes.
    saved = admin.post(
        f"/org/users/{target.id}",
        data={
            "csrf_token": token,
            "display_name": target.display_name,
            "department": target.department.uscc,
            "active": "1",
            "password": "Taken-Over-2026!",
        },
    )
    assert saved.status_code in (200, 302)
    assert _user(app, victim).password_hash == before
    assert login(app.test_client(), victim, "Taken-Over-2026!").status_code == 401
    # 2. A reset: the code is shown, but works only after a second person of another duty approves.
    issued = admin.post(f"/org/users/{target.id}/enrolment-code", data={"csrf_token": token})
    assert issued.status_code == 200 and "须经安全保密管理员或安全审计员审批" in issued.get_data(as_text=True)
    code = _code_on(issued.get_data(as_text=True))
    refused = _enrol(app.test_client(), victim, code, "Taken-Over-2026!")
    assert refused.status_code == 400 and "尚未审批" in refused.get_data(as_text=True)
    assert _user(app, victim).password_hash == before
    # 3. The admin cannot approve it, nor can the victim themselves; the API has no way to set a password.
    with app.app_context():
        code_id = db.session.scalar(db.select(EnrolmentCode.id).where(EnrolmentCode.user_id == target.id))
    approve = {"csrf_token": csrf_token(admin, "/org/enrolment-codes"), "decision": "approve"}
    assert admin.post(f"/org/enrolment-codes/{code_id}", data=approve).status_code == 403
    victim_browser = app.test_client()
    login(victim_browser, victim)
    mine = {"csrf_token": csrf_token(victim_browser, "/org/enrolment-codes"), "decision": "approve"}
    assert victim_browser.post(f"/org/enrolment-codes/{code_id}", data=mine).status_code == 403
    assert admin.post(f"/api/v1/users/{target.id}/password", json={"password": "x"}).status_code in (
        401,
        404,
        405,
    )
    # 4. Nor can anyone reset their own account through the admin page.
    admin_id = _user(app, "admin").id
    assert admin.post(f"/org/users/{admin_id}/enrolment-code", data={"csrf_token": token}).status_code == 403
    assert _user(app, victim).password_hash == before
    actions = (
        {e.action for e in _events(app, "user.reset_requested")}
        | {e.action for e in _events(app, "user.enrol_failed")}
        | {e.action for e in _events(app, "user.reset_decision_refused")}
        | {e.action for e in _events(app, "user.reset_refused")}
    )
    assert actions == {
        "user.reset_requested",
        "user.enrol_failed",
        "user.reset_decision_refused",
        "user.reset_refused",
    }


def test_an_approved_reset_lets_the_person_choose_a_password_and_enrol_the_second_factor_again(app, seeded):
    auditor = _user(app, "auditor")
    admin = app.test_client()
    login(admin, "admin")
    issued = admin.post(
        f"/org/users/{auditor.id}/enrolment-code",
        data={"csrf_token": csrf_token(admin, f"/org/users/{auditor.id}")},
    )
    code = _code_on(issued.get_data(as_text=True))
    security = app.test_client()
    login(security, "secadmin")
    page = security.get("/org/enrolment-codes").get_data(as_text=True)
    assert "auditor" in page and code not in page  # the approver never sees the code
    with app.app_context():
        code_id = db.session.scalar(db.select(EnrolmentCode.id).where(EnrolmentCode.user_id == auditor.id))
    approved = security.post(
        f"/org/enrolment-codes/{code_id}",
        data={"csrf_token": csrf_token(security, "/org/enrolment-codes"), "decision": "approve"},
    )
    assert approved.status_code == 302
    person = app.test_client()
    weak = _enrol(person, "auditor", code, "auditor-2026")
    assert weak.status_code == 422 and "不能包含用户名" in weak.get_data(as_text=True)
    assert _enrol(person, "auditor", code, "Audit-Trail-2026").status_code == 302
    assert _enrol(app.test_client(), "auditor", code, "Another-One-2026").status_code == 400  # used once only
    with app.app_context():
        user = db.session.get(User, auditor.id)
        assert user.totp_secret is None and user.totp_enabled_at is None  # enrolled again at next sign-in
    signed = person.post(
        "/login",
        data={"csrf_token": csrf_token(person), "username": "auditor", "password": "Audit-Trail-2026"},
    )
    assert signed.headers["Location"].endswith("/login/second-factor")
    assert {"user.reset_requested", "user.reset_approved", "user.enrolled"} <= {
        e.action
        for e in _events(app, "user.reset_requested")
        + _events(app, "user.reset_approved")
        + _events(app, "user.enrolled")
    }


# --- the second factor ----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["auditor", "analyst", "admin", "secadmin"])
def test_the_auditor_and_the_analyst_need_their_second_factor(app, seeded, username):
    clock.freeze(clock.now())  # both codes below fall in one 30-second step: the second is a replay
    browser = app.test_client()
    first = browser.post(
        "/login", data={"csrf_token": csrf_token(browser), "username": username, "password": "govshare2026"}
    )
    assert first.headers["Location"].endswith("/login/second-factor")
    assert browser.get("/profile").status_code == 302  # not signed in on the password alone
    page = browser.get("/login/second-factor").get_data(as_text=True)
    assert "<svg" in page and "动态口令" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    token = csrf_token(browser, "/login/second-factor")
    wrong = browser.post("/login/second-factor", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 422 and "动态口令不正确" in wrong.get_data(as_text=True)
    done = browser.post(
        "/login/second-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())}
    )
    recovery = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(recovery) == 10
    assert browser.get("/profile").status_code == 200
    # Next time: the code again (not the same one twice), or a recovery code, once.
    again = app.test_client()
    again.post(
        "/login", data={"csrf_token": csrf_token(again), "username": username, "password": "govshare2026"}
    )
    token = csrf_token(again, "/login/second-factor")
    replay = again.post(
        "/login/second-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())}
    )
    assert replay.status_code == 422
    assert (
        again.post("/login/second-factor", data={"csrf_token": token, "code": recovery[0]}).status_code == 302
    )
    third = app.test_client()
    third.post(
        "/login", data={"csrf_token": csrf_token(third), "username": username, "password": "govshare2026"}
    )
    token = csrf_token(third, "/login/second-factor")
    assert (
        third.post("/login/second-factor", data={"csrf_token": token, "code": recovery[0]}).status_code == 422
    )
    assert _events(app, "user.second_factor_enrolled") and _events(app, "user.recovery_code_used")


def test_other_roles_sign_in_with_the_password_alone(app, seeded):
    browser = app.test_client()
    response = browser.post(
        "/login",
        data={"csrf_token": csrf_token(browser), "username": "rst_applicant", "password": "govshare2026"},
    )
    assert response.status_code == 302 and not response.headers["Location"].endswith("/login/second-factor")


# --- the password rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", "至少需要 8 个字符"),
        ("alllowercase1", "至少三类"),
        ("Xg_operator-2026", "不能包含用户名"),
        ("govshare2026", "至少三类"),
    ],
)
def test_the_password_rule_names_what_is_wrong(app, seeded, password, message):
    browser = app.test_client()
    login(browser, "xg_operator")
    response = browser.post(
        "/password",
        data={
            "csrf_token": csrf_token(browser, "/password"),
            "current_password": "govshare2026",
            "new_password": password,
            "confirm_password": password,
        },
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_the_last_five_passwords_are_not_used_again(app, seeded):
    browser = app.test_client()
    login(browser, "wh_applicant")
    current = "govshare2026"
    for number in range(1, 6):
        new = f"Wuhan-Renshe-{number}"
        response = browser.post(
            "/password",
            data={
                "csrf_token": csrf_token(browser, "/password"),
                "current_password": current,
                "new_password": new,
                "confirm_password": new,
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        current = new
    again = browser.post(
        "/password",
        data={
            "csrf_token": csrf_token(browser, "/password"),
            "current_password": current,
            "new_password": "Wuhan-Renshe-2",
            "confirm_password": "Wuhan-Renshe-2",
        },
    )
    assert again.status_code == 422 and "最近 5 次" in again.get_data(as_text=True)


def test_an_account_created_with_a_password_changes_it_at_first_sign_in(app, seeded):
    created = run(
        app,
        "users",
        "create",
        "--username",
        "new_clerk",
        "--name",
        "新经办人",
        "--department",
        "湖北省民政厅",
        "--role",
        "applicant_clerk",
        "--password-stdin",
        input="Initial-Pass-1\n",
    )
    assert created.exit_code == 0, created.output
    browser = app.test_client()
    assert login(browser, "new_clerk", "Initial-Pass-1").headers["Location"].endswith("/password")
    assert browser.get("/tasks").headers["Location"].endswith("/password")  # nothing else first
    changed = browser.post(
        "/password",
        data={
            "csrf_token": csrf_token(browser, "/password"),
            "current_password": "Initial-Pass-1",
            "new_password": "Chosen-Myself-2",
            "confirm_password": "Chosen-Myself-2",
        },
    )
    assert changed.status_code == 302 and browser.get("/tasks").status_code == 200


# --- a sign-in that reveals nothing ---------------------------------------------------------------------


def test_unknown_and_known_names_cost_the_same_work(app, seeded, monkeypatch):
    """One argon2 verify and the same statements for an unknown name as for a wrong password (timing:
    bench/sign_in_bench.py)."""
    verified = []
    real = passwords.verify_password

    def counting(hashed, password):
        verified.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr("app.auth.services.verify_password", counting)
    for username in ("no_such_person", "hb_operator"):
        browser = app.test_client()
        response = browser.post(
            "/login",
            data={"csrf_token": csrf_token(browser), "username": username, "password": "wrong-password"},
        )
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)
    failures = _events(app, "user.sign_in_failed")
    assert [e.data["reason"] for e in failures] == ["unknown", "password"]
    assert all(e.client_ip == "127.0.0.1" and e.user_agent and e.request_id for e in failures)


def _throttled_app(database_url: str):
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        LOGIN_THROTTLE = True
        LOGIN_LIMIT_PER_CLIENT = "1000 per minute"

    throttled = create_app(Config)
    limiter.reset()  # counts of earlier tests' apps (one limiter per process)
    return throttled


def test_a_strangers_fifty_wrong_guesses_do_not_stop_the_real_user(app, database_url, seeded):
    throttled = _throttled_app(database_url)
    stranger = throttled.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    statuses = []
    for number in range(50):
        response = stranger.post(
            "/login",
            data={
                "csrf_token": csrf_token(stranger),
                "username": "hb_operator",
                "password": f"guess-{number}",
            },
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}  # slowed after five failures
    assert "登录失败次数过多" in response.get_data(as_text=True)
    real = throttled.test_client()
    real.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    signed = real.post(
        "/login", data={"csrf_token": csrf_token(real), "username": "hb_operator", "password": "govshare2026"}
    )
    profile = real.get("/profile")
    assert signed.status_code == 302 and profile.status_code == 200, profile.get_data(as_text=True)[:3000]


def test_a_client_that_guesses_many_names_is_slowed(app, database_url, seeded):
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        LOGIN_THROTTLE = True
        LOGIN_LIMIT_PER_CLIENT = "10 per minute"

    guesser = create_app(Config).test_client()
    limiter.reset()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    statuses = [
        guesser.post(
            "/login", data={"csrf_token": csrf_token(guesser), "username": f"name{n}", "password": "x"}
        ).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]


def test_session_and_csrf_token_are_rotated_at_sign_in(app, seeded):
    browser = app.test_client()
    before = csrf_token(browser)
    cookie_before = browser.get_cookie("session").value
    login(browser, "rst_applicant")
    after = csrf_token(browser, "/profile")
    assert after != before
    assert browser.get_cookie("session").value != cookie_before
    # The pre-sign-in cookie (what a fixated session would be) is not signed in.
    fixated = app.test_client()
    fixated.set_cookie("session", cookie_before)
    assert fixated.get("/profile").status_code == 302


def test_the_address_in_audit_rows_is_the_clients_behind_the_trusted_proxy(app, database_url, seeded):
    from config import TestingConfig

    class Behind(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        TRUSTED_PROXIES = 1

    proxied = create_app(Behind).test_client()
    proxied.post(
        "/login",
        data={"csrf_token": csrf_token(proxied), "username": "nobody", "password": "x"},
        headers={
            "X-Forwarded-For": "198.51.100.31",
            "User-Agent": "Mozilla/5.0 测试",
            "X-Request-ID": "req-1234567890",
        },
    )
    direct = app.test_client()  # no trusted proxy: a forged header is ignored
    direct.post(
        "/login",
        data={"csrf_token": csrf_token(direct), "username": "nobody2", "password": "x"},
        headers={"X-Forwarded-For": "198.51.100.32"},
    )
    rows = {e.data["username"]: e for e in _events(app, "user.sign_in_failed")}
    assert rows["nobody"].client_ip == "198.51.100.31" and rows["nobody"].user_agent == "Mozilla/5.0 测试"
    assert rows["nobody"].request_id == "req-1234567890"
    assert rows["nobody2"].client_ip == "127.0.0.1"


def test_the_test_helper_signs_in_with_the_simulated_authenticator(app, seeded):
    """(The suite's login() gives the administrators a known TOTP secret; the real enrolment is tested above.)"""
    browser = app.test_client()
    assert login(browser, "auditor").status_code == 302
    assert _user(app, "auditor").totp_secret == TEST_TOTP_SECRET


def test_a_clerk_may_turn_the_second_factor_on_from_the_profile(app, seeded):
    browser = app.test_client()
    login(browser, "rst_applicant")
    page = browser.get("/profile/second-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    token = csrf_token(browser, "/profile/second-factor")
    done = browser.post(
        "/profile/second-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())}
    )
    assert done.status_code == 200 and "恢复码只显示这一次" in done.get_data(as_text=True)
    assert "动态口令已于" in browser.get("/profile").get_data(as_text=True)
    again = app.test_client()
    first = again.post(
        "/login",
        data={"csrf_token": csrf_token(again), "username": "rst_applicant", "password": "govshare2026"},
    )
    assert first.headers["Location"].endswith("/login/second-factor")  # enrolled: now required for them too


def test_guessing_the_dynamic_code_is_slowed_per_account(app, database_url, seeded):
    """Someone who knows the password gets five wrong dynamic codes, then waits (per account, not per client)."""
    throttled = _throttled_app(database_url)
    statuses = []
    for attempt in range(3):  # a new sign-in each time does not reset the count
        guesser = throttled.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"203.0.113.{20 + attempt}"
        guesser.post(
            "/login",
            data={"csrf_token": csrf_token(guesser), "username": "auditor", "password": "govshare2026"},
        )
        token = csrf_token(guesser, "/login/second-factor")
        for _ in range(2):
            statuses.append(
                guesser.post("/login/second-factor", data={"csrf_token": token, "code": "000000"}).status_code
            )
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
