"""Data-call records (§26) reported by the exchange system, through the API or a CSV file, each checked
against its authorization (§14, §24); and availability from the scheduler's health probes of data services."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import perf_counter
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    Table,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)

from app import clock
from app.access import visible_department_ids
from app.audit.writer import record
from app.calendar.deadlines import end_of_day, start_of_day
from app.catalog import watching
from app.catalog.models import DataService, Resource
from app.clock import SHANGHAI, parse_moment
from app.db_types import ROW_ID_MAX
from app.errors import ValidationFailed
from app.extensions import db
from app.org.models import Department, User
from app.sharing.gateway import GatewayDecision, Reason
from app.sharing.models import Authorization
from app.supervision.models import CallFlag, DataCall, DataCallMonth, DataCallRollup, ServiceProbe

MAX_BATCH = 1000
CSV_COLUMNS = [
    "authorization_id",
    "caller_uscc",
    "resource_code",
    "service",
    "called_at",
    "success",
    "duration_ms",
]


def flag_for(
    call: dict[str, Any], authorization: Authorization | None, caller: Department | None
) -> str | None:
    """Why a call breaks its authorization (§24), or None when it is covered."""
    if authorization is None:
        return CallFlag.NO_AUTHORIZATION
    if caller is None or authorization.applicant_department_id != caller.id:
        return CallFlag.WRONG_CALLER
    if authorization.resource.code != call["resource_code"]:
        return CallFlag.RESOURCE_MISMATCH
    called_at: datetime = call["called_at"]
    if authorization.revoked_at is not None and authorization.revoked_at <= called_at:
        return CallFlag.REVOKED
    day = called_at.astimezone(SHANGHAI).date()
    if not authorization.valid_from <= day <= authorization.valid_to:
        return CallFlag.OUTSIDE_VALIDITY
    return None


def _reported_before(calls: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(caller, call id) pairs of this batch already stored."""
    keys = {(c["caller_uscc"], c["call_id"]) for c in calls if c.get("call_id") is not None}
    if not keys:
        return set()
    found = db.session.execute(
        select(DataCall.caller_uscc, DataCall.call_id).where(
            DataCall.call_id.in_({k[1] for k in keys}), DataCall.caller_uscc.in_({k[0] for k in keys})
        )
    ).all()
    return {(caller, call_id) for caller, call_id in found if call_id is not None} & keys


def ingest(actor: User, calls: list[dict[str, Any]], source: str = "api") -> list[DataCall | None]:
    """Store validated call records with their flags; one transaction, all or nothing. A call whose
    (caller, call_id) is already stored is skipped (None in its place): a retried batch is counted once."""
    if len(calls) > MAX_BATCH:
        raise ValidationFailed(_("一次最多报送 %(n)d 条", n=MAX_BATCH), fields={"calls": _("条数过多")})
    authorization_ids = {c["authorization_id"] for c in calls if c.get("authorization_id")}
    authorizations = {
        a.id: a
        for a in db.session.scalars(select(Authorization).where(Authorization.id.in_(authorization_ids)))
    }
    usccs = {c["caller_uscc"] for c in calls}
    callers = {d.uscc: d for d in db.session.scalars(select(Department).where(Department.uscc.in_(usccs)))}
    codes = {c["resource_code"] for c in calls}
    providers = dict(
        db.session.execute(
            select(Resource.code, Resource.provider_department_id).where(Resource.code.in_(codes))
        ).all()
    )
    _check_platform(actor, calls, callers, providers, authorizations)
    seen: set[tuple[str, str | None]] = set(_reported_before(calls))
    stored: list[DataCall | None] = []
    for call in calls:
        key = (call["caller_uscc"], call.get("call_id"))
        if key[1] is not None:
            if key in seen:
                stored.append(None)  # reported before (a retried batch) or twice in this one: stored once
                continue
            seen.add(key)
        caller = callers.get(call["caller_uscc"])
        authorization = authorizations.get(call.get("authorization_id") or 0)
        row = DataCall(
            authorization_id=call.get("authorization_id"),
            caller_uscc=call["caller_uscc"],
            caller_department_id=caller.id if caller else None,
            resource_code=call["resource_code"],
            provider_department_id=providers.get(call["resource_code"]),
            service_name=call.get("service"),
            called_at=call["called_at"],
            success=call["success"],
            duration_ms=call.get("duration_ms"),
            flag=flag_for(call, authorization, caller),
            source=source,
            received_at=clock.now(),
            call_id=call.get("call_id"),
        )
        db.session.add(row)
        stored.append(row)
    kept = [r for r in stored if r is not None]
    mark_months_stale([r.called_at for r in kept])
    flagged = sum(1 for r in kept if r.flag)
    record(
        "calls.ingested",
        actor=actor,
        data={
            "count": len(kept),
            "flagged": flagged,
            "source": source,
            "duplicates": len(stored) - len(kept),
        },
    )
    db.session.flush()
    return stored


