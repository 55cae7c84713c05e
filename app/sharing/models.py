"""Sharing tables: applications, their per-resource lines, authorization records."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model


class ApplicationStatus:
    """Values of ShareApplication.status."""

    SUBMITTED = "submitted"  # waiting for the normative check (§19)
    RETURNED = "returned"  # 退回补正: the check asked the applicant to complete it; checked again after
    NOT_ACCEPTED = "not_accepted"
    IN_PROGRESS = "in_progress"  # accepted; resources being authorized
    DECIDED = "decided"  # every resource has a decision
    WITHDRAWN = "withdrawn"  # the applicant withdrew it before any resource was decided


class Decision:
    """Values of ApplicationLine.decision."""

    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    NOT_ACCEPTED = "not_accepted"  # the application (or the upper platform's check) did not accept it
    WITHDRAWN = "withdrawn"  # the application was withdrawn before this resource was decided


# What pages and printed documents call them (the case page, the lists, the 审批表).
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("待检查"),
    ApplicationStatus.NOT_ACCEPTED: _l("不予受理"),
    ApplicationStatus.IN_PROGRESS: _l("授权中"),
    ApplicationStatus.DECIDED: _l("已答复"),
    ApplicationStatus.WITHDRAWN: _l("已撤回"),
    ApplicationStatus.RETURNED: _l("退回补正"),
}
DECISION_LABELS = {
    Decision.PENDING: _l("办理中"),
    Decision.GRANTED: _l("同意授权"),
    Decision.REFUSED: _l("不予授权"),
    Decision.NOT_ACCEPTED: _l("不予受理"),
    Decision.WITHDRAWN: _l("已撤回"),
}
ROUTE_LABELS = {  # who authorizes a line (share_route.dmn); none until the application is accepted
    "direct": _l("平台直接授权（§21）"),
    "national": _l("国家共享平台（§18）"),
    "provider": _l("提供部门授权（§20）"),
}


class ShareApplication(Model):
    """A 使用申请 (§13): one applicant department asking for one or more resources, one case number."""

    __tablename__ = "share_application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    applicant_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    applicant_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(Text)  # 用途
    reason: Mapped[str] = mapped_column(Text)  # 申请理由
    business_system: Mapped[str] = mapped_column(String(200))  # the system that will use the data
    scope: Mapped[str] = mapped_column(Text)  # 使用范围
    # why 重要/核心 or 敏感个人信息 items are needed (#34: a grant of such items needs a stated necessity)
    necessity: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    check_reasons: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    applicant_department = relationship("Department")
    applicant = relationship("User", foreign_keys=[applicant_user_id])
    lines: Mapped[list[ApplicationLine]] = relationship(
        back_populates="application", order_by="ApplicationLine.id"
    )

    __table_args__ = (
        # §26: the applications received in a period by status, of the applicants in scope (#30)
        Index("ix_share_application_submitted", "submitted_at", "status", "applicant_department_id"),
    )


class ApplicationLine(Model):
    """One requested resource of an application, with its route, its own clock and its own decision."""

    __tablename__ = "application_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("share_application.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    resource_version_id: Mapped[int] = mapped_column(ForeignKey("resource_version.id"))
    items: Mapped[list] = mapped_column(JSON)  # requested data item names
    # a partial grant (§20, §21): the requested items refused, with the line's reasons and basis; the
    # authorization holds exactly the others
    refused_items: Mapped[list | None] = mapped_column(JSON)
    # 共享安全评估 of a line requesting 重要/核心 or sensitive items (#34): passed, opinion, by, at
    assessment: Mapped[dict | None] = mapped_column(JSON)
    # 转办 (#15): [{"from", "to", "reason", "by", "at", "clock"}], the provider moved to the department that really
    # holds the resource (provider_department_id is the current one)
    transfers: Mapped[list | None] = mapped_column(JSON)
    transferred_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, index=True
    )  # the latest 转办 (§26 count)
    # "national" (§18), "direct" (§21) or "provider" (§20): decided by the procedure's decision table
    # (bpmn/share_route.dmn) when the line's authorization starts; None until then.
    route: Mapped[str | None] = mapped_column(String(16))
    via_upper_platform: Mapped[bool] = mapped_column(default=False)  # §12: forwarded to the upper platform
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16), default=Decision.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    decision_basis: Mapped[str | None] = mapped_column(Text)
    applicant_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the applicant was told (§20, #30): working days after the decision, within the 1-day limit or not,
    # and the calendar version they were counted on.
    told_days: Mapped[int | None] = mapped_column(Integer)
    told_on_time: Mapped[bool | None] = mapped_column(Boolean)
    told_calendar: Mapped[int | None] = mapped_column(Integer)

    application: Mapped[ShareApplication] = relationship(back_populates="lines")
    resource = relationship("Resource")
    resource_version = relationship("ResourceVersion")
    provider = relationship("Department", foreign_keys=[provider_department_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        # §26: the lines decided in a period, by route and decision, of the providers in scope (#30)
        Index("ix_application_line_decided", "decided_at", "decision", "route", "provider_department_id"),
        # §20: the applicants told in a period, with what the figures need (read from the index alone)
        Index(
            "ix_application_line_told",
            "applicant_told_at",
            "route",
            "told_calendar",
            "told_days",
            "told_on_time",
            "application_id",
            "decided_at",
        ),
    )


def system_key(name: str) -> str:
    """A business system's name as the gateway compares it (§14): spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


