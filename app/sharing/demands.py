"""供需对接 (#33): data a department needs and cannot find in the catalog. 武汉 暂行办法§5 asks providers to answer
other departments' sharing needs in time; 鄂政办电〔2018〕89号 and the national 条例 forbid asking people again for
what sharing can supply. The procedure (bpmn/data_demand.bpmn, its deadlines analyst-editable): the platform of
the demander finds the holding department (suggested from the catalog's similar resources) or merges the demand
into an open one for the same data; the holder answers — will catalogue it by a date, already catalogued as a
resource, or cannot (reasons and basis, as §20 asks of a refusal); when the resource is published the demanders
(merged ones included) are told and apply in one click with the demand filled in."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, true

from app import clock
from app.access import follows_up, require, visible_department_ids
from app.audit.writer import record
from app.catalog.models import Resource, ResourceStatus
from app.catalog.services import browse, resource_by_code
from app.clock import SHANGHAI
from app.engine.runtime import deliver_message, start_instance
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.numbering import next_in_sequence
from app.org.models import Department, User
from app.sharing.models import DataDemand, DemandStatus
from app.texts import required_texts

PROCESS = "data_demand"
TEXTS = (
    ("title", "需求名称", 200),
    ("purpose", "用途", 2000),
    ("fields", "所需数据项", 2000),
    ("legal_basis", "法律依据", 2000),
    ("business_system", "使用数据的业务系统", 200),
)
OPEN = (DemandStatus.ROUTING, DemandStatus.ANSWERING, DemandStatus.WILL_CATALOGUE)


def next_number() -> str:
    """XQ-2026-000001."""
    return next_in_sequence(DataDemand.number, f"XQ-{clock.local_now().year}-")


def get_demand(number: str) -> DataDemand:
    demand = db.session.scalar(select(DataDemand).where(DataDemand.number == number))
    if demand is None:
        raise NotFound(_("需求不存在"))
    return demand


def submit_demand(actor: User, data: dict[str, Any]) -> DataDemand:
    """A department states data it needs and cannot find (purpose, items, legal basis, system); the procedure
    starts and the operator of its platform is asked to find the holder. Not committed here."""
    require(actor, "demand.raise")
    errors = required_texts(data, TEXTS)
    if errors:
        raise ValidationFailed(_("需求填写有误"), fields=errors)
    demand = DataDemand(
        number=next_number(),
        demander_department_id=actor.department_id,
        demander_user_id=actor.id,
        status=DemandStatus.ROUTING,
        submitted_at=clock.now(),
        **{field: str(data[field]).strip() for field, _t, _l in TEXTS},
    )
    db.session.add(demand)
    db.session.flush()
    record(
        "demand.raised",
        actor=actor,
        object_type="demand",
        object_id=demand.number,
        data={"title": demand.title},
    )
    start_instance(
        PROCESS,
        business_key=demand.number,
        data={
            "demand_id": demand.id,
            "demand_number": demand.number,
            "demand_title": demand.title,
            "demander_department_id": demand.demander_department_id,
            "submitted_at": demand.submitted_at.isoformat(),
        },
        actor=actor,
    )
    return demand


# --- what the routing step offers --------------------------------------------------------------------------


def _terms(demand: DataDemand) -> list[str]:
    words = [demand.title, *re.split(r"[、，,；;\s]+", demand.fields)]
    return [w for w in dict.fromkeys(w.strip() for w in words) if len(w) >= 2][:8]


def similar_resources(demand: DataDemand, limit: int = 5) -> list[Resource]:
    """Published resources whose name, summary or items match the demand's name or items."""
    found: dict[int, Resource] = {}
    for term in _terms(demand):
        for resource in browse(query=term, per_page=limit, count_limit=limit).items:
            found.setdefault(resource.id, resource)
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


def holder_options(demand_id: int) -> list[tuple[str, str]]:
    """Departments to route to: those holding similar resources first (named with the resource), then every
    other active department of the province."""
    demand = db.session.get(DataDemand, int(demand_id))
    if demand is None:
        return []
    suggested: dict[int, str] = {}
    for resource in similar_resources(demand):
        suggested.setdefault(
            resource.provider_department_id,
            _("%(d)s（建议：已编目相似资源“%(r)s”）", d=resource.provider.name, r=resource.name),
        )
    others = db.session.execute(
        select(Department.id, Department.name).where(Department.active.is_(True)).order_by(Department.name)
    ).all()
    return [(str(i), text) for i, text in suggested.items()] + [
        (str(i), name) for i, name in others if i not in suggested and i != demand.demander_department_id
    ]


