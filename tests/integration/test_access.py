"""The one authorization helper, and pages that obey it."""

from __future__ import annotations

import pytest

from app.access import can, known_actions
from app.extensions import db
from app.org.models import Department, User
from tests.conftest import login


def _user(name: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == name))


def _dept(name: str) -> Department:
    return db.session.scalar(db.select(Department).where(Department.name == name))


@pytest.mark.parametrize(
    ("username", "department", "allowed"),
    [
        ("wh_applicant", "武汉市人力资源和社会保障局", True),  # own department
        ("wh_applicant", "武汉市公安局", False),  # another department on the same platform
        ("wh_applicant", "湖北省公安厅", False),
        ("wh_operator", "武汉市公安局", True),  # operator of that department's platform
        ("wh_operator", "孝感市民政局", False),  # another city's platform
        ("hb_operator", "湖北省公安厅", True),
        ("hb_operator", "武汉市公安局", False),  # the provincial operator does not run the city platform
        ("supervisor", "孝感市民政局", True),  # §26 supervision sees everything
        ("leader", "武汉市公安局", True),
    ],
)
def test_who_may_view_a_department(app, seeded, username, department, allowed):
    with app.app_context():
        assert can(_user(username), "department.view", _dept(department)) is allowed


def test_unknown_action_is_an_error_not_a_permission(app, seeded):
    with app.app_context(), pytest.raises(LookupError):
        can(_user("admin"), "no.such.action")


def test_inactive_user_may_do_nothing(app, seeded):
    with app.app_context():
        user = _user("admin")
        user.active = False
        assert not can(user, "user.manage")


def test_foundation_actions_are_registered():
    assert {"department.view", "user.manage", "calendar.manage", "clock.set"} <= set(known_actions())


def test_clerk_cannot_open_another_departments_page(app, client, seeded):
    with app.app_context():
        other = _dept("武汉市公安局").id
        own = _dept("武汉市人力资源和社会保障局").id
    login(client, "wh_applicant")
    assert client.get(f"/org/departments/{own}").status_code == 200
    response = client.get(f"/org/departments/{other}")
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)


def test_department_list_shows_only_what_the_user_may_open(app, client, seeded):
    login(client, "wh_operator")
    html = client.get("/org/departments").get_data(as_text=True)
    assert "武汉市公安局" in html and "湖北省公安厅" not in html and "孝感市民政局" not in html


def test_users_page_is_for_admins_only(app, client, seeded):
    login(client, "rst_applicant")
    assert client.get("/org/users").status_code == 403
    admin = app.test_client()
    login(admin, "admin")
    html = admin.get("/org/users").get_data(as_text=True)
    assert "gat_provider" in html


def test_navigation_depends_on_role(client, seeded):
    login(client, "admin")
    assert "用户管理" in client.get("/").get_data(as_text=True)


def test_navigation_hides_admin_items_from_clerks(client, seeded):
    login(client, "rst_applicant")
    assert "用户管理" not in client.get("/").get_data(as_text=True)
