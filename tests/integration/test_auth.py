"""Sign-in, lockout, CSRF, sessions and API tokens."""

from __future__ import annotations

import re

import pytest

from app.access import can
from app.audit.models import AuditEvent
from app.extensions import db
from app.org.models import ApiToken, User
from tests.conftest import api_token, bearer, csrf_token, login


def test_sign_in_page_is_chinese(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html and "密码" in html


def test_demo_users_can_sign_in_and_see_their_roles(client, seeded):
    response = login(client, "wh_applicant")
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "武汉市人社局经办人" in html
    assert "使用部门经办人" in html


def test_wrong_password_shows_a_chinese_error_not_a_500(client, seeded):
    response = login(client, "gat_provider", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client, seeded):
    response = login(client, "nobody", "whatever1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_empty_fields_are_named_in_chinese(client, seeded):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入用户名" in html and "请输入密码" in html


def test_form_without_csrf_token_is_rejected_with_400(client, seeded):
    response = client.post("/login", data={"username": "admin", "password": "govshare2026"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client, seeded):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "leader"))
        user.active = False
        db.session.commit()
    response = login(client, "leader")
    assert response.status_code == 401
    assert "停用" in response.get_data(as_text=True)


def test_pages_require_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_open_redirect_after_sign_in_is_refused(client, seeded):
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "hb_operator", "password": "govshare2026", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_passwords_are_stored_as_argon2_hashes(app, seeded):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "admin"))
        assert user.password_hash.startswith("$argon2id$")
        assert "govshare2026" not in user.password_hash


