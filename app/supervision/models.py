"""Supervision tables: data-call records (§26, §24), service probes (§26), rectifications (§31), monthly
reports (§26)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model


class CallFlag:
    """Why a data call is flagged (§14, §24: data used only as authorized)."""

    NO_AUTHORIZATION = "no_authorization"
    WRONG_CALLER = "wrong_caller"
    RESOURCE_MISMATCH = "resource_mismatch"
    REVOKED = "revoked"
    OUTSIDE_VALIDITY = "outside_validity"
    # from the gateway's decisions (POST /api/v1/authorizations/check), which also see the system, items and
    # 管控参数 of the call
    WRONG_SYSTEM = "wrong_system"
    ITEM_NOT_GRANTED = "item_not_granted"
    PARAMETER_OUTSIDE = "parameter_outside_binding"
    WITHDRAWN = "withdrawn"  # the resource was withdrawn, or the items are no longer shared (§8)


CALL_FLAG_LABELS = {
    CallFlag.NO_AUTHORIZATION: "无有效授权",
    CallFlag.WRONG_CALLER: "调用方不是被授权部门",
    CallFlag.RESOURCE_MISMATCH: "调用的资源不在授权范围内",
    CallFlag.REVOKED: "授权已撤销",
    CallFlag.OUTSIDE_VALIDITY: "超出授权使用期限",
    CallFlag.WRONG_SYSTEM: "不是被授权的业务系统",
    CallFlag.ITEM_NOT_GRANTED: "请求了未授权的数据项",
    CallFlag.PARAMETER_OUTSIDE: "管控参数超出授权限定",
    CallFlag.WITHDRAWN: "资源已撤销或数据项不再共享",
}


class DataCall(Model):
    """One data call reported by the exchange system that carries the data (GovShare does not)."""

    __tablename__ = "data_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authorization_id: Mapped[int | None] = mapped_column(Integer, index=True)  # as reported; may not exist
    caller_uscc: Mapped[str] = mapped_column(String(18))
    caller_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    provider_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    service_name: Mapped[str | None] = mapped_column(String(200))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    flag: Mapped[str | None] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(8))  # "api" or "csv" (reported), "gateway" (a decision)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The reporter's own id of the call: a batch sent again (a retry after a timeout) stores each call once, so
    # the §26 figures and the §24 flags do not count it twice.
    call_id: Mapped[str | None] = mapped_column(String(64))

    # On PostgreSQL the table is partitioned by month of called_at (app/supervision/partitions.py): its primary
    # key there is (id, called_at), and a unique index must hold called_at too — a call sent again carries its
    # own time, and ingest() checks (caller, call id) before it stores anything.
    __table_args__ = (
        Index(
            "uq_data_call_caller_call_id",
            "caller_uscc",
            "call_id",
            "called_at",
            unique=True,
            sqlite_where=text("call_id IS NOT NULL"),
            postgresql_where=text("call_id IS NOT NULL"),
        ),
        # the calls outside their authorization, newest first (the calls page: 1 % of the calls, #30)
        Index(
            "ix_data_call_flagged",
            "called_at",
            sqlite_where=text("flag IS NOT NULL"),
            postgresql_where=text("flag IS NOT NULL"),
        ),
    )


class ServiceProbe(Model):
    """One health check of a registered data service by the scheduler."""

    __tablename__ = "service_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("data_service.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))

    service = relationship("DataService")

    __table_args__ = (Index("ix_service_probe_service_at", "service_id", "at"),)


class RectificationStatus:
    """Values of Rectification.status."""

    NOTIFIED = "notified"  # the department must rectify by the deadline (§31)
    REPORTED = "reported"  # the department reported; the 大数据管理机构 verifies
    RECTIFIED = "rectified"
    ESCALATED = "escalated"  # not rectified in time: reported to the leadership group (§31)


RECTIFICATION_STATUS_LABELS = {
    RectificationStatus.NOTIFIED: "整改中",
    RectificationStatus.REPORTED: "待核实",
    RectificationStatus.RECTIFIED: "已整改",
    RectificationStatus.ESCALATED: "逾期上报领导小组",
}


FAILINGS = {
    "overdue": "未在规定时限内完成授权（§26）",
    "outage": "数据服务中断影响使用（§26）",
    "catalog": "未按要求编制或更新政务信息资源目录（§31(一)）",
    "late_data": "未向共享平台及时提供共享数据（§31(二)）",
    "bad_data": "提供的数据不一致、未及时更新或无法使用（§31(三)）",
    "misuse": "将共享信息用于履行职责以外的目的（§31(四)）",
    "other": "违反本办法的其他行为（§31(五)）",
}


class Rectification(Model):
    """A rectification notice (§26, §31) and what became of it; driven by bpmn/rectification.bpmn."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    failing: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    deadline_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    ordered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    report: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    basis: Mapped[dict | None] = mapped_column(JSON)  # what the order was based on (overdue items, outages)

    department = relationship("Department")
    ordered_by = relationship("User")


class MonthlyReport(Model):
    """The §26 statistics of one month, generated by the scheduler and kept as published."""

    __tablename__ = "monthly_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)  # "2026-10"
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    html: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict] = mapped_column(JSON)


class DataCallMonth(Model):
    """Data calls of a closed month summed by authorization, service, resource, caller and provider (#30): the
    §26 call figures read these instead of the month's raw calls. Written whole per month by the scheduler's
    calls-rollup job, exact: a call reported late for a rolled-up month marks the month stale until rolled
    up again (DataCallRollup)."""

    __tablename__ = "data_call_month"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # the month's first day (Beijing time)
    authorization_id: Mapped[int | None] = mapped_column(Integer)
    service_name: Mapped[str | None] = mapped_column(String(200))
    resource_code: Mapped[str] = mapped_column(String(64))
    caller_department_id: Mapped[int | None] = mapped_column(Integer)
    provider_department_id: Mapped[int | None] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)

    __table_args__ = (  # one department's or platform's figures (a dashboard's scope) without reading all
        Index("ix_data_call_month_caller", "caller_department_id", "month"),
        Index("ix_data_call_month_provider", "provider_department_id", "month"),
    )


class DataCallRollup(Model):
    """Which months are rolled up into data_call_month, whether a late call made one stale, and whether its raw
    calls are gone."""

    __tablename__ = "data_call_rollup"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    rolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    # The month's raw calls were dropped past the retention (app/supervision/partitions.py): its rollup is all
    # there is, and a call reported late for it is added to the rollup, not counted again from the calls.
    expired: Mapped[bool] = mapped_column(Boolean, default=False)


class AssessmentPlan(Model):
    """The weighted §28 assessment of a year (#34): each indicator's weight and target, set by the data bureau;
    and, once published, the scores with their breakdown kept as published (like the monthly report)."""

    __tablename__ = "assessment_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    indicators: Mapped[dict] = mapped_column(JSON)  # {key: {"weight": float, "target": float}}
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published: Mapped[list | None] = mapped_column(
        JSON
    )  # [{department, score, parts: {key: {value, points}}}]
