"""Demo applications: one waiting for the provincial normative check, one forwarded from 武汉 to the province,
one whose provider authorization is overdue at the demo's "now" (催办 and 委托 can be tried on it), and one 孝感
returned for completion (补正 can be tried on it)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app import clock
from app.calendar.services import active_calendar
from app.catalog.models import Resource
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.org.models import Department, User
from app.sharing.models import MatterMaterial, ServiceMatter, ShareApplication
from app.sharing.services import submit_application


def _user(name: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == name))


def _code(name: str) -> str:
    return db.session.scalar(db.select(Resource.code).where(Resource.name == name))


def seed_applications() -> dict[str, int]:
    """Submit two applications through the real procedure (idempotent)."""
    if db.session.scalar(db.select(ShareApplication.id).limit(1)) is not None:
        return {"applications": 0}
    today = clock.local_now().date()
    period = {"valid_from": today.isoformat(), "valid_to": (today + timedelta(days=364)).isoformat()}
    submit_application(
        _user("rst_applicant"),
        {
            "purpose": "社会保险待遇资格认证",
            "reason": "核验参保人婚姻状况及所在单位登记状态，防止冒领",
            "business_system": "湖北省社会保险信息系统",
            "scope": "全省养老保险待遇领取人员",
            "resources": [{"code": _code("婚姻登记信息")}, {"code": _code("法人单位基础信息")}],
            **period,
        },
    )
    city = submit_application(
        _user("wh_applicant"),
        {
            "purpose": "就业补贴申领人身份核验",
            "reason": "落实就业补贴“免申即享”，核验申领人户籍与身份信息",
            "business_system": "武汉市就业服务平台",
            "scope": "武汉市就业补贴申领人",
            "resources": [{"code": _code("人口基础信息")}],
            **period,
        },
    )
    check = db.session.scalar(
        db.select(HumanTask).where(HumanTask.business_key == city.number, HumanTask.status == TaskStatus.OPEN)
    )
    runtime.complete_task(check.id, _user("wh_operator"), {"accepted": True})
    return {"applications": 2}


OVERDUE_PURPOSE = "低保对象婚姻状况复核"


def seed_overdue_case() -> dict[str, int]:
    """An application submitted 15 working days before the demo's "now" and accepted the next working day: its
    provider authorization at 省民政厅 (10 working days, §20) is overdue today — the operator can 催办 it from
    在办案件, the provider clerk can hand it to a deputy (委托). Idempotent."""
    if db.session.scalar(db.select(ShareApplication.id).where(ShareApplication.purpose == OVERDUE_PURPOSE)):
        return {"overdue_cases": 0}
    calendar = active_calendar()
    today = clock.local_now().date()
    submitted = datetime.combine(calendar.sub_working_days(today, 15), time(10), tzinfo=clock.SHANGHAI)
    checked = datetime.combine(
        calendar.add_working_days(submitted.date(), 1), time(10), tzinfo=clock.SHANGHAI
    )
    with clock.simulated(submitted):
        application = submit_application(
            _user("rst_applicant"),
            {
                "purpose": OVERDUE_PURPOSE,
                "reason": "依据《社会救助暂行办法》对低保对象家庭状况定期复核",
                "business_system": "湖北省社会救助信息系统",
                "scope": "全省低保对象",
                "resources": [{"code": _code("婚姻登记信息")}],
                "valid_from": today.isoformat(),
                "valid_to": (today + timedelta(days=364)).isoformat(),
            },
        )
    with clock.simulated(checked):
        check = db.session.scalar(
            db.select(HumanTask).where(
                HumanTask.business_key == application.number, HumanTask.status == TaskStatus.OPEN
            )
        )
        runtime.complete_task(check.id, _user("hb_operator"), {"accepted": True})
    return {"overdue_cases": 1}


RETURNED_PURPOSE = "企业开办登记人员参保核验"


def seed_returned_case() -> dict[str, int]:
    """An application of 孝感市市场监管局 that 孝感's platform returned for completion (退回补正, §19): its clerk
    finds the 补正 in the inbox and can change resources, items, texts, period and files. Idempotent."""
    if db.session.scalar(db.select(ShareApplication.id).where(ShareApplication.purpose == RETURNED_PURPOSE)):
        return {"returned_cases": 0}
    today = clock.local_now().date()
    application = submit_application(
        _user("xg_applicant"),
        {
            "purpose": RETURNED_PURPOSE,
            "reason": "企业开办时核验登记人员参保状态",
            "business_system": "孝感市企业开办一网通办平台",
            "scope": "孝感市",
            "resources": [{"code": _code("社会保险参保信息")}],
            "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=364)).isoformat(),
        },
    )
    check = db.session.scalar(
        db.select(HumanTask).where(
            HumanTask.business_key == application.number, HumanTask.status == TaskStatus.OPEN
        )
    )
    runtime.complete_task(
        check.id,
        _user("xg_operator"),
        {
            "accepted": False,
            "return_for_completion": True,
            "reasons": "使用范围写明到县（市、区）；只申请核验所需的信息项（缴费基数不需要）",
        },
    )
    return {"returned_cases": 1}


# 复用核验 (#33): 事项 of two departments, the materials they ask for and the resources that could supply them.
Material = tuple[str, str | None, list[str], bool]  # name, resource that supplies it, items, still asked
MATTERS: list[tuple[str, str, str, list[Material]]] = [
    (
        "武汉市人力资源和社会保障局",
        "420100-JYBT-001",
        "就业补贴申领",
        [
            ("居民身份证", "人口基础信息", ["公民身份号码", "姓名"], True),
            ("银行账户信息", None, [], True),
        ],
    ),
    (
        "湖北省人力资源和社会保障厅",
        "420000-YLDY-002",
        "养老保险待遇领取资格认证",
        [
            ("婚姻状况证明", "婚姻登记信息", ["登记类型", "登记日期"], True),
            ("低保对象证明", "最低生活保障对象信息", ["公民身份号码", "保障类别"], False),
        ],
    ),
]


def seed_matters() -> dict[str, int]:
    """Register the demo's 事项 (idempotent)."""
    if db.session.scalar(db.select(ServiceMatter.id).limit(1)) is not None:
        return {"matters": 0}
    for department_name, code, name, materials in MATTERS:
        department = db.session.scalar(db.select(Department).where(Department.name == department_name))
        matter = ServiceMatter(code=code, name=name, department_id=department.id)
        for material, resource_name, items, required in materials:
            resource_id = (
                db.session.scalar(db.select(Resource.id).where(Resource.name == resource_name))
                if resource_name
                else None
            )
            matter.materials.append(
                MatterMaterial(
                    name=material, resource_id=resource_id, items=items or None, still_required=required
                )
            )
        db.session.add(matter)
    db.session.flush()
    return {"matters": len(MATTERS)}