class Authorization(Model):
    """An authorization (§13, §24): who may use which items of which resource, for what, in which system and
    scope, from when to when. Revocable with a reason; later checks and data gateways enforce it."""

    __tablename__ = "share_authorization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("application_line.id"), unique=True)
    applicant_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    items: Mapped[list] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(Text)
    business_system: Mapped[str] = mapped_column(String(200))
    # system_key(business_system), kept with it (validates_business_system): the gateway looks it up (#30)
    system_key: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str | None] = mapped_column(Text)
    # 管控参数 (§11) values the decision binds: {parameter: [allowed values]}; a gateway check (§24) refuses others
    bound_parameters: Mapped[dict | None] = mapped_column(JSON)
    # the highest grade among the items granted, and whether any is 敏感个人信息 (#34): shown, checked, counted
    grade: Mapped[str] = mapped_column(String(16), default="general", server_default="general")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the applicant was told it ends

    line: Mapped[ApplicationLine] = relationship()
    resource = relationship("Resource")
    applicant_department = relationship("Department")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        # the gateway's one lookup (#30): a caller's authorizations of a resource, its own system's first, the
        # state of each read from the index
        Index(
            "ix_share_authorization_gateway",
            "applicant_department_id",
            "resource_id",
            "system_key",
            "revoked_at",
            "valid_from",
            "valid_to",
            "id",
        ),
    )

    @validates("business_system")
    def validates_business_system(self, _key: str, value: str) -> str:
        self.system_key = system_key(value)
        return value

    def state_on(self, day: date) -> str:
        """ "revoked", "not_yet", "expired" or "valid" on `day`."""
        if self.revoked_at is not None:
            return "revoked"
        if day < self.valid_from:
            return "not_yet"
        if day > self.valid_to:
            return "expired"
        return "valid"


class ObjectionStatus:
    """Values of Objection.status."""

    VERIFYING = "verifying"  # the provider verifies (校核); §23: people with valid proof are served normally
    ANSWERED = "answered"  # corrected or explained; the applicant reviews
    ACCEPTED = "accepted"
    DISPUTED = "disputed"  # the applicant does not accept the answer (§25 dispute)


