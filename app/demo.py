"""Demo data that looks like Hubei: platforms (§9), departments, the leadership office, one user per role."""

from __future__ import annotations

from typing import Any

from app.calendar.services import ensure_calendar
from app.catalog.demo import seed_catalog
from app.extensions import db
from app.org.models import Department, DepartmentKind, Level, Platform, Region, User
from app.org.roles import Role
from app.org.services import create_department, create_user
from app.org.uscc import make_uscc
from app.sharing.demo import seed_applications, seed_matters, seed_overdue_case, seed_returned_case
from app.studio.deploy import deploy
from app.supervision.demo import seed_supervision

DEMO_PASSWORD = "govshare2026"

REGIONS = [
    ("100000", "全国", Level.NATIONAL, None),
    ("420000", "湖北省", Level.PROVINCE, "100000"),
    ("420100", "武汉市", Level.CITY, "420000"),
    ("420900", "孝感市", Level.CITY, "420000"),
]

PLATFORMS = [
    ("CN", "国家数据共享交换平台", Level.NATIONAL, "100000", None),
    ("HB", "湖北省政务信息资源共享平台", Level.PROVINCE, "420000", "CN"),
    ("HB-WH", "武汉市政务信息资源共享平台", Level.CITY, "420100", "HB"),
    ("HB-XG", "孝感市政务信息资源共享平台", Level.CITY, "420900", "HB"),
]

