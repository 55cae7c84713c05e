"""#30: data calls partitioned by month on PostgreSQL, kept ahead by the nightly job, and dropped past the
retention setting once their month is rolled up — with the §26 figures unchanged."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner
from flask.cli import ScriptInfo
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from app import clock
from app.cli import main as cli
from app.extensions import db
from app.supervision import calls
from app.supervision.models import DataCall
from app.supervision.partitions import monthly_partitions, partitioned
from tests.integration.test_operability import _job_table, _run
from tests.integration.test_supervision import RST, _report_calls


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _partition_of(call_id: int) -> str:
    return db.session.scalar(
        text("SELECT tableoid::regclass::text FROM data_call WHERE id = :id"), {"id": call_id}
    )


def test_upgrading_keeps_every_call_and_puts_each_in_its_beijing_month(app):
    """The migration copies the calls into the partitioned table (PostgreSQL), ids and sequence kept."""
    with app.app_context():
        downgrade(revision="c6d2f8a4b7e1")
        rows = [
            (1, "2026-09-15 02:00:00"),
            (2, "2026-10-31 20:00:00"),  # 2026-11-01 04:00 in Beijing: a November call
            (3, "2019-01-01 00:00:00"),
        ]
        for call_id, moment in rows:
            db.session.execute(
                text(
                    "INSERT INTO data_call (id, caller_uscc, resource_code, called_at, success, source, received_at,"
                    " call_id) VALUES (:id, :uscc, 'R1', :at, true, 'api', :at, :call)"
                ),
                {"id": call_id, "uscc": RST, "at": moment, "call": f"c{call_id}"},
            )
        if _on_postgresql():
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('data_call', 'id'), 3)"))
        db.session.commit()
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(DataCall)) == 3
        if _on_postgresql():
            assert partitioned()
            assert [_partition_of(n) for n in (1, 2, 3)] == [
                "data_call_p202609",
                "data_call_p202611",
                "data_call_p201901",
            ]
            months = monthly_partitions()
            assert months[0] == date(2019, 1, 1) and len(months) > 90  # every month since, and three ahead
        added = DataCall(
            caller_uscc=RST,
            resource_code="R1",
            called_at=clock.parse_moment("2026-09-16T10:00:00+08:00"),
            success=True,
            source="api",
            call_id="c4",
        )
        db.session.add(added)
        db.session.flush()
        assert added.id == 4
        db.session.rollback()


def test_the_nightly_job_keeps_partitions_ahead_and_drops_calls_past_the_retention(app, client, demo_content):
    """From the scheduler's job table: in August the job makes August–November; in December, with a two-month
    retention, the August and September calls are dropped (their partitions, on PostgreSQL) after their months
    were rolled up, October's and November's stay, and every figure is what the calls gave."""
    app.config["DATA_CALL_RETENTION_MONTHS"] = 2
    clock.freeze(clock.parse_moment("2026-08-10T03:00:00+08:00"))
    _run(_job_table(app)["calls-rollup"])
    with app.app_context():
        if _on_postgresql():
            assert {date(2026, m, 1) for m in (8, 9, 10, 11)} <= set(monthly_partitions())
    clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
    with app.app_context():
        code = db.session.scalar(text("SELECT code FROM resource WHERE name = '婚姻登记信息'"))
    _report_calls(
        client,
        app,
        [
            {
                "caller_uscc": RST,
                "resource_code": code,
                "service": "服务",
                "called_at": f"2026-{month:02d}-{day:02d}T09:00:00+08:00",
                "success": day != 20,
            }
            for month in (8, 9, 10, 11)
            for day in (3, 20)
        ],
    )

    def figures():
        with app.app_context():
            return [
                (f.key, f.calls, f.failures)
                for f in calls.call_figures(date(2026, 8, 1), date(2026, 11, 30), by="resource")
            ]

    before = figures()
    assert before == [(code, 8, 4)]
    _run(_job_table(app)["calls-rollup"])
    with app.app_context():
        left = db.session.scalars(select(DataCall.called_at).order_by(DataCall.called_at)).all()
        assert [m.astimezone(clock.SHANGHAI).month for m in left] == [10, 10, 11, 11]
        if _on_postgresql():
            months = set(monthly_partitions())
            assert date(2026, 8, 1) not in months and date(2026, 9, 1) not in months
            assert {date(2026, 10, 1), date(2027, 3, 1)} <= months  # kept; and three months ahead
    assert figures() == before  # the dropped months from their rollup


def test_retention_never_loses_a_figure_even_for_a_call_reported_late(app, client, demo_content):
    """Through the CLI twin: 0 keeps every call; past the retention a month's calls go once it is rolled up,
    and a call reported late for it counts at once and is folded into the rollup by the next run."""
    clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
    with app.app_context():
        code = db.session.scalar(text("SELECT code FROM resource WHERE name = '婚姻登记信息'"))
    call = {"caller_uscc": RST, "resource_code": code, "success": True}
    _report_calls(client, app, [call | {"called_at": "2026-07-03T09:00:00+08:00"}])

    def upkeep(months: int) -> str:
        result = CliRunner().invoke(
            cli,
            ["supervision", "calls-upkeep", "--retention", str(months)],
            obj=ScriptInfo(create_app=lambda: app),
        )
        assert result.exit_code == 0, result.output
        return result.output

    def raw_calls_and_july() -> tuple[int, list[int]]:
        with app.app_context():
            return (
                db.session.scalar(select(func.count()).select_from(DataCall)),
                [f.calls for f in calls.call_figures(date(2026, 7, 1), date(2026, 7, 31), by="resource")],
            )

    assert "清除原始调用记录的月份 0 个" in upkeep(0)
    assert raw_calls_and_july() == (1, [1])
    assert "清除原始调用记录的月份 1 个（2026-07）" in upkeep(3)
    assert raw_calls_and_july() == (0, [1])
    _report_calls(client, app, [call | {"called_at": "2026-07-04T09:00:00+08:00"}])  # late, for July
    assert raw_calls_and_july() == (1, [2])
    upkeep(3)
    assert raw_calls_and_july() == (0, [2])


def test_calls_of_months_without_a_partition_move_into_their_own_at_the_next_run(
    app, client, demo_content, monkeypatch
):
    """A history reported at once for months no partition was made for (here March and April 2025) waits in
    the default partition; the next run of the nightly job (from the scheduler's job table) makes those months'
    partitions and moves the calls in, figures unchanged. (Partitions are tables: made here, dropped after.)"""
    monkeypatch.setitem(app.config, "DATA_CALL_RETENTION_MONTHS", 0)  # keep every call
    clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
    with app.app_context():
        code = db.session.scalar(text("SELECT code FROM resource WHERE name = '婚姻登记信息'"))
        on_postgresql = _on_postgresql()
        _drop_partitions("data_call_p202503", "data_call_p202504")  # left by an interrupted run
    _report_calls(
        client,
        app,
        [
            {
                "caller_uscc": RST,
                "resource_code": code,
                "called_at": f"2025-0{m}-{d:02d}T23:30:00+08:00",
                "success": True,
            }
            for m in (3, 4)
            for d in (1, 30)  # 04-30 23:30 Beijing is still April (15:30 UTC)
        ],
    )

    def where() -> list[str]:
        with app.app_context():
            ids = db.session.scalars(
                select(DataCall.id)
                .where(DataCall.called_at < clock.parse_moment("2025-05-01T00:00:00+08:00"))
                .order_by(DataCall.called_at)
            ).all()
            return [_partition_of(i) for i in ids] if on_postgresql else ["data_call"] * len(ids)

    def figures():
        with app.app_context():
            return [
                (f.key, f.calls)
                for f in calls.call_figures(date(2025, 3, 1), date(2025, 4, 30), by="resource")
            ]

    before = figures()
    assert before == [(code, 4)]
    if on_postgresql:
        assert where() == ["data_call_default"] * 4
    _run(_job_table(app)["calls-rollup"])
    try:
        if on_postgresql:
            assert where() == [
                "data_call_p202503",
                "data_call_p202503",
                "data_call_p202504",
                "data_call_p202504",
            ]
            with app.app_context():
                assert {date(2025, 3, 1), date(2025, 4, 1)} <= set(monthly_partitions())
        else:
            assert where() == ["data_call"] * 4
        assert figures() == before
    finally:
        with app.app_context():
            _drop_partitions("data_call_p202503", "data_call_p202504")


def _drop_partitions(*names: str) -> None:
    if _on_postgresql():
        for name in names:
            db.session.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
        db.session.commit()
