"""资源订阅 (#33): users watch a resource, a resource class or a provider department's catalog and are told —
once per event, in the app and by e-mail if they chose it — of new versions with what changed (items added or
removed, share type …, in the words of the catalog's history), withdrawal, service outages and stale data."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.access import require
from app.catalog.models import Resource, ResourceStatus, Watch, WatchNotice, WatchTarget
from app.catalog.vocab import RESOURCE_CLASSES, label
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.org.models import Department, User

TARGET_LABELS = {
    WatchTarget.RESOURCE: "资源",
    WatchTarget.CLASS: "资源类别",
    WatchTarget.PROVIDER: "提供部门",
}
MAX_WATCHES = 200


def describe(watch: Watch) -> tuple[str, str | None]:
    """(what is watched, in words; a link to it)."""
    if watch.target_type == WatchTarget.RESOURCE:
        resource = db.session.scalar(select(Resource).where(Resource.code == watch.target))
        name = resource.name if resource else watch.target
        return f"{name}（{watch.target}）", f"/catalog/resources/{watch.target}"
    if watch.target_type == WatchTarget.CLASS:
        return _(
            "%(c)s的全部资源", c=label(RESOURCE_CLASSES, watch.target)
        ), f"/catalog/?resource_class={watch.target}"
    department = db.session.get(Department, int(watch.target)) if watch.target.isdigit() else None
    return _("%(d)s的资源目录", d=department.name if department else watch.target), None


def _checked_target(target_type: str, target: str) -> str:
    target = (target or "").strip()
    if target_type == WatchTarget.RESOURCE:
        resource = db.session.scalar(select(Resource).where(Resource.code == target))
        if resource is None or resource.status != ResourceStatus.PUBLISHED:
            raise NotFound(_("资源 %(c)s 不存在或未发布", c=target[:40]))
        return target
    if target_type == WatchTarget.CLASS:
        if target not in RESOURCE_CLASSES:
            raise ValidationFailed(_("资源类别无效"), fields={"target": _("资源类别无效")})
        return target
    if target_type == WatchTarget.PROVIDER:
        department = (
            db.session.get(Department, int(target)) if target.isdigit() and len(target) < 10 else None
        )
        if department is None or not department.active:
            raise ValidationFailed(_("部门无效"), fields={"target": _("部门无效")})
        return str(department.id)
    raise ValidationFailed(_("订阅对象无效"), fields={"target_type": _("订阅对象无效")})


def watch(user: User, target_type: str, target: str) -> Watch:
    """Start watching (idempotent: watching twice keeps one). Not committed here."""
    require(user, "catalog.watch")
    target = _checked_target(target_type, target)
    found = db.session.scalar(
        select(Watch).where(
            Watch.user_id == user.id, Watch.target_type == target_type, Watch.target == target
        )
    )
    if found is not None:
        return found
    if len(watches_of(user)) >= MAX_WATCHES:
        raise ValidationFailed(_("订阅最多 %(n)d 项", n=MAX_WATCHES), fields={"target": _("订阅已达上限")})
    row = Watch(user_id=user.id, target_type=target_type, target=target)
    db.session.add(row)
    db.session.flush()
    return row


def unwatch(user: User, watch_id: int) -> None:
    """Stop watching; only one's own watches (another's is not found)."""
    row = db.session.get(Watch, watch_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("订阅不存在"))
    db.session.delete(row)


def watches_of(user: User) -> list[Watch]:
    """A user's watches, newest first."""
    return list(db.session.scalars(select(Watch).where(Watch.user_id == user.id).order_by(Watch.id.desc())))


def watching(user: User, target_type: str, target: str) -> Watch | None:
    """The user's watch of this target, if any."""
    return db.session.scalar(
        select(Watch).where(
            Watch.user_id == user.id, Watch.target_type == target_type, Watch.target == target
        )
    )


def watchers(resource: Resource) -> list[int]:
    """Ids of the active users watching `resource` itself, its class or its provider."""
    query = (
        select(Watch.user_id)
        .join(User, User.id == Watch.user_id)
        .where(
            User.active.is_(True),
            or_(
                (Watch.target_type == WatchTarget.RESOURCE) & (Watch.target == resource.code),
                (Watch.target_type == WatchTarget.CLASS) & (Watch.target == resource.resource_class),
                (Watch.target_type == WatchTarget.PROVIDER)
                & (Watch.target == str(resource.provider_department_id)),
            ),
        )
        .distinct()
    )
    return sorted(db.session.scalars(query))


def tell_watchers(resource: Resource, event: str, message: str) -> int:
    """Tell each watcher of `resource` about `event` once (a second call with the same event tells nobody);
    returns how many were told. In the caller's transaction."""
    told = 0
    for user_id in watchers(resource):
        try:
            with db.session.begin_nested():
                db.session.add(WatchNotice(user_id=user_id, event=event[:120]))
        except IntegrityError:
            continue  # told already (through another watch, or an earlier run)
        send(message=message, user_id=user_id, link=f"/catalog/resources/{resource.code}")
        told += 1
    return told


def change_words(changes: list[Any]) -> str:
    """What changed between two versions, in the catalog history's words (Change: label, old, new)."""
    return "；".join(f"{c.label}：{c.old} → {c.new}" for c in changes[:20]) or _("内容未变")
