"""Notifications over the API: the caller's list (newest first) with the unread count; mark one read."""

from __future__ import annotations

from app.api import api_user, bp
from app.api.schemas import NotificationListOut, NotificationQuery, NotificationReadOut
from app.notices.notifications import mark_read, notification_count, notifications_for, read_ids, unread_count

TAGS = ["通知"]


@bp.get("/notifications", tags=TAGS)
@bp.arguments(NotificationQuery, location="query", as_kwargs=True)
@bp.response(200, NotificationListOut)
def list_notifications(unread: int, limit: int, offset: int):
    """我的通知（新的在前）与未读数"""
    user = api_user()
    items = notifications_for(user, unread_only=unread == 1, limit=limit, offset=offset)
    seen = read_ids(user, [n.id for n in items])
    return {
        "items": [
            {
                "id": n.id,
                "message": n.message,
                "link": n.link,
                "created_at": n.created_at,
                "read": n.id in seen,
            }
            for n in items
        ],
        "unread_count": unread_count(user),
        "total": notification_count(user, unread_only=unread == 1),
        "limit": limit,
        "offset": offset,
    }


@bp.post("/notifications/<int:notification_id>/read", tags=TAGS)
@bp.response(200, NotificationReadOut)
def read_notification(notification_id: int):
    """标记一条通知已读；不是本人的通知返回 404"""
    user = api_user()
    mark_read(user, notification_id)
    return {"id": notification_id, "read": True, "unread_count": unread_count(user)}
