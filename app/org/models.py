"""Organisation tables: regions, platforms (§9), departments, users, roles, API tokens."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.db_types import UTCDateTime
from app.extensions import Model, db
from app.org.roles import Role


class Level(StrEnum):
    """Administrative level of a region, platform or department."""

    NATIONAL = "national"  # the 国家共享平台 and its departments: external parties (§18)
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def label(self) -> str:
        """省 / 市（州） / 县（市、区）."""
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    Level.NATIONAL: _l("国家"),
    Level.PROVINCE: _l("省"),
    Level.CITY: _l("市（州）"),
    Level.COUNTY: _l("县（市、区）"),
}


class DepartmentKind(StrEnum):
    """What a department is, beyond an ordinary 政务部门."""

    GOVERNMENT = "government"
    DATA_AUTHORITY = "data_authority"  # 大数据管理机构: operates the platform of its level (§9, §10)
    LEADERSHIP_OFFICE = "leadership_office"  # 领导小组办公室 (§25, §26)

    @property
    def label(self) -> str:
        """The kind as users read it."""
        return str(KIND_LABELS[self])


KIND_LABELS = {
    DepartmentKind.GOVERNMENT: _l("政务部门"),
    DepartmentKind.DATA_AUTHORITY: _l("大数据管理机构"),
    DepartmentKind.LEADERSHIP_OFFICE: _l("领导小组办公室"),
}


class Region(Model):
    """An administrative region (行政区划) with its six-digit code."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class Platform(Model):
    """A 政务信息资源共享平台: one per province and city region (§9 省、市两级部署)."""

    __tablename__ = "platform"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), unique=True)
    # The upper-level platform a city platform forwards to (§12); NULL for the provincial platform.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("platform.id"))

    region: Mapped[Region] = relationship()
    parent: Mapped[Platform | None] = relationship(remote_side=[id])

    @property
    def operator(self) -> Department | None:
        """The department that operates this platform (共享平台建设运维管理部门)."""
        return db.session.scalar(
            db.select(Department).where(Department.platform_id == self.id, Department.operates_platform)
        )

    def __repr__(self) -> str:
        return f"<Platform {self.code}>"


class Department(Model):
    """A 政务部门, identified by its 统一社会信用代码, sharing through the platform of its region."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    short_name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32), default=DepartmentKind.GOVERNMENT.value)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id"), index=True)
    # True for the department that runs its platform (§10); one per platform, checked in org.services.
    operates_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    region: Mapped[Region] = relationship()
    platform: Mapped[Platform] = relationship()
    users: Mapped[list[User]] = relationship(back_populates="department", order_by="User.username")

    @property
    def kind_enum(self) -> DepartmentKind:
        """The kind as an enum."""
        return DepartmentKind(self.kind)

    @property
    def level_enum(self) -> Level:
        """The level as an enum."""
        return Level(self.level)

    def __repr__(self) -> str:
        return f"<Department {self.uscc} {self.short_name}>"


class User(UserMixin, Model):
    """A person who signs in; belongs to one department, holds one or more roles."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Part of the id kept in session cookies: signing out advances it, so a copied cookie stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Notices (#15): "inapp" only, or also by e-mail to `email`
    email: Mapped[str | None] = mapped_column(String(254))
    notice_channel: Mapped[str] = mapped_column(String(8), default="inapp", server_default="inapp")
    # Credentials (#27, app/auth/credentials.py): a new password at first sign-in for accounts an admin opened,
    # the hashes of the last passwords (not reused), and the second factor (TOTP, RFC 6238) with recovery codes.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_history: Mapped[list | None] = mapped_column(JSON)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[list | None] = mapped_column(JSON)

    department: Mapped[Department] = relationship(back_populates="users")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.created_at.desc()"
    )

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this user holds."""
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds any of `roles`."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login's session id: the user and the session epoch ("12.3")."""
        return f"{self.id}.{self.session_epoch or 0}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class EnrolmentCode(Model):
    """A one-time, time-limited code with which a person sets their own password (a reset, or a new account):
    nobody sets another person's password. Shown once to whoever issued it; for the three administrators'
    accounts it works only once a second person of another duty has approved it (三员分立)."""

    __tablename__ = "enrolment_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def status(self) -> str:
        """pending_approval, issued, used, cancelled or expired."""
        if self.used_at:
            return "used"
        if self.cancelled_at:
            return "cancelled"
        if self.expires_at <= clock.now():
            return "expired"
        if self.needs_approval and not self.approved_at:
            return "pending_approval"
        return "issued"


class UserRole(Model):
    """One role held by one user."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ApiToken(Model):
    """A bearer token for the JSON API: only its hash is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def revoked(self) -> bool:
        """True once the token has been revoked."""
        return self.revoked_at is not None


class GatewayCredential(Model):
    """The credential of an exchange gateway (e.g. 楚天云's) that asks GovShare whether to serve a call
    (POST /api/v1/authorizations/check). Not a person's token: it can do nothing else. Only its hash is
    stored; the token is shown once."""

    __tablename__ = "gateway_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OpinionPhrase(Model):
    """A clerk's common opinion (常用意见, #15), offered beside the opinion fields of task forms."""

    __tablename__ = "opinion_phrase"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class SavedFilter(Model):
    """A clerk's saved inbox filter (#31): a name and the inbox's query string (scope, process, step, dates,
    due, department, sort), one click away on the task list."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filter_user_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Delegation(Model):
    """委托 (#15): while away, a user's tasks and notices also go to a deputy of the same department and role,
    from `starts_on` to `ends_on` (Beijing dates, inclusive); it ends by itself."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    principal = relationship("User", foreign_keys=[principal_id])
    deputy = relationship("User", foreign_keys=[deputy_id])
