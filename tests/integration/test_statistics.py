"""§26 statistics on a held-out set of finished cases across the 2026 Mid-Autumn and National Day holidays.

Every expected figure below was worked out by hand from the official 2026 arrangement (rest 09-25–09-27 and
10-01–10-07, make-up working Saturday 10-10); the comments show the working days counted.
"""

from __future__ import annotations

from datetime import date

import pytest

from app import clock
from app.calendar.deadlines import end_of_day
from app.engine import runtime
from app.engine.models import HumanTask
from app.extensions import db
from app.sharing import services
from app.sharing.models import ApplicationLine
from app.supervision.stats import Scope, compute, overdue_trend
from tests.conftest import captured_sql, user
from tests.integration.test_operability import _job_table, _run
from tests.integration.test_sharing import application_data, at, task


@pytest.fixture
def cases(content):
    # Case A: check on time, direct on time, provider late.
    at("2026-09-30T10:00:00+08:00")
    a = services.submit_application(
        user("rst_applicant"), application_data("法人单位基础信息", "婚姻登记信息")
    ).number
    at("2026-10-09T10:00:00+08:00")  # check due 10-10 (Sat, make-up); taken: 10-08, 10-09 = 2
    runtime.complete_task(task(a, "normative_check").id, user("hb_operator"), {"accepted": True})
    at("2026-10-12T09:00:00+08:00")  # direct due 10-13; taken: 10-10, 10-12 = 2
    runtime.complete_task(task(a, "direct_authorization").id, user("hb_operator"), {"granted": True})
    at("2026-10-23T10:00:00+08:00")  # provider due 10-22: late; taken 10-10, 12–16, 19–23 = 11
    runtime.complete_task(task(a, "provider_authorization").id, user("mz_clerk"), {"granted": True})

    # Case B: check late (over Mid-Autumn and National Day), provider refuses on the last day.
    at("2026-09-24T09:00:00+08:00")
    b = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    at("2026-10-08T09:00:00+08:00")  # check due 09-30; taken: 09-28, 09-29, 09-30, 10-08 = 4
    runtime.complete_task(task(b, "normative_check").id, user("hb_operator"), {"accepted": True})
    at("2026-10-21T17:00:00+08:00")  # provider due 10-21 (10 WD from 10-09, 10-10 included): on time, 10
    runtime.complete_task(
        task(b, "provider_authorization").id,
        user("mz_clerk"),
        {"granted": False, "reasons": "超出使用范围", "basis": "《婚姻登记条例》"},
    )

    # Case C: not accepted the next day.
    at("2026-10-12T10:00:00+08:00")
    c = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    at("2026-10-13T10:00:00+08:00")  # taken: 10-13 = 1
    runtime.complete_task(
        task(c, "normative_check").id, user("hb_operator"), {"accepted": False, "reasons": "用途不明确"}
    )

    # Case D: still waiting for its check, due 10-29, looked at on 10-30.
    at("2026-10-26T10:00:00+08:00")
    d = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    at("2026-10-30T10:00:00+08:00")
    return a, b, c, d


def test_the_hand_computed_figures_for_september_and_october(cases):
    stats = compute(Scope(date(2026, 9, 1), date(2026, 10, 31)))
    assert (stats.received, stats.accepted, stats.not_accepted, stats.awaiting_check) == (4, 2, 1, 1)
    assert stats.decisions == {"direct_granted": 1, "provider_granted": 1, "provider_refused": 1}

    check = stats.steps["normative_check"]
    assert (check.finished, check.on_time, sorted(check.days.elements())) == (3, 2, [1, 2, 4])
    assert check.on_time_rate == pytest.approx(2 / 3) and check.average_days == pytest.approx(7 / 3)
    assert check.p90_days == 4

    direct = stats.steps["direct_authorization"]
    assert (direct.finished, direct.on_time, sorted(direct.days.elements()), direct.p90_days) == (
        1,
        1,
        [2],
        2,
    )

    provider = stats.steps["provider_authorization"]
    assert (provider.finished, provider.on_time, sorted(provider.days.elements())) == (2, 1, [10, 11])
    assert provider.average_days == pytest.approx(10.5) and provider.p90_days == 11

    told = stats.steps["notification"]  # told automatically on the answer: 0 working days, on time
    assert (told.finished, told.on_time, sorted(told.days.elements())) == (2, 2, [0, 0])

    assert [t.business_key for t in stats.overdue_open] == [cases[3]]


def test_a_period_counts_steps_completed_inside_it(cases):
    stats = compute(Scope(date(2026, 10, 10), date(2026, 10, 20)))
    assert sorted(stats.steps["normative_check"].days.elements()) == [1]  # only case C (10-13)
    assert sorted(stats.steps["direct_authorization"].days.elements()) == [2]  # case A on 10-12
    assert stats.steps["provider_authorization"].finished == 0  # 10-21 and 10-23 are outside
    assert stats.received == 1  # case C


def test_per_department_figures(cases):
    operator = user("hb_operator").department_id
    provider = user("mz_clerk").department_id
    stats = compute(Scope(date(2026, 9, 1), date(2026, 10, 31), department_id=provider))
    assert stats.steps["normative_check"].finished == 0
    assert stats.steps["provider_authorization"].finished == 2
    rows = {
        (f.step, f.department_id): f
        for f in compute(Scope(date(2026, 9, 1), date(2026, 10, 31))).by_department
    }
    assert (
        rows[("normative_check", operator)].on_time == 2
        and rows[("provider_authorization", provider)].late == 1
    )


