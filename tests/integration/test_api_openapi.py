"""The OpenAPI document, the docs page, and a fuzzing run (schemathesis) that must find no 5xx."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode

from app import clock
from app.auth.services import create_gateway_credential
from app.extensions import db
from tests.conftest import api_token, bearer, login

REQUIRED = {
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks/{task_id}/claim"),
    ("post", "/api/v1/tasks/{task_id}/unclaim"),
    ("post", "/api/v1/tasks/{task_id}/complete"),
    ("post", "/api/v1/applications"),
    ("get", "/api/v1/applications"),
    ("get", "/api/v1/applications/{number}"),
    ("post", "/api/v1/objections"),
    ("get", "/api/v1/objections/{number}"),
    ("post", "/api/v1/disputes"),
    ("get", "/api/v1/disputes"),
    ("get", "/api/v1/authorizations"),
    ("post", "/api/v1/authorizations/check"),
    ("get", "/api/v1/catalog/resources"),
    ("get", "/api/v1/notifications"),
}


def test_openapi_document_is_served_without_a_token_and_covers_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    operations = {(method, path) for path, methods in spec["paths"].items() for method in methods}
    assert operations >= REQUIRED
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    # Bodies come from the marshmallow schemas, required fields included.
    body = spec["components"]["schemas"]["ApplicationInput"]
    assert {"purpose", "valid_from", "resources"} <= set(body["required"])
    # Errors are documented in the one format the API answers.
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["$ref"].endswith("/ErrorBody")


def test_documented_response_matches_what_the_api_answers(app, client, demo_content):
    token = bearer(api_token(app, "rst_applicant"))
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = set(spec["components"]["schemas"]["MeOut"]["properties"])
    assert set(client.get("/api/v1/me", headers=token).get_json()) == documented


def test_docs_page_lists_every_operation_in_chinese(app, client, seeded):
    login(client, "rst_applicant")
    html = client.get("/api/docs").get_data(as_text=True)
    assert "接口文档" in html and "待办任务" in html and "请求体（JSON）" in html
    for _method, path in REQUIRED:
        assert f"<code>{path}</code>" in html


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_finds_no_server_error(app, demo_content, mode):
    """Every operation, generated bodies, query strings and path values: 4xx at worst, never 5xx."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = bearer(api_token(app, "hb_operator"))
    with app.app_context():  # the gateway's decision endpoint takes only a gateway credential
        _credential, plain = create_gateway_credential("fuzz", None)
        db.session.commit()
    gateway = bearer(plain)
    start = clock.now()
    failures: list[str] = []
    seen: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= len(REQUIRED)
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=int(os.environ.get("FUZZ_EXAMPLES", "15")),  # more by hand: FUZZ_EXAMPLES=200
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=gateway if case.path.endswith("/authorizations/check") else headers)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r} → {response.status_code}")
            clock.freeze(start)  # POST /admin/clock may have moved it

        call()
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    assert not failures, "\n".join(failures)
    assert sum(seen.values()) >= 5 * len(operations), seen  # the run did call the API
    print(mode, seen)


def test_every_list_pages_one_way_with_a_total(client):
    """#28 item 11: every GET that answers a list of items takes limit/offset and answers total/limit/offset."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    lists = []
    for path, methods in spec["paths"].items():
        get = methods.get("get")
        if not get:
            continue
        reference = (
            get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        )
        name = reference.get("$ref", "").rsplit("/", 1)[-1]
        properties = schemas.get(name, {}).get("properties", {})
        if "items" not in properties or "{" in path:
            continue  # one object (its "items" are data items, or its parts), not a list to page
        lists.append(path)
        parameters = {p["name"] for p in get.get("parameters", []) if p.get("in") == "query"}
        assert {"limit", "offset"} <= parameters, path
        assert {"total", "limit", "offset"} <= set(properties), path
    assert {
        "/api/v1/applications",
        "/api/v1/authorizations",
        "/api/v1/objections",
        "/api/v1/disputes",
        "/api/v1/incidents",
        "/api/v1/tasks",
        "/api/v1/notifications",
        "/api/v1/catalog/resources",
    } <= set(lists)