def similar_open_demands(demand_id: int) -> list[tuple[str, str]]:
    """Other open demands that may ask for the same data (a shared word in the name or items), to merge into."""
    demand = db.session.get(DataDemand, int(demand_id))
    if demand is None:
        return []
    words = _terms(demand)
    if not words:
        return []
    query = (
        select(DataDemand)
        .where(
            DataDemand.id != demand.id,
            DataDemand.status.in_(OPEN),
            DataDemand.merged_into_id.is_(None),
            or_(*(DataDemand.title.contains(w) | DataDemand.fields.contains(w) for w in words)),
        )
        .order_by(DataDemand.id)
        .limit(20)
    )
    return [(d.number, f"{d.number} {d.title}（{d.demander.short_name}）") for d in db.session.scalars(query)]


# --- called by the procedure ---------------------------------------------------------------------------------


def merged_into(demand: DataDemand) -> list[DataDemand]:
    """The demands merged into this one."""
    return list(db.session.scalars(select(DataDemand).where(DataDemand.merged_into_id == demand.id)))


def _tell_demanders(demand: DataDemand, message: str) -> int:
    """Tell the demand's department and those of the demands merged into it (everyone waiting for the data)."""
    followers = [demand, *merged_into(demand)]
    for each in followers:
        send(
            message=message,
            role="applicant_clerk",
            department_id=each.demander_department_id,
            link=f"/demands/{each.number}",
        )
    return len(followers)


def _already_catalogued(demand: DataDemand, resource_code: str | None) -> Resource:
    """The data is catalogued as a resource (named at routing or in the holder's answer): the demand is fulfilled
    and its demanders may apply."""
    resource = resource_by_code(resource_code or "")
    demand.status, demand.resource_id, demand.fulfilled_at = DemandStatus.FULFILLED, resource.id, clock.now()
    _tell_demanders(
        demand, _("数据需求%(n)s：所需数据已编目为“%(r)s”，可直接申请", n=demand.number, r=resource.name)
    )
    return resource


def record_route(
    demand_id: int,
    actor_id: int | None,
    action: str,
    holder_department_id: str | None = None,
    merge_into: str | None = None,
    resource_code: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The routing step's result: routed to a holder, merged into an open demand for the same data (its
    demander told), or already catalogued as a resource (the demander told, may apply)."""
    demand = db.session.get(DataDemand, int(demand_id))
    if demand is None or demand.status != DemandStatus.ROUTING:
        raise RuntimeError(f"demand {demand_id} is not waiting for routing")
    actor = db.session.get(User, actor_id) if actor_id else None
    demand.routed_at = clock.now()
    outcome: dict[str, Any]
    if action == "merge":
        target = get_demand(merge_into or "")
        while target.merged_into is not None:
            target = target.merged_into
        demand.status, demand.merged_into_id = DemandStatus.MERGED, target.id
        send(
            message=_(
                "您的数据需求%(n)s与%(t)s所需数据相同，已合并跟踪；答复和编目进展将一并通知您",
                n=demand.number,
                t=target.number,
            ),
            role="applicant_clerk",
            department_id=demand.demander_department_id,
            link=f"/demands/{target.number}",
        )
        outcome = {"outcome": "merged", "merged_into": target.number}
    elif action == "catalogued":
        resource = _already_catalogued(demand, resource_code)
        demand.holder_department_id = resource.provider_department_id
        outcome = {"outcome": "catalogued", "resource_code": resource.code}
    else:
        holder = db.session.get(Department, int(holder_department_id or 0))
        if holder is None:
            raise ValueError(f"无效的掌握部门：{holder_department_id}")
        demand.status, demand.holder_department_id = DemandStatus.ANSWERING, holder.id
        outcome = {"outcome": "routed", "holder_department_id": holder.id, "holder_name": holder.name}
    record(
        "demand.routed",
        actor=actor,
        object_type="demand",
        object_id=demand.number,
        data={**outcome, "note": note},
    )
    return outcome


def promised_until(day: date) -> str:
    """The end of the promised day (24:00 Beijing time), as a timer takes it."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI).isoformat()


