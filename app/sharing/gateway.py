"""The policy decision the exchange gateway asks for before it serves a call (办法§14, §24, §27): is this
department, in this business system, authorized to get these data items of this resource, with these 管控参数
values (§11), at this time? Permit with the authorization that covers it, or deny with a reason code.

Revocation and expiry act at once: the next check reads the authorization as it is now. Nothing here writes;
the API entry point records each decision as a data call (app/supervision/calls.py), flagged like a reported
one, so the §26 figures and the §24 flags come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Date, String, and_, bindparam, case, literal, select, true

from app.catalog.models import Resource
from app.catalog.services import WITHDRAWN_ALL, WITHDRAWN_SOME, withdrawn_state, withheld_items
from app.clock import SHANGHAI
from app.db_types import UTCDateTime
from app.extensions import db
from app.org.models import Department
from app.sharing.models import Authorization, system_key


class Reason:
    """Reason codes of a decision (stable: the gateway logs and counts them)."""

    PERMITTED = "permitted"
    UNKNOWN_CALLER = "unknown_caller"
    UNKNOWN_RESOURCE = "unknown_resource"
    NO_AUTHORIZATION = "no_authorization"  # the caller holds no authorization for this resource
    REVOKED = "revoked"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    WRONG_SYSTEM = "wrong_system"  # §14: only in the authorized business system
    ITEM_NOT_GRANTED = "item_not_granted"
    PARAMETER_MISSING = "parameter_missing"  # a bound 管控参数 the call does not state
    PARAMETER_OUTSIDE = "parameter_outside_binding"
    RESOURCE_WITHDRAWN = "resource_withdrawn"  # withdrawn from the catalog, or no longer shared (§8)
    ITEM_WITHDRAWN = "item_withdrawn"  # a requested item is now 不予共享


MESSAGES = {
    Reason.PERMITTED: "有效授权范围内",
    Reason.UNKNOWN_CALLER: "调用部门不存在（统一社会信用代码无效）",
    Reason.UNKNOWN_RESOURCE: "资源不存在",
    Reason.NO_AUTHORIZATION: "调用部门没有该资源的授权",
    Reason.REVOKED: "授权已撤销",
    Reason.NOT_YET_VALID: "授权尚未生效",
    Reason.EXPIRED: "授权已过期",
    Reason.WRONG_SYSTEM: "调用的业务系统不是被授权的系统（办法§14）",
    Reason.ITEM_NOT_GRANTED: "请求了未授权的数据项",
    Reason.PARAMETER_MISSING: "未提供授权限定的管控参数",
    Reason.PARAMETER_OUTSIDE: "管控参数取值超出授权限定范围（办法§11）",
    Reason.RESOURCE_WITHDRAWN: "资源已从目录撤销或不再共享，授权不再有效",
    Reason.ITEM_WITHDRAWN: "请求的数据项已改为不予共享（办法§8）",
}

# How far an authorization got through the checks: the reason of the one that got furthest is reported.
_ORDER = [
    Reason.REVOKED,
    Reason.NOT_YET_VALID,
    Reason.EXPIRED,
    Reason.WRONG_SYSTEM,
    Reason.ITEM_NOT_GRANTED,
    Reason.PARAMETER_MISSING,
    Reason.PARAMETER_OUTSIDE,
    Reason.PERMITTED,
]


@dataclass
class GatewayDecision:
    """Permit or deny, why, and the authorization concerned (if any)."""

    permit: bool
    reason: str
    authorization_id: int | None = None
    caller_id: int | None = None  # the calling department, when its USCC is known
    provider_id: int | None = None  # the resource's provider department, when the resource is known
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.reason]


def _same_system(authorized: str, asked: str) -> bool:
    return system_key(authorized) == system_key(asked)


class Held(NamedTuple):
    """What a check reads of one authorization (columns, not the whole row)."""

    id: int
    revoked_at: datetime | None
    valid_from: date
    valid_to: date
    business_system: str
    items: list[str]
    bound_parameters: dict[str, list] | None
    grade: str  # the highest grade of the items granted (#34)
    sensitive: bool


HELD_COLUMNS = (
    Authorization.id,
    Authorization.revoked_at,
    Authorization.valid_from,
    Authorization.valid_to,
    Authorization.business_system,
    Authorization.items,
    Authorization.bound_parameters,
    Authorization.grade,
    Authorization.sensitive,
)


def _check(
    authorization: Held, at: datetime, system: str, items: list[str], parameters: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    if authorization.revoked_at is not None and authorization.revoked_at <= at:
        return Reason.REVOKED, {}
    day = at.astimezone(SHANGHAI).date()
    if day < authorization.valid_from:
        return Reason.NOT_YET_VALID, {"valid_from": authorization.valid_from.isoformat()}
    if day > authorization.valid_to:
        return Reason.EXPIRED, {"valid_to": authorization.valid_to.isoformat()}
    if not _same_system(authorization.business_system, system):
        return Reason.WRONG_SYSTEM, {"authorized_system": authorization.business_system}
    extra = [item for item in items if item not in set(authorization.items)]
    if extra:
        return Reason.ITEM_NOT_GRANTED, {"items": extra}
    for name, allowed in (authorization.bound_parameters or {}).items():
        if name not in parameters:
            return Reason.PARAMETER_MISSING, {"parameter": name}
        if str(parameters[name]) not in {str(value) for value in allowed}:
            return Reason.PARAMETER_OUTSIDE, {"parameter": name, "allowed": allowed}
    return Reason.PERMITTED, {}


# The authorizations one check reads at most (#30): the caller's own system's first, the valid ones first among
# them — all the decision needs unless so many are valid at once (then every one is read, as before).
LOOKUP_ROWS = 20


class Found(NamedTuple):
    """The caller and the resource of a check, as far as they exist (ids and what the decision reads)."""

    caller_id: int | None
    resource_id: int | None
    provider_id: int | None
    withdrawn: str | None  # catalog.services.withdrawn_state


def _lookup(limit: int | None):
    """The one statement of a check, built once (#30: a check builds no SQL): the caller and the resource by their
    unique keys, whether the resource still shares (catalog.services.withdrawn_state), and the caller's
    authorizations chosen in ix_share_authorization_gateway — the asked system's first, then by state (valid,
    expired, not yet valid, revoked), the newest first, at most `limit` of them. Columns only: no ORM object."""
    at, day = bindparam("at", type_=UTCDateTime()), bindparam("day", type_=Date())
    state = case(
        (and_(Authorization.revoked_at.is_not(None), Authorization.revoked_at <= at), 0),
        (Authorization.valid_from > day, 1),
        (Authorization.valid_to < day, 2),
        else_=3,
    )
    caller_uscc, resource_code = (
        bindparam("caller_uscc", type_=String()),
        bindparam("resource_code", type_=String()),
    )
    caller_id = select(Department.id).where(Department.uscc == caller_uscc).scalar_subquery()
    resource_id = select(Resource.id).where(Resource.code == resource_code).scalar_subquery()
    chosen = (  # not correlated: read once, by the index, whatever the caller holds
        select(Authorization.id.label("id"))
        .where(Authorization.applicant_department_id == caller_id, Authorization.resource_id == resource_id)
        .order_by(
            case((Authorization.system_key == bindparam("system", type_=String()), 1), else_=0).desc(),
            state.desc(),
            Authorization.id.desc(),
        )
        .limit(limit)
        .subquery()
    )
    return (
        select(
            Department.id,
            Resource.id,
            Resource.provider_department_id,
            withdrawn_state(),
            *HELD_COLUMNS,
        )
        .select_from(select(literal(1).label("one")).subquery())
        .outerjoin(Department, Department.uscc == caller_uscc)
        .outerjoin(Resource, Resource.code == resource_code)
        .outerjoin(chosen, true())
        .outerjoin(Authorization, Authorization.id == chosen.c.id)
        .order_by(Authorization.id.desc())
    )


_LOOKUP, _LOOKUP_ALL = _lookup(LOOKUP_ROWS), _lookup(None)


def _authorization_rows(
    caller_uscc: str, resource_code: str, asked_system: str, at: datetime, every: bool = False
) -> tuple[Found, list[Held]]:
    """The caller and resource of one check and the authorizations read, in one round trip (_lookup) on the unit
    of work's connection (Core: no ORM work per check)."""
    rows = (
        db.session.connection()
        .execute(
            _LOOKUP_ALL if every else _LOOKUP,
            {
                "caller_uscc": caller_uscc,
                "resource_code": resource_code,
                "system": asked_system,
                "at": at,
                "day": at.astimezone(SHANGHAI).date(),
            },
        )
        .all()
    )
    return Found(*rows[0][:4]), [Held(*row[4:]) for row in rows if row[4] is not None]


