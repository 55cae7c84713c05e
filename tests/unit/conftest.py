"""Unit tests: pure rules (the calendar, catalog rules, the timer language, model comparison, the import rules)
— no Flask application, no database. A unit test that asks for either fails here; it belongs in
tests/integration."""

from __future__ import annotations

import pytest

FORBIDDEN = {
    "app",
    "client",
    "ctx",
    "seeded",
    "demo_content",
    "content",
    "engine_ready",
    "live_server",
    "database_url",
}


@pytest.fixture(autouse=True)
def _no_application(request: pytest.FixtureRequest) -> None:
    used = FORBIDDEN & set(request.fixturenames)
    if used:
        pytest.fail(f"a unit test uses {sorted(used)}: move it to tests/integration")
