"""In-app notifications: written by service operations and use cases, read on the notifications page."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_

from app import clock
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.mailer import mail_notice
from app.notices.models import Notification, NotificationRead
from app.org.models import User
from app.org.roles import ROLE_VALUES
from app.org.services import principals_of


def send(
    *,
    message: str,
    user_id: int | None = None,
    role: str | None = None,
    department_id: int | None = None,
    link: str | None = None,
    instance_id: int | None = None,
) -> Notification:
    """Add a notification (in the caller's transaction) for a user, a role, a department, or a role in one."""
    if user_id is None and role is None and department_id is None:
        raise ValidationFailed(_("通知必须指定接收人、角色或部门"))
    if role is not None and role not in ROLE_VALUES:
        raise ValidationFailed(_("未知角色 %(role)s", role=role))
    note = Notification(
        recipient_user_id=user_id,
        recipient_role=role,
        recipient_department_id=department_id,
        message=message,
        link=link,
        instance_id=instance_id,
        created_at=clock.now(),
    )
    db.session.add(note)
    db.session.flush()
    mail_notice(note)  # and by e-mail to those who chose it (kept in the outbox, sent by the scheduler)
    return note


def _for_user(user: User):
    roles = [r.value for r in user.roles]
    return or_(
        Notification.recipient_user_id.in_([user.id, *principals_of(user)]),  # and a principal's (委托)
        and_(
            Notification.recipient_user_id.is_(None),
            or_(Notification.recipient_role.is_(None), Notification.recipient_role.in_(roles)),
            or_(
                Notification.recipient_department_id.is_(None),
                Notification.recipient_department_id == user.department_id,
            ),
        ),
    )


def _unread(user: User):
    return ~exists().where(
        NotificationRead.notification_id == Notification.id, NotificationRead.user_id == user.id
    )


def notifications_for(
    user: User, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[Notification]:
    """The user's notifications, newest first."""
    query = db.select(Notification).where(_for_user(user))
    if unread_only:
        query = query.where(_unread(user))
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)))


def notification_count(user: User, *, unread_only: bool = False) -> int:
    """How many notifications the user has (unread only: how many are unread)."""
    return (
        unread_count(user)
        if unread_only
        else (db.session.scalar(db.select(db.func.count(Notification.id)).where(_for_user(user))) or 0)
    )


def read_ids(user: User, notification_ids: list[int]) -> set[int]:
    """Which of these notifications the user has read."""
    if not notification_ids:
        return set()
    return set(
        db.session.scalars(
            db.select(NotificationRead.notification_id).where(
                NotificationRead.user_id == user.id, NotificationRead.notification_id.in_(notification_ids)
            )
        )
    )


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return (
        db.session.scalar(db.select(db.func.count(Notification.id)).where(_for_user(user), _unread(user)))
        or 0
    )


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    unread = list(db.session.scalars(db.select(Notification.id).where(_for_user(user), _unread(user))))
    now = clock.now()
    db.session.add_all(NotificationRead(notification_id=i, user_id=user.id, read_at=now) for i in unread)
    db.session.flush()
    return len(unread)


def mark_read(user: User, notification_id: int) -> None:
    """Mark one notification read for this user."""
    note = db.session.get(Notification, notification_id)
    if note is None or not db.session.scalar(
        db.select(Notification.id).where(Notification.id == note.id, _for_user(user))
    ):
        raise NotFound(_("通知不存在"))
    if db.session.get(NotificationRead, (notification_id, user.id)) is None:
        db.session.add(
            NotificationRead(notification_id=notification_id, user_id=user.id, read_at=clock.now())
        )
    db.session.flush()
