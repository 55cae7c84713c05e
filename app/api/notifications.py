"""Notifications over the API: the caller's list (newest first) with the unread count; mark one read."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import api_user, bp, int_arg
from app.engine.models import Notification
from app.engine.notifications import mark_read, notifications_for, read_ids, unread_count
from app.errors import ValidationFailed


def notification_json(note: Notification, read: bool) -> dict:
    """The API shape of a notification."""
    return {
        "id": note.id,
        "message": note.message,
        "link": note.link,
        "created_at": note.created_at.isoformat(),
        "read": read,
    }


@bp.get("/notifications")
def list_notifications():
    """?unread=1 for unread ones only; ?limit=1..200 (default 50)."""
    user = api_user()
    limit = int_arg("limit", 50, 1, 200)
    unread = request.args.get("unread", "0")
    if unread not in ("0", "1"):
        raise ValidationFailed(_("参数有误"), fields={"unread": _("只能是 0 或 1")})
    items = notifications_for(user, unread_only=unread == "1", limit=limit)
    seen = read_ids(user, [n.id for n in items])
    return jsonify(items=[notification_json(n, n.id in seen) for n in items], unread_count=unread_count(user))


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int):
    """Mark one of the caller's notifications read; 404 if it is not theirs."""
    user = api_user()
    mark_read(user, notification_id)
    return jsonify(id=notification_id, read=True, unread_count=unread_count(user))