def decide(
    caller_uscc: str,
    business_system: str,
    resource_code: str,
    items: list[str],
    parameters: dict[str, Any],
    at: datetime,
) -> GatewayDecision:
    """The decision for one call (see the module's docstring). The caller, the resource and the caller's
    authorizations of it come in one round trip, by index lookups (#30), at most LOOKUP_ROWS authorizations
    however many the caller holds, with whether the resource still shares (§8); a permit of a resource some of
    whose items are now 不予共享 adds one lookup for their names."""
    asked_system = system_key(business_system)
    found, candidates = _authorization_rows(caller_uscc, resource_code, asked_system, at)
    if len(candidates) == LOOKUP_ROWS and all(
        _check(held, at, business_system, [], {})[0]
        not in (Reason.REVOKED, Reason.NOT_YET_VALID, Reason.EXPIRED)
        and _same_system(held.business_system, business_system)
        for held in candidates
    ):  # as many valid ones of this system as were read: read them all
        found, candidates = _authorization_rows(caller_uscc, resource_code, asked_system, at, every=True)

    def verdict(
        permit: bool, reason: str, authorization_id: int | None = None, detail: dict[str, Any] | None = None
    ) -> GatewayDecision:
        return GatewayDecision(
            permit, reason, authorization_id, found.caller_id, found.provider_id, detail or {}
        )

    if found.caller_id is None:
        return verdict(False, Reason.UNKNOWN_CALLER)
    if found.resource_id is None:
        return verdict(False, Reason.UNKNOWN_RESOURCE)
    if not candidates:
        return verdict(False, Reason.NO_AUTHORIZATION, None)
    # The caller's own system's authorizations speak for it: a revoked one is "revoked", even when the
    # department holds another authorization of the resource for another system (§14).
    own = [a for a in candidates if _same_system(a.business_system, business_system)] or candidates
    best: tuple[int, str, dict[str, Any], Held] | None = None
    for authorization in own:
        reason, detail = _check(authorization, at, business_system, items, parameters)
        if reason == Reason.PERMITTED:
            if found.withdrawn == WITHDRAWN_ALL:
                return verdict(False, Reason.RESOURCE_WITHDRAWN, authorization.id)
            withdrawn = withheld_items(found.resource_id) if found.withdrawn == WITHDRAWN_SOME else set()
            if "*" in withdrawn:  # the version in force changed between the two statements
                return verdict(False, Reason.RESOURCE_WITHDRAWN, authorization.id)
            asked = set(items or authorization.items) & withdrawn
            if asked:
                return verdict(
                    False, Reason.ITEM_WITHDRAWN, authorization.id, detail={"items": sorted(asked)}
                )
            # the decision carries the data's grade (#34): the gateway may log or mask 重要/核心 and sensitive data
            return verdict(
                True,
                reason,
                authorization.id,
                detail={"grade": authorization.grade, "sensitive": bool(authorization.sensitive)},
            )
        rank = _ORDER.index(reason)
        if best is None or rank > best[0]:
            best = (rank, reason, detail, authorization)
    if best is None:  # `own` is never empty; kept for the reader and the type checker
        return verdict(False, Reason.NO_AUTHORIZATION, None)
    _rank, reason, detail, authorization = best
    return verdict(False, reason, authorization.id, detail=detail)
