"""Demo supervision data: a few weeks of finished cases (on time and late, across real working days), data calls
with some outside their authorization, a probed service, a rectification and last month's report."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app import clock
from app.calendar.services import active_calendar
from app.catalog.models import DataService, Resource
from app.clock import SHANGHAI
from app.engine import runtime
from app.engine.models import HumanTask, TaskStatus
from app.extensions import db
from app.org.models import User
from app.sharing.models import Authorization
from app.sharing.services import submit_application
from app.supervision import calls
from app.supervision.models import DataCall
from app.supervision.rectification import order_rectification
from app.supervision.reports import generate_last_month


def _user(name: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == name))


def _open(number: str, step: str) -> HumanTask:
    return db.session.scalar(
        db.select(HumanTask).where(
            HumanTask.business_key == number, HumanTask.spec_name == step, HumanTask.status == TaskStatus.OPEN
        )
    )


def _at(day, hour: int) -> datetime:
    moment = datetime.combine(day, time(hour), SHANGHAI)
    clock.freeze(moment)
    return moment


def seed_supervision() -> dict[str, int]:
    """Idempotent: does nothing once data calls exist."""
    if db.session.scalar(db.select(DataCall.id).limit(1)) is not None:
        return {"cases": 0}
    was_frozen, real_now = clock.is_frozen(), clock.now()
    cal = active_calendar()
    today = clock.local_now().date()
    marriage = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    legal = db.session.scalar(db.select(Resource.code).where(Resource.name == "法人单位基础信息"))
    # (working days ago submitted, check after N working days, provider answers after N working days)
    plans = [(30, 1, 4), (27, 2, 9), (24, 1, 12), (20, 4, 6), (16, 1, 10), (12, 2, 3)]
    cases = 0
    try:
        for ago, check_after, answer_after in plans:
            submitted = cal.sub_working_days(today, ago)
            _at(submitted, 10)
            number = submit_application(
                _user("rst_applicant"),
                {
                    "purpose": "社会救助家庭经济状况核对",
                    "reason": "核验申请人婚姻与企业登记状况",
                    "business_system": "湖北省社会救助信息系统",
                    "scope": "全省低保申请人",
                    "valid_from": submitted.isoformat(),
                    "valid_to": (submitted + timedelta(days=364)).isoformat(),
                    "resources": [{"code": marriage}, {"code": legal}],
                },
            ).number
            checked = cal.add_working_days(submitted, check_after)
            _at(checked, 15)
            runtime.complete_task(
                _open(number, "normative_check").id, _user("hb_operator"), {"accepted": True}
            )
            _at(cal.add_working_days(checked, 1), 11)
            runtime.complete_task(
                _open(number, "direct_authorization").id, _user("hb_operator"), {"granted": True}
            )
            answered = cal.add_working_days(checked, answer_after)
            if answered < today:
                _at(answered, 16)
                runtime.complete_task(
                    _open(number, "provider_authorization").id, _user("mz_clerk"), {"granted": True}
                )
            cases += 1
    finally:
        if was_frozen:
            clock.freeze(real_now)
        else:
            clock.unfreeze()

    authorizations = db.session.scalars(db.select(Authorization).order_by(Authorization.id)).all()
    rst = _user("rst_applicant").department.uscc
    records = []
    for index in range(120):
        authorization = authorizations[index % len(authorizations)]
        when = datetime.combine(today - timedelta(days=index % 20), time(9 + index % 8), SHANGHAI)
        records.append(
            {
                "authorization_id": authorization.id,
                "caller_uscc": rst,
                "resource_code": authorization.resource.code,
                "service": None,
                "called_at": when,
                "success": index % 17 != 0,
                "duration_ms": 40 + index % 60,
            }
        )
    records.append(
        {
            "authorization_id": None,
            "caller_uscc": _user("wh_applicant").department.uscc,
            "resource_code": marriage,
            "service": None,
            "called_at": clock.now() - timedelta(days=2),
            "success": True,
            "duration_ms": 35,
        }
    )
    calls.ingest(_user("hb_operator"), records, source="api")

    service = db.session.scalar(db.select(DataService).order_by(DataService.id).limit(1))
    if service is not None and not service.health_url:
        service.health_url = "http://127.0.0.1:5000/healthz"  # the demo server itself, probed every 5 minutes
        db.session.commit()
    order_rectification(
        _user("leader"),
        _user("mz_clerk").department,
        "late_data",
        "提供部门授权多次超过10个工作日（办法§20），请明确专人办理并建立到期提醒",
        10,
    )
    generate_last_month()
    return {"cases": cases, "calls": len(records)}
