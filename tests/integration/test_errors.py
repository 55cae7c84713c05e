"""Errors: a Chinese page for browsers, {"error": {code, message}} JSON for the API, never a 500."""

from __future__ import annotations

from tests.conftest import api_token, bearer, login


def test_unknown_page_is_a_chinese_404(client, seeded):
    login(client, "admin")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "不存在" in response.get_data(as_text=True)


def test_unknown_api_path_is_json_404(app, client, seeded):
    response = client.get("/api/v1/no-such-thing", headers=bearer(api_token(app, "admin")))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_on_api_is_json_405(app, client, seeded):
    response = client.delete("/api/v1/me", headers=bearer(api_token(app, "admin")))
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_body_is_400_not_500(app, client, seeded):
    response = client.post(
        "/api/v1/admin/clock",
        data="{not json",
        headers={**bearer(api_token(app, "admin")), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "bad_request",
        "message": "请求体不是有效的 JSON",
        "fields": {"_body": "请求体不是有效的 JSON"},
    }


def test_missing_body_field_is_422_naming_it_in_chinese(app, client, seeded):
    response = client.post("/api/v1/admin/clock", json={}, headers=bearer(api_token(app, "admin")))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"now": "必填"}


def test_missing_department_id_on_page_is_404(client, seeded):
    login(client, "admin")
    assert client.get("/org/departments/999999").status_code == 404


def test_unexpected_exception_becomes_a_json_500_for_the_api(app, client, seeded, monkeypatch):
    from app.api import me

    def explode():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "api.me", lambda: explode())
    response = client.get("/api/v1/me", headers=bearer(api_token(app, "admin")))
    assert response.status_code == 500
    assert response.get_json()["error"] == {
        "code": "internal_error",
        "message": "系统内部错误，已记录，请稍后重试",
    }
    assert me  # the real view is untouched by the patch


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_nul_characters_are_a_clear_422_on_every_database(app, client, seeded):
    headers = bearer(api_token(app, "admin"))
    assert client.get("/api/v1/catalog/resources?q=a%00b", headers=headers).status_code == 422
    response = client.post("/api/v1/tasks/x/reassign", json={"assignee": "a\x00b"}, headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["fields"] == {
        "assignee": "含有空字符（\\u0000）"
    }
    assert client.get("/login?next=%00").status_code == 422


def test_a_lone_surrogate_in_any_json_text_is_a_422_naming_the_field(app, client, demo_content):
    """ "\\ud800" is valid JSON but no UTF-8 text: neither database could store it, no page could show it."""
    headers = bearer(api_token(app, "rst_applicant"))
    body = '{"purpose": "ok", "resources": [{"code": "x", "items": ["\\ud800"]}]}'
    response = client.post(
        "/api/v1/applications", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "resources[0].items[0]": "含有无效的 Unicode 字符（单独的代理码位）"
    }
    draft = client.put(
        "/api/v1/tasks/x/draft",
        data='{"data": {"reasons": "a\\udfffb"}}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert draft.status_code == 422 and list(draft.get_json()["error"]["fields"]) == ["data.reasons"]


def test_ids_typed_into_query_strings_and_forms_beyond_any_row_are_not_found(app, client, seeded):
    """An id past the database's integer range (or not a number) finds nothing: a 404 or a form error, not
    an overflow in the database driver."""
    from tests.conftest import csrf_token

    login(client, "rst_applicant")
    for path in ("/objections/new?authorization=", "/offline/new?authorization=", "/disputes/new?line="):
        for value in ("99999999999999999999", "-1", "abc", "0"):
            assert client.get(path + value).status_code == 404, path + value
    leader = app.test_client()
    login(leader, "leader")
    token = csrf_token(leader, "/supervision/rectifications")
    response = leader.post(
        "/supervision/rectifications",
        data={
            "csrf_token": token,
            "department_id": "99999999999999999999",
            "failing": "overdue",
            "description": "超期",
            "deadline_days": "5",
        },
    )
    assert response.status_code == 422 and "请选择被通知整改的部门" in response.get_data(as_text=True)


def test_page_numbers_and_filters_beyond_any_row_show_an_empty_page(app, client, demo_content):
    login(client, "rst_applicant")
    for path in (
        "/catalog/?provider=99999999999999999999",
        "/catalog/?page=99999999999999999999",
        "/tasks?page=99999999999999999999",
        "/tasks?page=abc",
        "/catalog/?page=-3",
    ):
        assert client.get(path).status_code == 200, path
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    assert supervisor.get("/supervision/audit?page=99999999999999999999").status_code == 200
