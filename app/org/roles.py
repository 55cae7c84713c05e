"""The roles of DOMAIN.md's role table, with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    """A role a user may hold; a user may hold several."""

    APPLICANT_CLERK = "applicant_clerk"
    PROVIDER_CLERK = "provider_clerk"
    PLATFORM_OPERATOR = "platform_operator"
    SUPERVISOR = "supervisor"
    LEADERSHIP_OFFICE = "leadership_office"
    ANALYST = "analyst"
    ADMIN = "admin"  # 系统管理员: accounts (create, profile, status, password) and settings
    SECURITY_ADMIN = "security_admin"  # 安全保密管理员: roles, API tokens, gateway credentials
    AUDITOR = "auditor"  # 安全审计员: reads and exports the audit trail

    @property
    def label(self) -> str:
        """The role's name as users know it."""
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.APPLICANT_CLERK: _l("使用部门经办人"),
    Role.PROVIDER_CLERK: _l("提供部门审核人"),
    Role.PLATFORM_OPERATOR: _l("平台审核员"),
    Role.SUPERVISOR: _l("大数据管理机构"),
    Role.LEADERSHIP_OFFICE: _l("领导小组办公室"),
    Role.ANALYST: _l("流程分析员"),
    Role.ADMIN: _l("系统管理员"),
    Role.SECURITY_ADMIN: _l("安全保密管理员"),
    Role.AUDITOR: _l("安全审计员"),
}

# 三员分立 (expected by 等保 assessments): the three administrators' duties are held by different people, and
# none of them can do another's work.
SEPARATED_DUTIES = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)

ROLE_VALUES = tuple(r.value for r in Role)


def role_label(value: str | None) -> str:
    """A role's Chinese name from its code; an unknown code as it is; "—" for none."""
    if not value:
        return "—"
    try:
        return str(ROLE_LABELS[Role(value)])
    except ValueError:
        return value


def parse_role(value: str) -> Role:
    """A Role from its code or its Chinese label; ValueError names the known roles."""
    for role in Role:
        if value in (role.value, str(ROLE_LABELS[role])):
            return role
    raise ValueError(f"未知角色 {value!r}；可用角色：{', '.join(ROLE_VALUES)}")
