"""The foundation: configuration, organisation model, migrations, health check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from app import create_app
from app.db_types import include_name
from app.extensions import db
from app.org.models import Department, Level, Platform
from app.org.services import create_department
from app.org.uscc import check_character, make_uscc, uscc_error
from config import ProductionConfig


def test_migrations_produce_exactly_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


REAL_KEY = "Zq8v-3kT1pWm9xR2bY7cN4hL6jF0sD5gA"
REAL_AUDIT_KEY = "9f2c4e6a8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a"


@pytest.mark.parametrize(
    ("env", "starts", "named"),
    [
        ({"GOVSHARE_ENV": "production", "SECRET_KEY": REAL_KEY, "AUDIT_KEY": REAL_AUDIT_KEY}, True, ""),
        ({"SECRET_KEY": REAL_KEY, "AUDIT_KEY": REAL_AUDIT_KEY}, True, ""),  # unset means production
        (
            {"GOVSHARE_ENV": "production", "SECRET_KEY": "dev-only-not-secret", "AUDIT_KEY": REAL_AUDIT_KEY},
            False,
            "SECRET_KEY",
        ),
        (
            {"GOVSHARE_ENV": "production", "SECRET_KEY": "short", "AUDIT_KEY": REAL_AUDIT_KEY},
            False,
            "SECRET_KEY",
        ),
        (
            {"GOVSHARE_ENV": "production", "SECRET_KEY": "k" * 48, "AUDIT_KEY": REAL_AUDIT_KEY},
            False,
            "SECRET_KEY",
        ),
        ({"GOVSHARE_ENV": "production", "SECRET_KEY": REAL_KEY}, False, "AUDIT_KEY"),
        ({"SECRET_KEY": REAL_KEY, "AUDIT_KEY": "a" * 40}, False, "AUDIT_KEY"),
    ],
    ids=["real", "unset-is-production", "dev", "short", "repeated", "no-audit-key", "weak-audit-key"],
)
def test_production_starts_only_with_real_keys_from_the_environment(tmp_path, env, starts, named):
    """The README's production start, read by a fresh interpreter as gunicorn would. GOVSHARE_ENV unset is
    production: development (a movable clock, demo keys) must be chosen explicitly."""
    base = {k: v for k, v in os.environ.items() if k not in ("GOVSHARE_ENV", "SECRET_KEY", "AUDIT_KEY")}
    env = {**base, **env, "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"}
    started = subprocess.run(
        [sys.executable, "-c", "from app import create_app; print(create_app().config['ENV_NAME'])"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    if starts:
        assert started.returncode == 0 and started.stdout.strip() == "production", started.stderr
    else:
        assert started.returncode != 0 and named in started.stderr


def test_production_uses_secure_cookies(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", REAL_KEY)
    monkeypatch.setattr(ProductionConfig, "AUDIT_KEY", REAL_AUDIT_KEY)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["ALLOW_CLOCK_OVERRIDE"] is False


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'wal.db'}"

    app = create_app(Config)
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y43", "11420000MB0000017T", make_uscc("1", "1", "420100", "MB000013")],
)
def test_valid_unified_social_credit_codes_pass(code):
    assert uscc_error(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "18位"),
        ("91350100M000100Y44", "校验位错误（应为 3）"),
        ("9135010OM000100Y43", "不允许的字符"),
        ("91350100m000100y43", "大写"),
        ("91A50100M000100Y43", "不允许的字符"),
    ],
)
def test_invalid_unified_social_credit_codes_are_explained(code, message):
    assert message in uscc_error(code)


def test_check_character_follows_gb32100_weights():
    # 3^i mod 31 weights; a change in any position changes the check character.
    base = "91350100M000100Y4"
    assert check_character(base) == "3"
    assert check_character("81350100M000100Y4") != "3"


def test_department_with_bad_code_is_rejected_per_field(app, seeded):
    from app.errors import ValidationFailed

    with app.app_context():
        platform = db.session.scalar(db.select(Platform).where(Platform.code == "HB"))
        with pytest.raises(ValidationFailed) as info:
            create_department(
                uscc="11420000MB0000017X",
                name="湖北省测试厅",
                short_name="测试厅",
                region=platform.region,
                platform=platform,
                level=Level.PROVINCE,
            )
        assert "校验位" in info.value.fields["uscc"]


def test_one_operator_per_platform(app, seeded):
    from app.errors import ValidationFailed

    with app.app_context():
        platform = db.session.scalar(db.select(Platform).where(Platform.code == "HB-WH"))
        assert platform.operator.name == "武汉市数据局"
        with pytest.raises(ValidationFailed) as info:
            create_department(
                uscc=make_uscc("1", "1", "420100", "MB000099"),
                name="武汉市另一个数据局",
                short_name="另一个",
                region=platform.region,
                platform=platform,
                level=Level.CITY,
                operates_platform=True,
            )
        assert "operates_platform" in info.value.fields


def test_demo_data_looks_like_hubei(app, seeded):
    with app.app_context():
        platforms = {p.code: p for p in db.session.scalars(db.select(Platform))}
        assert platforms["HB-WH"].parent is platforms["HB"]
        assert platforms["HB-XG"].parent is platforms["HB"]
        assert platforms["HB"].operator.name == "湖北省数据局"
        names = set(db.session.scalars(db.select(Department.name)))
        for expected in (
            "湖北省公安厅",
            "湖北省市场监督管理局",
            "湖北省数字政府建设领导小组办公室",
            "孝感市数据局",
        ):
            assert expected in names
        assert all(uscc_error(code) is None for code in db.session.scalars(db.select(Department.uscc)))


def test_demo_seed_is_idempotent(app, seeded):
    from app.demo import seed

    with app.app_context():
        assert seed() == {"regions": 0, "platforms": 0, "departments": 0, "users": 0}


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_upgrading_a_populated_database_keeps_its_instances(tmp_path):
    """Batch migrations rebuild SQLite tables; rows referenced by foreign keys and old plain-JSON engine
    states must survive the upgrade to the compressed-state schema."""
    from app.engine.store import decode_state
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"

    app = create_app(Config)
    with app.app_context():
        upgrade(revision="823b30a25de6")
        db.session.execute(
            text(
                "INSERT INTO process_version (id, process_id, version, name, content_hash, source_file, files, forms,"
                " deployed_at, deployed_by_name, comment) VALUES (1, 'p', 1, 'p', 'h', 'p.bpmn', '{}', '{}',"
                " '2026-01-05 02:00:00', 'system', '')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO process_instance (id, process_version_id, process_id, business_key, status, state,"
                " serializer_version, lock_version, started_at, updated_at) VALUES (1, 1, 'p', 'K-1', 'waiting',"
                " '{\"data\": {\"a\": 1}}', 'x', 1, '2026-01-05 02:00:00', '2026-01-05 02:00:00')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO human_task (id, instance_id, business_key, process_id, spec_name, label, status,"
                " created_at, deadline_provisional) VALUES ('t-1', 1, 'K-1', 'p', 's', 'l', 'open',"
                " '2026-01-05 02:00:00', 0)"
            )
        )
        db.session.commit()
        upgrade()
        state = db.session.execute(text("SELECT state FROM process_instance WHERE id = 1")).scalar()
        assert decode_state(state) == {"data": {"a": 1}}
        assert db.session.execute(text("SELECT count(*) FROM human_task")).scalar() == 1
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []


def _queue_index_columns() -> list[str]:
    indexes = sa_inspect(db.engine).get_indexes("human_task")
    return next(index["column_names"] for index in indexes if index["name"] == "ix_human_task_queue")


def test_migrations_go_down_to_nothing_and_up_again(app):
    """Every migration can be undone and redone (on the test database: SQLite or PostgreSQL)."""
    with app.app_context():
        downgrade(revision="base")
        assert set(sa_inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": include_name}
            )
            assert compare_metadata(context, db.metadata) == []


def test_a_database_upgraded_before_the_queue_index_was_widened_gets_the_wider_index(tmp_path):
    """Revision 7a1c0e5d2b90 keeps the form it was first applied in; the next migration widens the index."""
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"

    with create_app(Config).app_context():
        upgrade(revision="7a1c0e5d2b90")
        assert "process_id" not in _queue_index_columns()
        upgrade()
        assert _queue_index_columns()[-3:] == ["process_id", "label", "id"]
        downgrade(revision="d021b619014e")
        assert "process_id" not in _queue_index_columns()