def test_the_same_figures_from_the_command_line(app, cases):
    import json

    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app.cli import main

    result = CliRunner().invoke(
        main,
        ["supervision", "stats", "--from", "2026-09-01", "--to", "2026-10-31", "--json"],
        obj=ScriptInfo(create_app=lambda: app),
    )
    body = json.loads(result.output)
    steps = {s["step"]: s for s in body["steps"]}
    assert body["received"] == 4 and steps["provider_authorization"]["average_days"] == 10.5
    assert steps["normative_check"]["p90_days"] == 4 and steps["normative_check"]["on_time"] == 2


def test_a_changed_rule_does_not_relabel_the_cases_that_ran_under_the_old_one(app, cases, tmp_path):
    """#28 item 8: cases finished under 10 working days keep "10个工作日" after 7 days is deployed; once cases
    of both versions are in the period, each counts by its own."""
    from app.engine.models import HumanTask, TaskStatus
    from app.extensions import db
    from app.studio.uploads import deploy_files
    from tests.integration.test_model_upload import ROOT

    scope = Scope(date(2026, 9, 1), date(2026, 12, 31))
    assert compute(scope).steps["provider_authorization"].label == "提供部门授权（§20，10个工作日）"
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    changed = tmp_path / "resource_authorization.bpmn"
    changed.write_text(
        source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)"), encoding="utf-8"
    )
    assert deploy_files([changed], user("analyst"), "改为7个工作日").problems == []
    db.session.commit()
    assert compute(scope).steps["provider_authorization"].label == "提供部门授权（§20，10个工作日）"
    at("2026-11-02T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    provider = db.session.scalar(
        db.select(HumanTask).where(HumanTask.business_key == number, HumanTask.status == TaskStatus.OPEN)
    )
    assert provider.deadline_days == 7
    runtime.complete_task(provider.id, user("mz_clerk"), {"granted": True})
    label = compute(scope).steps["provider_authorization"].label
    assert label == "提供部门授权（§20，按各案件适用的版本：10个工作日2件、7个工作日1件）"


def _figures(stats) -> dict:
    """Everything the §26 page shows of the steps, comparable."""
    return {
        (f.step, f.department_id): (
            f.finished,
            f.on_time,
            dict(f.days),
            dict(f.periods),
            f.average_days,
            f.p90_days,
        )
        for f in [*stats.steps.values(), *stats.by_department]
    }


def test_figures_from_kept_step_days_equal_the_figures_counted_afresh(app, cases):
    """#30: the working days and punctuality kept when each step ended give the very figures the raw history
    gives (the kept columns wiped, the steps are counted afresh); the step-days job keeps them again, through
    the scheduler's job table."""
    scope = Scope(date(2026, 9, 1), date(2026, 10, 31))
    kept = db.session.scalars(db.select(HumanTask).where(HumanTask.status == "completed")).all()
    assert kept and all(t.days_taken is not None and t.days_calendar for t in kept)
    from_kept = _figures(compute(scope))
    db.session.execute(db.update(HumanTask).values(days_taken=None, on_time=None, days_calendar=None))
    db.session.execute(
        db.update(ApplicationLine).values(told_days=None, told_on_time=None, told_calendar=None)
    )
    db.session.commit()
    assert _figures(compute(scope)) == from_kept  # counted afresh from the raw history: the same
    _run(_job_table(app)["step-days"])
    db.session.expire_all()
    assert all(
        t.days_taken is not None
        for t in db.session.scalars(db.select(HumanTask).where(HumanTask.status == "completed"))
    )
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(ApplicationLine)
            .where(ApplicationLine.applicant_told_at.is_not(None), ApplicationLine.told_calendar.is_(None))
        )
        == 0
    )
    assert _figures(compute(scope)) == from_kept


def _overdue_at(moment, ids=None) -> int:
    """The definition: items received, due and not yet done (nor cancelled) at `moment` — counted directly."""
    return db.session.scalar(
        db.select(db.func.count())
        .select_from(HumanTask)
        .where(
            HumanTask.created_at < moment,
            HumanTask.due_at < moment,
            (HumanTask.completed_at.is_(None) & (HumanTask.status == "open"))
            | (HumanTask.completed_at > moment),
            HumanTask.status != "cancelled",
        )
    )


def test_the_overdue_trend_is_one_query_with_the_counts_of_the_definition(app, cases):
    """#30: the twelve week ends come from one read of the items ever late, each equal to counting directly."""
    scope = Scope(date(2026, 9, 1), date(2026, 11, 20))
    with captured_sql() as statements:
        trend = overdue_trend(scope)
    assert len([s for s in statements if "human_task" in s]) == 1
    assert [count for _day, count in trend] == [_overdue_at(end_of_day(day)) for day, _count in trend]
    assert sum(count for _day, count in trend) > 0  # the late check of case B and the waiting case D show


def test_the_dashboard_counts_every_overdue_item_and_lists_the_longest_overdue(app, cases, monkeypatch):
    import app.supervision.stats as stats_module

    monkeypatch.setattr(stats_module, "OVERDUE_SHOWN", 1)
    at("2026-11-30T10:00:00+08:00")
    stats = compute(Scope(date(2026, 11, 1), date(2026, 11, 30)))
    open_overdue = db.session.scalar(
        db.select(db.func.count())
        .select_from(HumanTask)
        .where(HumanTask.status == "open", HumanTask.due_at < clock.now())
    )
    assert stats.overdue_count == open_overdue >= 2 and len(stats.overdue_open) == 1
    assert stats.overdue_open[0].due_at == min(
        t.due_at
        for t in db.session.scalars(
            db.select(HumanTask).where(HumanTask.status == "open", HumanTask.due_at < clock.now())
        )
    )
