"""Test fixtures: one app per session on the test database (SQLite file, or TEST_DATABASE_URL for
PostgreSQL), schema built by the real migrations, every table emptied after each test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from app import clock, create_app
from app.calendar import services as calendar_services
from app.engine import registry, store
from app.extensions import db, sequences_past_ids
from config import TestingConfig


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """TEST_DATABASE_URL (PostgreSQL in CI) or a fresh SQLite file; with several test processes (pytest-xdist)
    each has its own database (PostgreSQL: TEST_DATABASE_URL's name with the worker's, created if missing)."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        return _worker_database(url, worker)
    return url or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _worker_database(url: str, worker: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The application, with the schema created by running every migration from an empty database."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    application = create_app(Config)

    @application.teardown_appcontext
    def _a_test_block_is_a_use_case(error: BaseException | None) -> None:
        """A test is the entry point of the services it calls itself: the app context it opened for them (a
        `with app.app_context():` block, or a fixture's) ends its unit of work, committed unless it raised.
        The app's own entry points (pages, API, CLI, scheduler jobs) commit or roll back before this runs."""
        if error is None:
            db.session.commit()
        else:
            db.session.rollback()

    with application.app_context():
        _drop_everything()
        upgrade()
    # No app context stays pushed: each request and each test gets its own (and its own flask.g).
    yield application


def _empty_tables() -> None:
    """Delete every row; ids start again at 1 on both databases (SQLite reuses them without AUTOINCREMENT)."""
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE costs per table, used or not: only the tables the test wrote to (found in one query).
        probe = " UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in db.metadata.sorted_tables
        )
        used = list(db.session.scalars(text(probe)))
        if used and db.session.scalar(text("SELECT current_setting('is_superuser')")) == "on":
            # DELETE is far cheaper than TRUNCATE for a test's few rows; with triggers and foreign-key checks
            # off for this transaction (the audit trail's append-only trigger would refuse it), in any order.
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
            for name in used:
                db.session.execute(text(f'DELETE FROM "{name}"'))
        elif used:
            names = ", ".join(f'"{name}"' for name in used)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # a sequence moved by an insert that was rolled back (its table empty): back to 1 as well
        moved = db.session.scalars(
            text("SELECT quote_ident(sequencename) FROM pg_sequences WHERE last_value IS NOT NULL")
        )
        for sequence in list(moved):
            db.session.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


def _drop_everything() -> None:
    """An empty database, whatever an earlier run (of another revision) left in it."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()


UNIT = Path(__file__).parent / "unit"


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with empty tables, a running clock and no cached calendar. Unit tests (tests/unit)
    have no application and no database: they get neither."""
    if request.path.is_relative_to(UNIT):
        yield
        clock.unfreeze()
        return
    app = request.getfixturevalue("app")
    calendar_services._calendars.clear()
    registry._parsed.clear()
    registry._step_days.clear()
    store._warm.clear()  # ids restart at 1 after each test's truncation; production never reuses them
    yield
    clock.unfreeze()
    with app.app_context():
        _empty_tables()
    calendar_services._calendars.clear()
    registry._parsed.clear()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """A fresh app context per test, so flask.g (calendar version cache) starts empty."""
    with app.app_context():
        yield


DEMO_MOMENT = "2026-11-02T10:00:00+08:00"


def _rows() -> dict[str, list[dict]]:
    """Every row of every table, as the database returns it (inside an app context)."""
    return {
        table.name: [dict(row._mapping) for row in db.session.execute(table.select())]
        for table in db.metadata.sorted_tables
    }


def _key(table, row: dict) -> tuple:
    return tuple(row[column.name] for column in table.primary_key.columns)


@pytest.fixture(scope="session")
def demo_snapshot(app: Flask) -> dict[str, dict[str, list[dict]]]:
    """The demo organisation (`seed`) and the demo content (`seed_content`: every procedure deployed, the demo
    catalog) made once per session by the real seeding code and kept as rows; each test that needs them gets
    them back by bulk inserts, tens of milliseconds instead of seeding again (#29)."""
    from datetime import datetime

    from app.demo import seed, seed_content

    with app.app_context():
        seed()
    with app.app_context():
        organisation = _rows()
    clock.freeze(datetime.fromisoformat(DEMO_MOMENT))
    try:
        with app.app_context():
            seed_content(applications=False)
        with app.app_context():
            content = _rows()
    finally:
        clock.unfreeze()
    with app.app_context():
        _empty_tables()
    return {"seeded": organisation, "content": content}


def _load(base: dict[str, list[dict]] | None, target: dict[str, list[dict]]) -> None:
    """Bring the tables from `base` (None: empty) to `target`: insert the rows `base` lacks, update the rows
    that changed (a counter, the audit chain's head); identity sequences moved past the ids inserted."""
    changed = []
    for table in db.metadata.sorted_tables:
        before = {_key(table, row): row for row in (base or {}).get(table.name, [])}
        new = [row for row in target[table.name] if _key(table, row) not in before]
        updated = [row for row in target[table.name] if before.get(_key(table, row), row) != row]
        if new:
            db.session.execute(table.insert(), new)
            changed.append(table)
        for row in updated:
            condition = [column == row[column.name] for column in table.primary_key.columns]
            db.session.execute(table.update().where(*condition).values(row))
    sequences_past_ids(changed)
    db.session.commit()