# (full name, short name, region, platform, kind, operates its platform)
DEPARTMENTS = [
    ("湖北省数据局", "省数据局", "420000", "HB", DepartmentKind.DATA_AUTHORITY, True),
    (
        "湖北省数字政府建设领导小组办公室",
        "省领导小组办公室",
        "420000",
        "HB",
        DepartmentKind.LEADERSHIP_OFFICE,
        False,
    ),
    ("湖北省公安厅", "省公安厅", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省市场监督管理局", "省市场监管局", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省自然资源厅", "省自然资源厅", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省发展和改革委员会", "省发展改革委", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省人力资源和社会保障厅", "省人社厅", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省民政厅", "省民政厅", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省卫生健康委员会", "省卫生健康委", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省教育厅", "省教育厅", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省住房和城乡建设厅", "省住建厅", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("湖北省政务服务管理办公室", "省政务服务办", "420000", "HB", DepartmentKind.GOVERNMENT, False),
    ("武汉市数据局", "武汉市数据局", "420100", "HB-WH", DepartmentKind.DATA_AUTHORITY, True),
    ("武汉市公安局", "武汉市公安局", "420100", "HB-WH", DepartmentKind.GOVERNMENT, False),
    ("武汉市人力资源和社会保障局", "武汉市人社局", "420100", "HB-WH", DepartmentKind.GOVERNMENT, False),
    ("武汉市市场监督管理局", "武汉市市场监管局", "420100", "HB-WH", DepartmentKind.GOVERNMENT, False),
    ("孝感市数据局", "孝感市数据局", "420900", "HB-XG", DepartmentKind.DATA_AUTHORITY, True),
    ("孝感市市场监督管理局", "孝感市市场监管局", "420900", "HB-XG", DepartmentKind.GOVERNMENT, False),
    ("孝感市民政局", "孝感市民政局", "420900", "HB-XG", DepartmentKind.GOVERNMENT, False),
    # A national department whose data reaches Hubei only through the national platform (§18).
    ("公安部", "公安部", "100000", "CN", DepartmentKind.GOVERNMENT, False),
]

# (username, display name, department, roles)
USERS = [
    ("admin", "系统管理员", "湖北省数据局", [Role.ADMIN]),
    ("secadmin", "安全保密管理员", "湖北省数据局", [Role.SECURITY_ADMIN]),
    ("auditor", "安全审计员", "湖北省数据局", [Role.AUDITOR]),
    ("analyst", "流程分析员", "湖北省数据局", [Role.ANALYST]),
    ("supervisor", "省数据局督办", "湖北省数据局", [Role.SUPERVISOR]),
    ("hb_operator", "省平台审核员", "湖北省数据局", [Role.PLATFORM_OPERATOR]),
    ("leader", "领导小组办公室", "湖北省数字政府建设领导小组办公室", [Role.LEADERSHIP_OFFICE]),
    ("gat_provider", "省公安厅审核人", "湖北省公安厅", [Role.PROVIDER_CLERK]),
    ("scjg_provider", "省市场监管局审核人", "湖北省市场监督管理局", [Role.PROVIDER_CLERK]),
    ("rst_applicant", "省人社厅经办人", "湖北省人力资源和社会保障厅", [Role.APPLICANT_CLERK]),
    ("mz_clerk", "省民政厅经办人", "湖北省民政厅", [Role.APPLICANT_CLERK, Role.PROVIDER_CLERK]),
    # a colleague in the same role, so 委托 (a deputy while mz_clerk is away) can be tried with the demo
    ("mz_reviewer", "省民政厅审核人", "湖北省民政厅", [Role.PROVIDER_CLERK]),
    ("wh_operator", "武汉市平台审核员", "武汉市数据局", [Role.PLATFORM_OPERATOR, Role.SUPERVISOR]),
    ("wh_applicant", "武汉市人社局经办人", "武汉市人力资源和社会保障局", [Role.APPLICANT_CLERK]),
    ("wh_provider", "武汉市公安局审核人", "武汉市公安局", [Role.PROVIDER_CLERK]),
    ("xg_operator", "孝感市平台审核员", "孝感市数据局", [Role.PLATFORM_OPERATOR, Role.SUPERVISOR]),
    ("xg_applicant", "孝感市市场监管局经办人", "孝感市市场监督管理局", [Role.APPLICANT_CLERK]),
]


def demo_uscc(region_code: str, index: int) -> str:
    """A valid, stable 统一社会信用代码 for the index-th demo department (1 = 机构编制, 1 = 机关)."""
    return make_uscc("1", "1", region_code, f"MB{index:06d}")


def seed() -> dict[str, Any]:
    """Create whatever demo organisation, users and calendar are missing; running it twice changes nothing."""
    created = {"regions": 0, "platforms": 0, "departments": 0, "users": 0}
    regions: dict[str, Region] = {r.code: r for r in db.session.scalars(db.select(Region))}
    for code, name, level, parent in REGIONS:
        if code not in regions:
            regions[code] = Region(
                code=code, name=name, level=level.value, parent=regions.get(parent) if parent else None
            )
            db.session.add(regions[code])
            created["regions"] += 1
    platforms: dict[str, Platform] = {p.code: p for p in db.session.scalars(db.select(Platform))}
    for code, name, level, region, parent in PLATFORMS:
        if code not in platforms:
            platforms[code] = Platform(
                code=code,
                name=name,
                level=level.value,
                region=regions[region],
                parent=platforms.get(parent) if parent else None,
            )
            db.session.add(platforms[code])
            created["platforms"] += 1
    db.session.flush()
    existing = set(db.session.scalars(db.select(Department.name)))
    for index, (name, short, region, platform, kind, operates) in enumerate(DEPARTMENTS, start=1):
        if name in existing:
            continue
        level = {"100000": Level.NATIONAL, "420000": Level.PROVINCE}.get(region, Level.CITY)
        create_department(
            uscc=demo_uscc(region, index),
            name=name,
            short_name=short,
            region=regions[region],
            platform=platforms[platform],
            level=level,
            kind=kind,
            operates_platform=operates,
        )
        created["departments"] += 1
    db.session.commit()
    usernames = set(db.session.scalars(db.select(User.username)))
    for username, display, department, roles in USERS:
        if username in usernames:
            continue
        create_user(
            username=username,
            display_name=display,
            department_code=department,
            roles=[r.value for r in roles],
            password=DEMO_PASSWORD,
            demo=True,
        )
        created["users"] += 1
    ensure_calendar()
    db.session.commit()
    return created


def seed_content(*, applications: bool = True) -> dict[str, Any]:
    """Deploy the procedures in bpmn/, load the demo catalog and (optionally) demo applications (idempotent)."""
    deployed = deploy(comment="演示数据：部署流程目录中的全部流程")
    if deployed.problems:
        raise RuntimeError("bpmn/ has problems: " + "; ".join(str(p) for p in deployed.problems))

    summary = {"processes": len(deployed.created), **seed_catalog()}
    if applications:
        summary.update(seed_applications())
        summary.update(seed_overdue_case())
        summary.update(seed_returned_case())
        summary.update(seed_matters())
        summary.update(seed_supervision())
    return summary