_GATEWAY_FLAGS = {
    Reason.UNKNOWN_CALLER: CallFlag.NO_AUTHORIZATION,
    Reason.NO_AUTHORIZATION: CallFlag.NO_AUTHORIZATION,
    Reason.UNKNOWN_RESOURCE: CallFlag.RESOURCE_MISMATCH,
    Reason.REVOKED: CallFlag.REVOKED,
    Reason.NOT_YET_VALID: CallFlag.OUTSIDE_VALIDITY,
    Reason.EXPIRED: CallFlag.OUTSIDE_VALIDITY,
    Reason.WRONG_SYSTEM: CallFlag.WRONG_SYSTEM,
    Reason.ITEM_NOT_GRANTED: CallFlag.ITEM_NOT_GRANTED,
    Reason.PARAMETER_MISSING: CallFlag.PARAMETER_OUTSIDE,
    Reason.PARAMETER_OUTSIDE: CallFlag.PARAMETER_OUTSIDE,
    Reason.RESOURCE_WITHDRAWN: CallFlag.WITHDRAWN,
    Reason.ITEM_WITHDRAWN: CallFlag.WITHDRAWN,
}


def record_gateway_decision(
    decision: GatewayDecision, caller_uscc: str, resource_code: str, service: str | None, at: datetime
) -> None:
    """A gateway decision as a data call (§26 figures), flagged as a reported call would be (§24): a denied
    call is one that was not served. One INSERT of the table's row, no object to flush (#30: every data call of
    every connected system passes here). The caller commits."""
    db.session.connection().execute(
        _RECORD,
        {
            "authorization_id": decision.authorization_id,
            "caller_uscc": caller_uscc[:18],
            "caller_department_id": decision.caller_id,
            "resource_code": resource_code[:64],
            "provider_department_id": decision.provider_id,
            "service_name": (service or None) and service[:200],
            "called_at": at,
            "success": decision.permit,
            "flag": None if decision.permit else _GATEWAY_FLAGS[decision.reason],
            "source": "gateway",
            "received_at": clock.now(),
            "call_id": None,
            "duration_ms": None,
        },
    )
    if at.astimezone(SHANGHAI).date() < current_month():  # a decision recorded for a past month (rare)
        mark_months_stale([at])


_RECORD = insert(cast(Table, DataCall.__table__))  # the table's own INSERT (Core)


