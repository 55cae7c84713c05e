"""`govshare supervision stats | monthly | freshness | step-days | calls-upkeep`: the §26 figures for a period
(a table or the API's JSON), monthly reports, one run of the §17 freshness watch, the upkeep of stored figures
and of data calls."""

from __future__ import annotations

import json
import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from app import clock
from app.api.supervision import StatisticsOut
from app.extensions import db
from app.supervision import reports, stats
from app.supervision.freshness import watch
from app.supervision.partitions import keep_calls
from app.supervision.reports import generate_monthly, month_bounds

supervision = click.Group("supervision", help="Supervision (§26–§31): statistics and monthly reports.")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("应为 YYYY-MM-DD") from None


@supervision.command("stats")
@click.option("--from", "start", required=True, help="First day (Beijing date), YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day (Beijing date), YYYY-MM-DD.")
@click.option("--platform", type=int, default=None, help="Platform id.")
@click.option("--department", type=int, default=None, help="Department id.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_appcontext
def stats_command(start: str, end: str, platform: int | None, department: int | None, as_json: bool):
    """On-time rates and working days taken per step, counts, overdue items, objections and disputes."""
    first, last = _date(start), _date(end)
    if last < first:
        click.echo("错误：结束日期不能早于开始日期", err=True)
        sys.exit(1)
    figures = stats.compute(stats.Scope(first, last, platform, department))
    if as_json:
        click.echo(json.dumps(StatisticsOut().dump(figures), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{first} — {last}：收到申请 {figures.received}，受理 {figures.accepted}，不予受理 {figures.not_accepted}"
    )
    click.echo(" | ".join(reports.STEP_HEADERS))
    for row in reports.step_rows(list(figures.steps.values())):
        click.echo(" | ".join(str(v) for v in row))
    click.echo(f"当前超期事项：{figures.overdue_count}")


@supervision.command("monthly")
@click.argument("period")
@click.option("--replace", is_flag=True, help="Regenerate a report that was already kept.")
@with_appcontext
def monthly_command(period: str, replace: bool):
    """Generate and keep the report of PERIOD (YYYY-MM)."""
    try:
        month_bounds(period)
    except ValueError:
        raise click.BadParameter("应为 YYYY-MM") from None
    item = generate_monthly(period, replace=replace)
    click.echo(f"{item.period}：已保存（生成于 {item.generated_at.isoformat()}）")


@supervision.command("freshness")
@with_appcontext
def freshness_command():
    """One run of the §17 freshness watch (the scheduler runs it hourly): data older than its catalog update
    cycle opens one quality issue for its provider."""
    opened = watch(clock.now())
    db.session.commit()
    click.echo(f"数据时效检查：新开数据质量问题 {opened} 个")


@supervision.command("step-days")
@click.option("--batch", default=5000, show_default=True, help="Steps stored per transaction.")
@with_appcontext
def step_days_command(batch: int):
    """Store the §26 figures of every finished step that has none or was counted on an older calendar (after
    upgrading, or after a calendar import replaced a provisional year); the scheduler does this hourly."""
    total = 0
    while stored := stats.keep_step_figures(batch):
        db.session.commit()  # one transaction per batch: a long backfill holds no lock for long
        total += stored
    click.echo(f"stored the figures of {total} steps")


@supervision.command("calls-upkeep")
@click.option(
    "--retention",
    type=click.IntRange(min=0),
    default=None,
    help="Months of raw calls to keep (default: DATA_CALL_RETENTION_MONTHS; 0 keeps every call).",
)
@with_appcontext
def calls_upkeep_command(retention: int | None):
    """What the nightly calls-rollup job does: roll up closed months, make the coming months' partitions
    (PostgreSQL), drop raw calls past the retention once their month is rolled up."""
    months = current_app.config["DATA_CALL_RETENTION_MONTHS"] if retention is None else retention
    done = keep_calls(months)
    click.echo(
        f"汇总月份 {len(done.rolled_up)} 个；新建分区 {len(done.partitions_made)} 个；"
        f"清除原始调用记录的月份 {len(done.expired)} 个"
        + (f"（{', '.join(m.strftime('%Y-%m') for m in done.expired)}）" if done.expired else "")
    )
