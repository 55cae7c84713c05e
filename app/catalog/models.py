"""Catalog tables: resources, their versions and data items, data services, and the search index."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model


class ResourceStatus:
    """Values of Resource.status."""

    DRAFT = "draft"  # never published yet
    PUBLISHED = "published"  # a version is in force
    WITHDRAWN = "withdrawn"


class VersionStatus:
    """Values of ResourceVersion.status."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    PUBLISHED = "published"  # the version in force
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    EDITABLE = (DRAFT, RETURNED)


class Resource(Model):
    """A 政务信息资源 in the catalog: its identity (code, provider) across versions."""

    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    resource_class: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str | None] = mapped_column(String(4))
    provider_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    # Denormalized from the version in force, for browsing and search without joins.
    name: Mapped[str] = mapped_column(String(200), index=True)
    share_type: Mapped[str | None] = mapped_column(String(16))
    update_cycle: Mapped[str | None] = mapped_column(String(16))
    provider_level: Mapped[str] = mapped_column(String(16))
    search_text: Mapped[str] = mapped_column(Text, default="")

    provider = relationship("Department")
    versions: Mapped[list[ResourceVersion]] = relationship(
        back_populates="resource", order_by="ResourceVersion.number"
    )
    services: Mapped[list[DataService]] = relationship(back_populates="resource", order_by="DataService.id")

    @property
    def current_version(self) -> ResourceVersion | None:
        """The version in force (status published), if any."""
        return next((v for v in self.versions if v.status == VersionStatus.PUBLISHED), None)

    @property
    def published_version(self) -> ResourceVersion:
        """The version in force of a resource the caller knows is published (LookupError otherwise)."""
        version = self.current_version
        if version is None:
            raise LookupError(f"resource {self.code} has no published version")
        return version

    @property
    def open_version(self) -> ResourceVersion | None:
        """The version being edited or reviewed, if any."""
        return next(
            (v for v in self.versions if v.status in (*VersionStatus.EDITABLE, VersionStatus.IN_REVIEW)), None
        )

    __table_args__ = (
        Index("ix_resource_browse", "status", "resource_class", "share_type"),
        Index("ix_resource_provider_status", "provider_department_id", "status"),
    )


class ResourceVersion(Model):
    """One version of a resource's metadata; published versions are never edited again."""

    __tablename__ = "resource_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str | None] = mapped_column(String(32))
    share_type: Mapped[str | None] = mapped_column(String(16))
    share_conditions: Mapped[str | None] = mapped_column(Text)
    share_method: Mapped[str | None] = mapped_column(String(16))
    usage_requirements: Mapped[str | None] = mapped_column(Text)
    open_attribute: Mapped[str | None] = mapped_column(String(32))
    update_cycle: Mapped[str | None] = mapped_column(String(16))
    published_on: Mapped[date | None] = mapped_column(Date)
    related_codes: Mapped[list] = mapped_column(JSON, default=list)
    legal_basis_type: Mapped[str | None] = mapped_column(String(32))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_business_key: Mapped[str | None] = mapped_column(String(64))
    # 一数一源 (#34): items of this version that other departments already catalogue (name or definition), found
    # at submission and shown to the submitter and the reviewer: [{item, resource_code, resource_name, provider}]
    duplicates: Mapped[list | None] = mapped_column(JSON)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)

    resource: Mapped[Resource] = relationship(back_populates="versions")
    items: Mapped[list[DataItem]] = relationship(
        back_populates="version", order_by="DataItem.seq", cascade="all, delete-orphan"
    )
    created_by = relationship("User", foreign_keys=[created_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    __table_args__ = (
        UniqueConstraint("resource_id", "number", name="uq_resource_version_resource_id_number"),
    )


class DataItem(Model):
    """A 信息项 of a resource version."""

    __tablename__ = "data_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_version.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(16))
    length: Mapped[int | None] = mapped_column(Integer)
    share_type: Mapped[str | None] = mapped_column(String(16))  # None: as the resource
    description: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[str] = mapped_column(String(16), default="general", server_default="general")  # ITEM_GRADES
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # 敏感个人信息

    version: Mapped[ResourceVersion] = relationship(back_populates="items")

    @property
    def guarded(self) -> bool:
        """Granting it needs a stated necessity and a 共享安全评估 (#34)."""
        return self.sensitive or self.grade in ("important", "core")


class DataService(Model):
    """A data service the provider registered for a resource (§11); parameters may be 管控参数."""

    __tablename__ = "data_service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str | None] = mapped_column(String(500))
    health_url: Mapped[str | None] = mapped_column(
        String(500)
    )  # probed by the scheduler for availability (§26)
    description: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[list] = mapped_column(JSON, default=list)  # [{name, description, controlled}]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # when the data behind the service was last updated, as the exchange system reports it (#17 freshness watch)
    last_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resource: Mapped[Resource] = relationship(back_populates="services")

    @property
    def controlled_parameters(self) -> list[str]:
        """Names of the 管控参数."""
        return [p["name"] for p in self.parameters or [] if p.get("controlled")]


class SearchTerm(Model):
    """Character bigram index of published resources (names, summaries, item names) for Chinese search."""

    __tablename__ = "search_term"

    term: Mapped[str] = mapped_column(String(2), primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_search_term_resource", "resource_id"),)


class DutyChange(Model):
    """A change of law or of a department's duties (办法§6) that obliges it to update its catalog within the
    period of bpmn/catalog_upkeep.bpmn (default 15 working days); overdue → §31(一) rectification proposed."""

    __tablename__ = "duty_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    status: Mapped[str] = mapped_column(String(16), index=True)  # "open", "updated", "overdue"
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department = relationship("Department")


class WatchTarget:
    """What a 资源订阅 watches (#33)."""

    RESOURCE = "resource"  # one resource, by code
    CLASS = "class"  # a resource class (基础/主题/部门)
    PROVIDER = "provider"  # a provider department's catalog, by department id


class Watch(Model):
    """资源订阅 (#33): a user watches a resource, a resource class or a provider's catalog, and is told of new
    versions (with what changed), withdrawal, service outages and stale data — in the app, and by e-mail when
    the user chose e-mail for notices."""

    __tablename__ = "watch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (
        UniqueConstraint("user_id", "target_type", "target"),
        Index("ix_watch_target", "target_type", "target"),
    )


class WatchNotice(Model):
    """One event told to one watcher: kept so that a user watching a resource both by itself and through its
    provider or class is told once, and a repeated event (a job run twice) not again."""

    __tablename__ = "watch_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(120))
    told_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (UniqueConstraint("user_id", "event"),)


class CatalogLead(Model):
    """一数一源 (#34, 办法§8(二)(三)): the lead department of a base resource class (人口、法人…) or a topic, set by
    the data bureau; only the lead may catalogue resources of it."""

    __tablename__ = "catalog_lead"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_class: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str] = mapped_column(String(4))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    department = relationship("Department")

    __table_args__ = (UniqueConstraint("resource_class", "subcategory"),)