@pytest.fixture
def seeded(app: Flask, demo_snapshot) -> None:
    """The demo organisation and users."""
    with app.app_context():
        _load(None, demo_snapshot["seeded"])


@pytest.fixture
def demo_content(app: Flask, seeded, demo_snapshot) -> None:
    """The deployed procedures and the demo catalog, as of Monday 2026-11-02 10:00 (clock frozen there).
    No app context stays pushed: use it with HTTP clients."""
    from datetime import datetime

    clock.freeze(datetime.fromisoformat(DEMO_MOMENT))
    with app.app_context():
        _load(demo_snapshot["seeded"], demo_snapshot["content"])


@pytest.fixture(scope="session")
def demo_full_snapshot(app: Flask, demo_snapshot) -> dict[str, list[dict]]:
    """The whole demo — content, applications at every step, supervision — made once per session by the real
    seeding code (`seed_content()`), on top of the content snapshot, and kept as rows."""
    from datetime import datetime

    from app.demo import seed_content

    with app.app_context():
        _load(None, demo_snapshot["content"])
    store._warm.clear()  # instances of earlier tests may have had the ids the demo's get now
    clock.freeze(datetime.fromisoformat(DEMO_MOMENT))
    try:
        with app.app_context():
            seed_content()
        with app.app_context():
            full = _rows()
    finally:
        clock.unfreeze()
        store._warm.clear()
        registry._parsed.clear()
        with app.app_context():
            _empty_tables()
    return full


@pytest.fixture
def full_demo(app: Flask, demo_content, demo_snapshot, demo_full_snapshot) -> None:
    """The whole demo (what `make run` shows) as of Monday 2026-11-02 10:00, clock frozen there."""
    with app.app_context():
        _load(demo_snapshot["content"], demo_full_snapshot)


@pytest.fixture
def content(app: Flask, demo_content) -> Iterator[None]:
    """demo_content inside an app context, for tests that call service functions directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client (CSRF protection is on, as in production)."""
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on `path`."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def login(client: FlaskClient, username: str, password: str = "govshare2026"):
    """Sign in through the real sign-in form, and its second step where the user's role requires one (the
    user's authenticator is simulated with a known secret; tests of the second factor itself enrol for real)."""
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code == 302 and response.headers["Location"].endswith("/login/second-factor"):
        import pyotp

        from app.org.models import User

        with client.application.app_context():
            user = db.session.scalar(db.select(User).where(User.username == username))
            if user.totp_enabled_at is None:
                user.totp_secret, user.totp_enabled_at = TEST_TOTP_SECRET, clock.now()
            user.totp_last_step = None  # several sign-ins within one 30 s step (the clock is often frozen)
            db.session.commit()
        code = pyotp.TOTP(TEST_TOTP_SECRET).at(clock.now())
        token = csrf_token(client, "/login/second-factor")
        response = client.post("/login/second-factor", data={"code": code, "csrf_token": token})
    return response


def end_use_case() -> None:
    """The test's own use case so far is done (committed), before another actor's starts in another app context
    (a helper's, a scheduler job's) that must see it — as when a user's request ended."""
    if has_app_context():
        db.session.commit()


def api_token(app: Flask, username: str) -> str:
    """A bearer token for `username`, made by the same service the profile page uses."""
    from app.auth.services import create_api_token
    from app.org.models import User

    end_use_case()
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        return create_api_token(user, "测试")[1]


def bearer(token: str) -> dict[str, str]:
    """Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}


DATA = Path(__file__).parent / "data"


def deploy_test_models(*names: str, comment: str = "test"):
    """Deploy BPMN files from tests/data/bpmn with forms from tests/data/forms (inside an app context)."""
    from app.studio.deploy import deploy
    from app.transactions import unit_of_work

    with unit_of_work():
        result = deploy([DATA / "bpmn" / name for name in names], forms_dir=DATA / "forms", comment=comment)
    assert result.problems == [], [str(p) for p in result.problems]
    return result


@pytest.fixture
def engine_ready(app: Flask, seeded) -> Iterator[None]:
    """The engine's sample process (tests/data/bpmn/engine_sample.bpmn) deployed; an app context pushed."""
    with app.app_context():
        deploy_test_models("engine_sample.bpmn")
    with app.app_context():
        yield


@contextmanager
def captured_sql() -> Iterator[list[str]]:
    """The SQL statements executed inside the with-block (inside an app context)."""
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def user(username: str):
    """The user called `username` (inside an app context)."""
    from app.org.models import User

    return db.session.scalar(db.select(User).where(User.username == username))


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The application served over real HTTP by a threaded server on 127.0.0.1 (each request in its own
    thread, session and database connection, as under gunicorn): the base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
