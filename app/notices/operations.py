"""The notices room's service operation for any procedure: an in-app notification (and its mail)."""

from __future__ import annotations

from app.engine.operations import operation
from app.engine.scripting import current_run
from app.notices.notifications import send


@operation("notify")
def notify(
    task,
    message: str,
    user_id: int | None = None,
    role: str | None = None,
    department_id: int | None = None,
    link: str | None = None,
) -> dict:
    """An in-app notification to a user, a role, or a role within a department."""
    run = current_run()
    note = send(
        message=message,
        user_id=user_id,
        role=role,
        department_id=department_id,
        link=link or (f"/cases/{run.business_key}" if run.business_key else None),
        instance_id=run.instance_id,
    )
    return {"notification_id": note.id}
