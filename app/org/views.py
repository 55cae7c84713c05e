"""Department and user pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.access import require
from app.errors import NotFound
from app.extensions import db
from app.org.models import Department
from app.org.services import list_users, visible_departments

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.route("/departments")
@login_required
def departments():
    """The departments the user may see."""
    return render_template("org/departments.html", departments=visible_departments(current_user))


@bp.route("/departments/<int:department_id>")
@login_required
def department(department_id: int):
    """One department: its platform and its people."""
    dept = db.session.get(Department, department_id)
    if dept is None:
        raise NotFound("部门不存在")
    require(current_user, "department.view", dept)
    from app.supervision.models import FAILINGS
    from app.supervision.rectification import rectifications_for

    items = rectifications_for(current_user, dept.id)  # §31: visible on the department's page
    return render_template("org/department.html", dept=dept, rectifications=items, failings=FAILINGS)


@bp.route("/users")
@login_required
def users():
    """All users (admins only)."""
    require(current_user, "user.manage")
    return render_template("org/users.html", users=list_users())