def record_answer(
    demand_id: int,
    actor_id: int | None,
    answer: str,
    promised_on: str | None = None,
    resource_code: str | None = None,
    reasons: str | None = None,
    basis: str | None = None,
) -> dict[str, Any]:
    """The holder's answer: will catalogue by a date; already catalogued as a resource; cannot (reasons, basis)."""
    demand = db.session.get(DataDemand, int(demand_id))
    if demand is None or demand.status != DemandStatus.ANSWERING:
        raise RuntimeError(f"demand {demand_id} is not waiting for an answer")
    actor = db.session.get(User, actor_id) if actor_id else None
    demand.answered_at = clock.now()
    result: dict[str, Any] = {"outcome": answer}
    if answer == "will":
        demand.status, demand.promised_on = DemandStatus.WILL_CATALOGUE, date.fromisoformat(str(promised_on))
        result["promised_until"] = promised_until(demand.promised_on)
        _tell_demanders(
            demand,
            _(
                "数据需求%(n)s：%(h)s承诺于%(d)s前编目，发布后将通知您",
                n=demand.number,
                h=demand.holder.name,
                d=demand.promised_on.isoformat(),
            ),
        )
    elif answer == "catalogued":
        _already_catalogued(demand, resource_code)
    else:
        demand.status, demand.reasons, demand.basis = DemandStatus.CANNOT, reasons, basis
        _tell_demanders(
            demand,
            _(
                "数据需求%(n)s：%(h)s无法提供。理由：%(r)s；依据：%(b)s",
                n=demand.number,
                h=demand.holder.name,
                r=reasons,
                b=basis,
            ),
        )
    record(
        "demand.answered",
        actor=actor,
        object_type="demand",
        object_id=demand.number,
        data={
            "answer": answer,
            "promised_on": promised_on,
            "resource": resource_code,
            "reasons": reasons,
            "basis": basis,
        },
    )
    return result


def record_fulfilled(demand_id: int) -> dict[str, Any]:
    """The promised resource is published: every demander is told and may apply (called by the procedure)."""
    demand = db.session.get(DataDemand, int(demand_id))
    if demand is None or demand.resource is None:
        raise RuntimeError(f"demand {demand_id} has no published resource")
    demand.status, demand.fulfilled_at = DemandStatus.FULFILLED, clock.now()
    told = _tell_demanders(
        demand,
        _("数据需求%(n)s：所需数据已发布为“%(r)s”，可一键申请", n=demand.number, r=demand.resource.name),
    )
    return {"told": told}


# --- the holder links the published resource ---------------------------------------------------------------


def fulfil_demand(actor: User, demand: DataDemand, resource_code: str) -> DataDemand:
    """The holder names the resource it published for a demand it promised to catalogue; the procedure tells
    the demanders. Not committed here."""
    require(actor, "demand.fulfil", demand)
    try:
        resource = resource_by_code((resource_code or "").strip())
    except NotFound:
        raise ValidationFailed(_("资源不存在"), fields={"resource_code": _("资源代码不存在")}) from None
    if (
        resource.status != ResourceStatus.PUBLISHED
        or resource.provider_department_id != demand.holder_department_id
    ):
        message = _("只能关联本部门已发布的资源")
        raise ValidationFailed(message, fields={"resource_code": message})
    demand.resource_id = resource.id
    db.session.flush()
    record(
        "demand.fulfilled",
        actor=actor,
        object_type="demand",
        object_id=demand.number,
        data={"resource": resource.code},
    )
    deliver_message(demand.number, "demand_fulfilled", {"resource_code": resource.code}, actor)
    return demand


def demands_for(user: User) -> list[DataDemand]:
    """The demands a user follows: their department's and those routed to it; operators and supervisors also
    those of the departments their platform oversees (every one for the province's)."""
    conditions = [
        DataDemand.demander_department_id == user.department_id,
        DataDemand.holder_department_id == user.department_id,
    ]
    if follows_up(user):
        visible = visible_department_ids(user)
        conditions.append(true() if visible is None else DataDemand.demander_department_id.in_(visible))
    query = select(DataDemand).where(or_(*conditions)).order_by(DataDemand.id.desc()).limit(500)
    return list(db.session.scalars(query))
