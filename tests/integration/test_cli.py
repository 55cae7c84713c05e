"""The govshare command line."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.demo import USERS
from app.extensions import db
from app.org.models import User
from tests.conftest import bearer


def run(app, *args: str, input: str | None = None):
    """Invoke `govshare ARGS` against the test app."""
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), input=input)


def test_users_create_reads_the_password_from_stdin(app, seeded):
    result = run(
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
        "--role",
        "provider_clerk",
        "--password-stdin",
        input="A-long-password-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "applicant_clerk, provider_clerk" in result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "new_clerk"))
        assert user.department.name == "湖北省民政厅"
        assert {r.value for r in user.roles} == {"applicant_clerk", "provider_clerk"}


def test_users_create_by_credit_code_and_chinese_role_label(app, seeded):
    with app.app_context():
        code = db.session.scalar(db.select(User).where(User.username == "gat_provider")).department.uscc
    result = run(
        app,
        "users",
        "create",
        "--username",
        "gat2",
        "--name",
        "二号",
        "--department",
        code,
        "--role",
        "提供部门审核人",
    )
    assert result.exit_code == 0, result.output


def test_users_create_reports_every_bad_field_in_chinese(app, seeded):
    result = run(
        app,
        "users",
        "create",
        "--username",
        "A!",
        "--name",
        "x",
        "--department",
        "不存在的部门",
        "--role",
        "dictator",
        "--password-stdin",
        input="short\n",
    )
    assert result.exit_code == 1
    for expected in ("username", "department", "roles", "password", "部门不存在", "未知角色"):
        assert expected in result.output


def test_users_token_prints_a_working_token(app, client, seeded):
    result = run(app, "users", "token", "supervisor")
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("gs_")
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["username"] == "supervisor"


def test_users_list_shows_roles_and_departments(app, seeded):
    result = run(app, "users", "list")
    assert "wh_operator" in result.output and "武汉市数据局" in result.output


def test_demo_seed_twice_creates_nothing_the_second_time(app):
    first = run(app, "demo", "seed")
    second = run(app, "demo", "seed")
    assert json.loads(first.output)["users"] == len(USERS)
    assert json.loads(first.output)["resources"] == 31
    assert json.loads(first.output)["applications"] == 2 and json.loads(first.output)["overdue_cases"] == 1
    assert json.loads(first.output)["returned_cases"] == 1
    assert json.loads(first.output)["cases"] == 6 and json.loads(first.output)["calls"] == 121
    assert json.loads(second.output) == {
        "regions": 0,
        "platforms": 0,
        "departments": 0,
        "users": 0,
        "processes": 0,
        "resources": 0,
        "services": 0,
        "applications": 0,
        "overdue_cases": 0,
        "returned_cases": 0,
        "matters": 0,
        "cases": 0,
    }
