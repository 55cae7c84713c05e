"""Freshness watch (#17, 办法§6, §17): a data service whose data is older than its catalog 更新周期 allows (plus a
margin per resource class) gets a §17 quality issue for its provider, opened by the watch itself — once per
resource while that issue is open, not every day. The exchange system reports each service's last update
(`POST /api/v1/services/freshness`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.access import require
from app.audit.writer import record
from app.catalog import watching
from app.catalog.models import DataService, Resource, ResourceStatus
from app.catalog.vocab import UPDATE_CYCLES
from app.clock import SHANGHAI
from app.errors import ValidationFailed
from app.extensions import db
from app.org.models import User
from app.sharing.models import QualityIssue
from app.sharing.quality import raise_stale_data_issue
from app.transactions import begin_write

# The longest an update cycle lets data age (calendar days); "irregular" resources are not watched.
CYCLE_DAYS = {
    "realtime": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "half_yearly": 183,
    "yearly": 366,
}


@dataclass
class Stale:
    """A data service found stale."""

    resource: Resource
    service: DataService
    age_days: float
    allowed_days: int
    updated_at: datetime  # the service's last update
    cycle: str  # the resource's update cycle


def _margin(resource: Resource) -> int:
    margins: dict[str, int] = current_app.config["FRESHNESS_MARGIN_DAYS"]
    return int(margins.get(resource.resource_class, margins.get("default", 1)))


def stale_services(now: datetime) -> list[Stale]:
    """Active services of published resources whose reported last update is older than cycle + margin."""
    found = []
    rows = db.session.execute(
        select(DataService, Resource)
        .join(Resource, Resource.id == DataService.resource_id)
        .where(
            DataService.active.is_(True),
            DataService.last_updated_at.is_not(None),
            Resource.status == ResourceStatus.PUBLISHED,
            Resource.update_cycle.in_(list(CYCLE_DAYS)),
        )
    )
    for service, resource in rows:
        if service.last_updated_at is None or resource.update_cycle is None:  # the query excludes both
            continue
        allowed = CYCLE_DAYS[resource.update_cycle] + _margin(resource)
        age = (now - service.last_updated_at).total_seconds() / 86400
        if age > allowed:
            found.append(
                Stale(resource, service, age, allowed, service.last_updated_at, resource.update_cycle)
            )
    return found


def watch(now: datetime) -> int:
    """Open one quality issue per stale resource that has no open freshness issue; returns how many."""
    opened = 0
    stale_by_resource: dict[int, list[Stale]] = {}
    for found in stale_services(now):
        stale_by_resource.setdefault(found.resource.id, []).append(found)
    for resource_id, stale in sorted(stale_by_resource.items()):
        # Several schedulers: the resource row is locked (SQLite: the write lock) before looking for an open
        # issue, so only one of them opens it.
        begin_write()
        db.session.scalar(select(Resource.id).where(Resource.id == resource_id).with_for_update())
        open_issue = db.session.scalar(
            select(QualityIssue.id).where(
                QualityIssue.resource_id == resource_id,
                QualityIssue.source == "freshness",
                QualityIssue.status == "open",
            )
        )
        if open_issue is not None:
            continue
        resource = stale[0].resource
        evidence = "；".join(
            _(
                "%(svc)s 最近更新 %(at)s，已 %(age).1f 天（更新周期 %(cycle)s，允许 %(allowed)d 天）",
                svc=s.service.name,
                at=s.updated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                age=s.age_days,
                cycle=UPDATE_CYCLES[s.cycle],
                allowed=s.allowed_days,
            )
            for s in stale
        )
        issue = raise_stale_data_issue(
            resource, _("数据未按目录更新周期更新（办法§17，自动发现）：%(e)s", e=evidence)
        )
        watching.tell_watchers(
            resource,
            f"stale:{resource.id}:{issue.number if issue is not None else now.date().isoformat()}",
            _("您关注的资源“%(r)s”的数据未按更新周期更新：%(e)s", r=resource.name, e=evidence),
        )
        opened += 1
    return opened


def report_updates(actor: User, updates: list[dict[str, Any]]) -> int:
    """The exchange system reports when each service's data was last updated (by resource code and service
    name); a later report replaces an earlier one, an older one is ignored. All or nothing."""
    require(actor, "calls.ingest")
    errors: dict[str, str] = {}
    matched = []
    for index, update in enumerate(updates):
        service = db.session.scalar(
            select(DataService)
            .join(Resource, Resource.id == DataService.resource_id)
            .where(Resource.code == update["resource_code"], DataService.name == update["service"])
        )
        if service is None:
            errors[f"updates[{index}]"] = _("没有该资源的这个数据服务")
        else:
            matched.append((service, update["updated_at"]))
    if errors:
        raise ValidationFailed(_("数据更新报送有误"), fields=errors)
    for service, updated_at in matched:
        if service.last_updated_at is None or updated_at > service.last_updated_at:
            service.last_updated_at = updated_at
    record("services.freshness_reported", actor=actor, data={"count": len(matched)})
    return len(matched)