def _check_platform(
    actor: User,
    calls: list[dict[str, Any]],
    callers: dict[str, Department],
    providers: dict[str, int],
    authorizations: dict[int, Authorization],
) -> None:
    """A platform's exchange reports calls that touch its platform: a caller or a provider (the resource's
    department) among its departments, under an authorization one of whose parties is too. A city operator
    cannot report calls between province departments."""
    listed = visible_department_ids(actor)
    if listed is None:
        return
    visible = set(listed)
    errors = {}
    for index, call in enumerate(calls):
        caller = callers.get(call["caller_uscc"])
        parties = {caller.id if caller else None, providers.get(call["resource_code"])}
        authorization = authorizations.get(call.get("authorization_id") or 0)
        if not parties & visible:
            errors[f"calls[{index}]"] = _("调用方和资源提供方都不属于本平台")
        elif (
            authorization is not None
            and not {
                authorization.applicant_department_id,
                authorization.resource.provider_department_id,
            }
            & visible
        ):
            errors[f"calls[{index}].authorization_id"] = _("该授权的双方都不属于本平台")
    if errors:
        raise ValidationFailed(_("只能报送涉及本平台部门的调用"), fields=errors)


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a call CSV (header row with CSV_COLUMNS); any bad cell rejects the file, naming row and column."""
    if "\x00" in text:
        raise ValidationFailed(_("CSV 有误"), fields={"file": _("含有空字符，不是文本文件")})
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        calls, errors = _read_calls(reader)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        raise ValidationFailed(
            _("CSV 有误，未导入任何记录"),
            fields={f"第{reader.line_num + 1}行": _("无法读取：%(e)s", e=str(exc))},
        ) from None
    if errors:
        raise ValidationFailed(_("CSV 有误，未导入任何记录"), fields=errors)
    if not calls:
        raise ValidationFailed(_("CSV 没有数据行"), fields={"file": _("没有数据行")})
    return calls


# Longest values the call table stores (DataCall): longer text is refused by row, not cut.
_CSV_LIMITS = {"caller_uscc": 18, "resource_code": 64, "service": 200}


def _read_calls(reader: csv.DictReader) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The calls of a CSV and the problems per row (at most 20)."""
    missing = [
        c
        for c in ("caller_uscc", "resource_code", "called_at", "success")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise ValidationFailed(
            _("CSV 缺少列"), fields={"file": _("缺少列：%(cols)s", cols="、".join(missing))}
        )
    calls, errors = [], {}
    for number, row in enumerate(reader, start=2):
        try:
            for column, limit in _CSV_LIMITS.items():
                if len((row.get(column) or "").strip()) > limit:
                    raise ValueError(f"{column} 不能超过 {limit} 个字符")
            authorization = (row.get("authorization_id") or "").strip()
            duration = (row.get("duration_ms") or "").strip()
            success = (row.get("success") or "").strip().lower()
            if success not in ("true", "false", "1", "0", "是", "否"):
                raise ValueError("success 应为 true/false")
            call: dict[str, Any] = {
                "authorization_id": int(authorization) if authorization else None,
                "caller_uscc": (row.get("caller_uscc") or "").strip(),
                "resource_code": (row.get("resource_code") or "").strip(),
                "service": (row.get("service") or "").strip() or None,
                "called_at": parse_moment((row.get("called_at") or "").strip()),
                "success": success in ("true", "1", "是"),
                "duration_ms": int(duration) if duration else None,
            }
            calls.append(call)
            if not call["caller_uscc"] or not call["resource_code"]:
                raise ValueError("caller_uscc 与 resource_code 不能为空")
            if not 0 <= (call["authorization_id"] or 0) <= ROW_ID_MAX:
                raise ValueError("authorization_id 应为授权编号")
            if not 0 <= (call["duration_ms"] or 0) <= ROW_ID_MAX:
                raise ValueError("duration_ms 应为 0–2147483647 的毫秒数")
        except ValueError as exc:
            errors[f"第{number}行"] = (
                str(exc) if "应为" in str(exc) or "不能" in str(exc) else _("数值或时间格式有误")
            )
        if len(errors) >= 20:
            break
    return calls, errors


@dataclass
class CallFigures:
    """Calls of one authorization or service in a period."""

    key: str
    calls: int
    failures: int
    flagged: int

    @property
    def failure_rate(self) -> float | None:
        return self.failures / self.calls if self.calls else None


def _touching(department_ids):
    """Calls made by, or served by, one of these departments."""
    return DataCall.caller_department_id.in_(department_ids) | DataCall.provider_department_id.in_(
        department_ids
    )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) the month of `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _next_month(month: date) -> date:
    return add_months(month, 1)


def current_month() -> date:
    """This month's first day, in Beijing time (the one clock)."""
    return _month_start(clock.local_now().date())


def mark_months_stale(moments: list[datetime]) -> None:
    """Calls stored now for closed months (reported late): those months' rollups no longer hold until the
    calls-rollup job makes them again (in the caller's transaction; one statement, only when there are any)."""
    current = current_month()
    months = {_month_start(m.astimezone(SHANGHAI).date()) for m in moments}
    closed = sorted(m for m in months if m < current)
    if closed:
        db.session.execute(update(DataCallRollup).where(DataCallRollup.month.in_(closed)).values(stale=True))


def rollup_months(limit: int = 12) -> list[date]:
    """Roll up the closed months that have calls and no fresh rollup — the oldest first, at most `limit` per
    run (the scheduler's calls-rollup job; each month one INSERT … SELECT grouped in the database). The
    months rolled up."""
    first = db.session.scalar(select(func.min(DataCall.called_at)))
    if first is None:
        return []
    fresh = set(db.session.scalars(select(DataCallRollup.month).where(DataCallRollup.stale.is_(False))))
    month, current = _month_start(first.astimezone(SHANGHAI).date()), current_month()
    done: list[date] = []
    while month < current and len(done) < limit:
        if month not in fresh:
            _roll_up(month)
            done.append(month)
        month = _next_month(month)
    return done


_ROLLUP_KEYS = (
    DataCall.authorization_id,
    DataCall.service_name,
    DataCall.resource_code,
    DataCall.caller_department_id,
    DataCall.provider_department_id,
)


def _call_sums() -> tuple:
    """Calls, failed calls and flagged calls of a group of data calls (raw and rolled up alike)."""
    return (
        func.count().label("calls"),
        func.sum(case((DataCall.success.is_(False), 1), else_=0)).label("failures"),
        func.sum(case((DataCall.flag.is_not(None), 1), else_=0)).label("flagged"),
    )


def _roll_up(month: date) -> None:
    """The month's sums from its calls. A month whose raw calls are gone (past the retention) keeps its sums
    and gains those of the calls reported since, which then go the way of the others."""
    begin, finish = start_of_day(month), start_of_day(_next_month(month))
    row = db.session.get(DataCallRollup, month)
    expired = row is not None and row.expired
    if not expired:
        db.session.execute(delete(DataCallMonth).where(DataCallMonth.month == month))
    grouped = (
        select(
            literal(month, Date).label("month"),
            *_ROLLUP_KEYS,
            *_call_sums(),
        )
        .where(DataCall.called_at >= begin, DataCall.called_at < finish)
        .group_by(*_ROLLUP_KEYS)
    )
    columns = ["month", *(k.key for k in _ROLLUP_KEYS), "calls", "failures", "flagged"]
    db.session.execute(insert(DataCallMonth).from_select(columns, grouped))
    if expired:
        db.session.execute(delete(DataCall).where(DataCall.called_at >= begin, DataCall.called_at < finish))
    if row is None:
        db.session.add(DataCallRollup(month=month, rolled_at=clock.now(), stale=False))
    else:
        row.rolled_at, row.stale = clock.now(), False
    db.session.flush()


def _rolled_months(start: date, end: date) -> tuple[list[date], list[date]]:
    """The whole months inside [start, end] read from their rollup: (fresh ones, whose calls need not be read;
    expired ones, whose few calls reported since the rollup are read as well). Closed months only."""
    first = start if start.day == 1 else _next_month(start)
    months = []
    month = first
    while _next_month(month) - timedelta(days=1) <= end and month < current_month():
        months.append(month)
        month = _next_month(month)
    if not months:
        return [], []
    found = db.session.execute(
        select(DataCallRollup.month, DataCallRollup.stale, DataCallRollup.expired).where(
            DataCallRollup.month.in_(months), DataCallRollup.stale.is_(False) | DataCallRollup.expired
        )
    ).all()
    fresh = sorted(month for month, stale, _expired in found if not stale)
    return fresh, sorted(month for month, stale, _expired in found if stale)


def call_figures(
    start: date,
    end: date,
    by: str = "authorization",
    department_ids=None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[CallFigures]:
    """Calls, failures and flagged calls per authorization, per data service, per caller (department id) or per
    resource in a period, the most called first (the first `limit` after `offset` of them, chosen by the
    database: #30). Whole closed months come from their rollup (data_call_month), the rest of the period from
    the calls themselves (and, for a month past the retention, the calls reported for it since)."""
    field = {
        "authorization": "authorization_id",
        "service": "service_name",
        "caller": "caller_department_id",
    }.get(by, "resource_code")
    fresh, stale_expired = _rolled_months(start, end)
    rolled = sorted(fresh + stale_expired)
    raw_key = getattr(DataCall, field)
    raw = select(
        raw_key.label("k"),
        *_call_sums(),
    )
    # the days of the period outside the rolled-up months, as moments
    ranges = []
    cursor = start_of_day(start)
    for month in fresh:
        if cursor < start_of_day(month):
            ranges.append((cursor, start_of_day(month)))
        cursor = start_of_day(_next_month(month))
    if cursor < end_of_day(end):
        ranges.append((cursor, end_of_day(end)))
    raw = raw.where(
        or_(*(and_(DataCall.called_at >= a, DataCall.called_at < b) for a, b in ranges))
        if ranges
        else false()
    )
    if department_ids is not None:
        raw = raw.where(_touching(department_ids))
    parts = [raw.group_by(raw_key)]
    if rolled:
        month_key = getattr(DataCallMonth, field)
        from_months = select(
            month_key.label("k"),
            func.sum(DataCallMonth.calls).label("calls"),
            func.sum(DataCallMonth.failures).label("failures"),
            func.sum(DataCallMonth.flagged).label("flagged"),
        ).where(DataCallMonth.month.in_(rolled))
        if department_ids is not None:
            from_months = from_months.where(
                DataCallMonth.caller_department_id.in_(department_ids)
                | DataCallMonth.provider_department_id.in_(department_ids)
            )
        parts.append(from_months.group_by(month_key))
    both = union_all(*parts).subquery()
    total = func.sum(both.c.calls)
    query = (
        select(both.c.k, total, func.sum(both.c.failures), func.sum(both.c.flagged))
        .group_by(both.c.k)
        .order_by(total.desc(), both.c.k)
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    if db.session.get_bind().dialect.name == "postgresql":
        # a year of a province is ~10⁵ groups: hashed in memory, not in batches on disk as PostgreSQL's default
        # work_mem of 4 MB would have it (bench/README.md; this transaction only)
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))
    rows = db.session.execute(query)
    return [
        CallFigures("—" if k is None else str(k), int(n), int(f or 0), int(x or 0)) for k, n, f, x in rows
    ]


def flagged_calls(start: date, end: date, limit: int = 200, department_ids=None) -> list[DataCall]:
    """Calls outside their authorization in a period, newest first (of `department_ids` as caller or
    provider, when given)."""
    begin, finish = start_of_day(start), end_of_day(end)
    query = select(DataCall).where(
        DataCall.flag.is_not(None), DataCall.called_at >= begin, DataCall.called_at < finish
    )
    if department_ids is not None:
        query = query.where(_touching(department_ids))
    return list(db.session.scalars(query.order_by(DataCall.called_at.desc()).limit(limit)))


# --- availability --------------------------------------------------------------------------------------------


def probe(service: DataService, timeout: float = 5.0) -> ServiceProbe:
    """GET the service's health URL once; 2xx is up."""
    started = perf_counter()
    status, error = None, None
    try:
        with urllib.request.urlopen(service.health_url or "", timeout=timeout) as response:  # noqa: S310 (http/https only, below)
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:300]
    latency = int((perf_counter() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    return ServiceProbe(
        service_id=service.id, at=clock.now(), ok=ok, status_code=status, latency_ms=latency, error=error
    )


def probe_services() -> int:
    """Probe every active service that has a health URL (http or https); returns how many were probed.

    A service probed less than half an interval ago is skipped: with several app processes running the
    scheduler, each service is still probed about once per PROBE_INTERVAL_SECONDS.
    """
    fresh_after = clock.now() - timedelta(seconds=current_app.config["PROBE_INTERVAL_SECONDS"] / 2)
    probed_lately = (
        select(ServiceProbe.id)
        .where(ServiceProbe.service_id == DataService.id, ServiceProbe.at > fresh_after)
        .exists()
    )  # one seek per service in ix_service_probe_service_at, however long the probe history
    services = db.session.scalars(
        select(DataService).where(
            DataService.active.is_(True), DataService.health_url.is_not(None), ~probed_lately
        )
    ).all()
    count = 0
    for service in services:
        if not (service.health_url or "").startswith(("http://", "https://")):
            continue
        was_up = db.session.scalar(
            select(ServiceProbe.ok)
            .where(ServiceProbe.service_id == service.id)
            .order_by(ServiceProbe.at.desc())
            .limit(1)
        )
        result = probe(service, current_app.config.get("PROBE_TIMEOUT_SECONDS", 5.0))
        db.session.add(result)
        if was_up is not False and not result.ok:  # an interruption begins: the resource's watchers are told
            watching.tell_watchers(
                service.resource,
                f"outage:{service.id}:{result.at.isoformat()}",
                _(
                    "您关注的资源“%(r)s”的数据服务“%(s)s”中断：%(e)s",
                    r=service.resource.name,
                    s=service.name,
                    e=result.error or result.status_code or "—",
                ),
            )
        elif was_up is False and result.ok:
            watching.tell_watchers(
                service.resource,
                f"restored:{service.id}:{result.at.isoformat()}",
                _("您关注的资源“%(r)s”的数据服务“%(s)s”已恢复", r=service.resource.name, s=service.name),
            )
        count += 1
    db.session.flush()
    return count


@dataclass
class Availability:
    """A service's probes in a period, and its interruptions."""

    service: DataService
    probes: int
    up: int
    outages: list[tuple[datetime, datetime | None]]  # (first failed probe, first probe up again or None)

    @property
    def rate(self) -> float | None:
        return self.up / self.probes if self.probes else None

    def longest_outage_minutes(self, now: datetime) -> int:
        spans = [((end or now) - begin).total_seconds() / 60 for begin, end in self.outages]
        return int(max(spans, default=0))


def availability(start: date, end: date, department_ids=None) -> list[Availability]:
    """Availability and interruptions of every probed service in a period (of the providers
    `department_ids`, when given)."""
    begin, finish = start_of_day(start), end_of_day(end)
    result: dict[int, Availability] = {}
    query = select(ServiceProbe.service_id, ServiceProbe.at, ServiceProbe.ok).where(
        ServiceProbe.at >= begin, ServiceProbe.at < finish
    )
    if department_ids is not None:
        query = query.where(
            ServiceProbe.service_id.in_(
                select(DataService.id)
                .join(Resource, DataService.resource_id == Resource.id)
                .where(Resource.provider_department_id.in_(department_ids))
            )
        )
    rows = db.session.execute(query.order_by(ServiceProbe.service_id, ServiceProbe.at))
    down_since: dict[int, datetime] = {}
    for service_id, at, ok in rows:
        entry = result.get(service_id)
        if entry is None:
            service = db.session.get(DataService, service_id)
            if service is None:  # probes outlive nothing: a service row is never deleted
                continue
            entry = result[service_id] = Availability(service, 0, 0, [])
        entry.probes += 1
        entry.up += ok
        if not ok and service_id not in down_since:
            down_since[service_id] = at
        elif ok and service_id in down_since:
            entry.outages.append((down_since.pop(service_id), at))
    for service_id, since in down_since.items():
        result[service_id].outages.append((since, None))
    return sorted(result.values(), key=lambda a: (a.rate if a.rate is not None else 1, a.service.name))