def test_token_is_shown_once_stored_hashed_listed_and_revocable(app, client, seeded):
    login(client, "rst_applicant")
    token = csrf_token(client, "/profile")
    response = client.post("/profile/tokens", data={"name": "业务系统", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    start = html.index('id="new-token">') + len('id="new-token">')
    plain = html[start : html.index("<", start)]
    assert plain.startswith("gs_")
    with app.app_context():
        stored = db.session.scalar(db.select(ApiToken))
        assert stored.token_hash != plain and plain not in stored.token_hash
        token_id = stored.id
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    # Listed on the profile page, without the secret.
    profile = client.get("/profile").get_data(as_text=True)
    assert "业务系统" in profile and plain not in profile
    client.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/profile")})
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(app, client, seeded):
    api_token(app, "admin")
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    login(client, "rst_applicant")
    response = client.post(
        f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/profile")}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_api_without_token_is_401_json(client, seeded):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"]["code"] == "unauthorized"
    assert "令牌" in body["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_with_unknown_token_is_401_json(client, seeded):
    response = client.get("/api/v1/me", headers=bearer("gs_not-a-real-token"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_api_ignores_the_session_cookie(client, seeded):
    login(client, "admin")
    assert client.get("/api/v1/me").status_code == 401


def test_api_me_describes_the_caller(app, client, seeded):
    response = client.get("/api/v1/me", headers=bearer(api_token(app, "wh_operator")))
    body = response.get_json()
    assert body["username"] == "wh_operator"
    assert body["roles"] == ["platform_operator", "supervisor"]
    assert body["department"]["platform"] == "HB-WH"


def test_sign_out_needs_post_with_csrf(client, seeded):
    login(client, "admin")
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/profile").status_code == 302


def test_signing_out_ends_the_session_even_for_a_copied_cookie(app, client, seeded):
    login(client, "rst_applicant")
    assert client.get("/profile").status_code == 200
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value)
    assert copied.get("/profile").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})
    assert copied.get("/profile").status_code == 302  # back to the sign-in page
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == (
            "user.signed_out"
        )
    login(client, "rst_applicant")
    assert client.get("/profile").status_code == 200


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: x=1", "/\\evil.example", "/%0d%0a", "/tasks\n"])
def test_a_next_address_with_control_characters_or_backslashes_goes_home(client, seeded, target):
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "hb_operator", "password": "govshare2026", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", target) and "\n" not in response.headers["Location"]
    assert response.headers["Location"] == "/" or target == "/%0d%0a"


def test_an_admin_creates_and_edits_users_on_the_page(app, client, seeded):
    """用户管理 on the web: errors named per field in Chinese; a deactivated user's open session ends. Roles are
    the 安全保密管理员's (三员分立): the 系统管理员 opens the account, the security administrator gives it roles."""
    with app.app_context():
        mz = db.session.scalar(db.select(User).where(User.username == "mz_clerk")).department.uscc
    login(client, "admin")
    token = csrf_token(client, "/org/users/new")
    bad = client.post(
        "/org/users/new", data={"csrf_token": token, "username": "A", "display_name": " ", "department": ""}
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "用户名须为" in html and "姓名不能为空" in html
    smuggled = client.post(
        "/org/users/new",
        data={
            "csrf_token": token,
            "username": "li",
            "display_name": "李四",
            "department": mz,
            "roles": ["admin"],
        },
    )
    assert smuggled.status_code == 422 and "角色由安全保密管理员分配" in smuggled.get_data(as_text=True)
    typed = client.post(
        "/org/users/new",
        data={
            "csrf_token": token,
            "username": "zhang",
            "display_name": "张三",
            "department": mz,
            "password": "Chosen-by-admin-1",
        },
    )
    assert typed.status_code == 422 and "不能替他人设置密码" in typed.get_data(as_text=True)
    created = client.post(
        "/org/users/new",
        data={"csrf_token": token, "username": "zhang", "display_name": "张三", "department": mz},
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "启用码只显示这一次" in page
    assert created.headers["Cache-Control"] == "no-store"
    code = re.search(r'<p class="enrolment-code"><code>([A-Z0-9-]+)</code>', page).group(1)
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.username == "zhang"))
    assert client.get(f"/org/users/{user_id}/roles").status_code == 403  # not the admin's work
    security = app.test_client()
    login(security, "secadmin")
    security_token = csrf_token(security, f"/org/users/{user_id}/roles")
    assert security.get(f"/org/users/{user_id}").status_code == 403  # accounts are not the security admin's
    both = security.post(
        f"/org/users/{user_id}/roles", data={"csrf_token": security_token, "roles": ["admin", "auditor"]}
    )
    assert both.status_code == 422 and "不得由一人兼任" in both.get_data(as_text=True)
    given = security.post(
        f"/org/users/{user_id}/roles",
        data={"csrf_token": security_token, "roles": ["applicant_clerk", "provider_clerk"]},
    )
    assert given.status_code == 302
    zhang = app.test_client()
    enrolled = zhang.post(
        "/enrol",
        data={
            "csrf_token": csrf_token(zhang, "/enrol"),
            "username": "zhang",
            "code": code,
            "password": "Hubei-Data-2026",
            "confirm_password": "Hubei-Data-2026",
        },
    )
    assert enrolled.status_code == 302
    assert (
        login(zhang, "zhang", "Hubei-Data-2026").status_code == 302
        and zhang.get("/profile").status_code == 200
    )
    assert "张三" in client.get(f"/org/users/{user_id}").get_data(as_text=True)
    saved = client.post(
        f"/org/users/{user_id}", data={"csrf_token": token, "display_name": "张三", "department": mz}
    )
    assert saved.status_code == 302  # "active" unticked: deactivated
    assert zhang.get("/profile").status_code == 302  # the open session ended
    with app.app_context():
        user = db.session.get(User, user_id)
        assert not user.active and {r.value for r in user.roles} == {"applicant_clerk", "provider_clerk"}
        changes = db.session.scalar(db.select(AuditEvent.data).where(AuditEvent.action == "user.updated"))[
            "changes"
        ]
        assert changes["active"] == {"from": True, "to": False}
        roles = db.session.scalar(db.select(AuditEvent.data).where(AuditEvent.action == "user.roles_changed"))
        assert roles == {"username": "zhang", "from": [], "to": ["applicant_clerk", "provider_clerk"]}
    with app.app_context():
        admin_id = db.session.scalar(db.select(User.id).where(User.username == "admin"))
    myself = client.post(
        f"/org/users/{admin_id}", data={"csrf_token": token, "display_name": "系统管理员", "department": mz}
    )
    assert myself.status_code == 422 and "不能停用自己" in myself.get_data(as_text=True)
    other = app.test_client()
    login(other, "rst_applicant")
    assert (
        other.get("/org/users/new").status_code == 403
        and other.get(f"/org/users/{user_id}").status_code == 403
        and other.get(f"/org/users/{user_id}/roles").status_code == 403
    )


def test_three_administrators_do_not_do_each_others_work(app, client, seeded):
    """三员分立: the audit trail only for the 安全审计员 (and the supervisors' own views); roles and gateway
    credentials only for the 安全保密管理员; accounts only for the 系统管理员."""
    pages = {
        "/supervision/audit": {"auditor", "supervisor"},
        "/supervision/audit.csv": {"auditor", "supervisor"},
        "/org/users/new": {"admin"},
        "/org/users": {"admin", "secadmin"},
    }
    for username in ("admin", "secadmin", "auditor", "supervisor", "leader"):
        browser = app.test_client()
        login(browser, username)
        for path, allowed in pages.items():
            status = browser.get(path).status_code
            assert (status == 200) == (username in allowed), (username, path, status)
    with app.app_context():
        for username, may in (("secadmin", True), ("admin", False), ("auditor", False)):
            someone = db.session.scalar(db.select(User).where(User.username == username))
            assert can(someone, "gateway.manage") is may and can(someone, "user.roles") is may