class Objection(Model):
    """An applicant's objection to data it received (办法§23): the provider verifies and corrects or explains."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("share_authorization.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    applicant_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    items: Mapped[list] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    outcome: Mapped[str | None] = mapped_column(String(16))  # "corrected" or "explained"
    correction: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)

    authorization: Mapped[Authorization] = relationship()
    resource = relationship("Resource")
    applicant_department = relationship("Department", foreign_keys=[applicant_department_id])
    provider = relationship("Department", foreign_keys=[provider_department_id])
    raised_by = relationship("User", foreign_keys=[raised_by_id])


class DisputeStatus:
    """Values of Dispute.status."""

    NEGOTIATING = "negotiating"  # parties state positions; the platform records the negotiation (协商)
    AGREED = "agreed"
    ESCALATED = "escalated"  # the leadership office decides (协调)
    DECIDED = "decided"


class Dispute(Model):
    """A disagreement over share conditions, an application's reasons or an authorization result (办法§25)."""

    __tablename__ = "dispute"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    topic: Mapped[str] = mapped_column(String(16))  # "conditions", "reasons", "result"
    line_id: Mapped[int | None] = mapped_column(ForeignKey("application_line.id"), index=True)
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("objection.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    applicant_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    platform_operator_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    leadership_office_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    positions: Mapped[dict] = mapped_column(JSON, default=dict)  # party → {"text", "by", "at"}
    negotiation_record: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # "grant", "uphold", "other"
    outcome_text: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[ApplicationLine | None] = relationship()
    objection = relationship("Objection")
    resource = relationship("Resource")
    applicant_department = relationship("Department", foreign_keys=[applicant_department_id])
    provider = relationship("Department", foreign_keys=[provider_department_id])
    platform_operator = relationship("Department", foreign_keys=[platform_operator_id])
    leadership_office = relationship("Department", foreign_keys=[leadership_office_id])
    raised_by = relationship("User", foreign_keys=[raised_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class OfflineExchange(Model):
    """A provider's request to exchange data offline for an authorization (办法§16: online by standard means;
    offline file exchange needs the 大数据管理机构's approval)."""

    __tablename__ = "offline_exchange"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("share_authorization.id"), index=True)
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    method: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # "pending", "approved", "refused"
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reasons: Mapped[str | None] = mapped_column(Text)

    authorization: Mapped[Authorization] = relationship()
    provider = relationship("Department")


class QualityIssue(Model):
    """A data quality problem the platform found on receiving data (办法§17): the provider corrects it; when two
    providers' data disagree, both verify it together with the platform."""

    __tablename__ = "quality_issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    other_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))  # the disagreeing source
    raised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id")
    )  # None: the freshness watch
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # "open", "resolved"
    source: Mapped[str] = mapped_column(
        String(16), default="manual", server_default="manual"
    )  # or "freshness"
    responses: Mapped[dict] = mapped_column(
        JSON, default=dict
    )  # provider department id → {"text", "by", "at"}
    conclusion: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resource = relationship("Resource", foreign_keys=[resource_id])
    other_resource = relationship("Resource", foreign_keys=[other_resource_id])


class NationalRequestStatus:
    QUEUED = "queued"  # waiting for the scheduler to call the 国家共享平台
    ANSWERED = "answered"  # the platform answered; the answer was delivered to the case
    FAILED = "failed"  # every attempt failed: the case was handed to the operator and an incident opened
    ABANDONED = "abandoned"  # the case no longer waits (withdrawn or cancelled)


class NationalRequest(Model):
    """A line forwarded to the 国家共享平台 (办法§18), kept in an outbox: the case records it, the scheduler
    calls the platform outside any transaction and delivers the answer to the case as the message
    `national_answer`. Retried with a growing pause; each failure is on the case, the last one an incident."""

    __tablename__ = "national_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(64), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("application_line.id"))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=NationalRequestStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instance = relationship("ProcessInstance")

    __table_args__ = (Index("ix_national_request_due", "status", "next_attempt_at"),)


class DemandStatus:
    """Values of DataDemand.status (供需对接, #33)."""

    ROUTING = "routing"  # the platform operator finds who holds the data
    ANSWERING = "answering"  # the holding department answers
    WILL_CATALOGUE = "will_catalogue"  # the holder will catalogue it by the promised date
    FULFILLED = "fulfilled"  # catalogued (already, or published since): the demanders may apply
    CANNOT = "cannot"  # the holder cannot share it, with reasons and basis (§20)
    MERGED = "merged"  # the same data as another open demand: followed there


DEMAND_STATUS_LABELS = {
    DemandStatus.ROUTING: _l("待平台分派"),
    DemandStatus.ANSWERING: _l("待掌握部门答复"),
    DemandStatus.WILL_CATALOGUE: _l("承诺编目"),
    DemandStatus.FULFILLED: _l("已可申请"),
    DemandStatus.CANNOT: _l("无法提供"),
    DemandStatus.MERGED: _l("已合并"),
}


class DataDemand(Model):
    """供需对接 (#33): a department needs data nobody has catalogued; the platform finds who holds it, the holder
    answers (will catalogue by a date, already catalogued as a resource, or cannot — with reasons), and when the
    data is published the demanders are told and apply in one click (bpmn/data_demand.bpmn)."""

    __tablename__ = "data_demand"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    demander_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    demander_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    fields: Mapped[str] = mapped_column(Text)  # the data items needed, in the demander's words
    legal_basis: Mapped[str] = mapped_column(Text)
    business_system: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    holder_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("data_demand.id"), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promised_on: Mapped[date | None] = mapped_column(Date)
    reasons: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    demander = relationship("Department", foreign_keys=[demander_department_id])
    demander_user = relationship("User", foreign_keys=[demander_user_id])
    holder = relationship("Department", foreign_keys=[holder_department_id])
    resource = relationship("Resource")
    merged_into: Mapped[DataDemand | None] = relationship(remote_side=[id])


class ServiceMatter(Model):
    """A 政务服务事项 of a department (复用核验, #33): what it asks citizens and companies to hand in (its materials)
    is mapped to catalog items, so a material that sharing can supply is no longer asked for (鄂政办电〔2018〕89号)."""

    __tablename__ = "service_matter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    department = relationship("Department")
    materials: Mapped[list[MatterMaterial]] = relationship(
        back_populates="matter", order_by="MatterMaterial.id", cascade="all, delete-orphan"
    )


class MatterMaterial(Model):
    """One material a 事项 asks for, and the catalog resource (and items) that can supply it, if any."""

    __tablename__ = "matter_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("service_matter.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"), index=True)
    items: Mapped[list | None] = mapped_column(JSON)
    still_required: Mapped[bool] = mapped_column(Boolean, default=True)  # still asked of people

    matter: Mapped[ServiceMatter] = relationship(back_populates="materials")
    resource = relationship("Resource")

    __table_args__ = (UniqueConstraint("matter_id", "name"),)


class ResourceRating(Model):
    """共享评价 (#34): a department that used a resource rates it — timeliness, accuracy, completeness (1–5) and a
    comment; one rating per authorization, changed as use goes on. Ratings show on the catalog; a low one tells
    the platform, which may open a §17 quality issue."""

    __tablename__ = "resource_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("share_authorization.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    timeliness: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[int] = mapped_column(Integer)
    completeness: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    department = relationship("Department")
