"""The §26 data call figures on a generated province (#30): one year by resource (the dashboard's top 15, the
data calls page's first 100 groups), read from the raw calls and then with closed months rolled up.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/province .venv/bin/python bench/calls_bench.py

Run bench/province.py on that database first. Prints p50/p95 of 5 runs each, and the rollup's own time.
Targets (#30, PostgreSQL, scale 1): §26 dashboard ≤ 1 s, data calls page ≤ 500 ms.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings
from datetime import date

warnings.simplefilter("ignore")

from common import bench_app, percentile  # noqa: E402


def _timed(call, runs: int = 5) -> tuple[float, float]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), percentile(took, 0.95)


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a database made by bench/province.py")
    app = bench_app(url)
    with app.app_context():
        from sqlalchemy import delete, func, select

        from app import clock
        from app.extensions import db
        from app.supervision import calls
        from app.supervision.models import DataCall, DataCallMonth, DataCallRollup

        clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
        total = db.session.scalar(select(func.count()).select_from(DataCall))
        start, end = date(2025, 12, 1), date(2026, 11, 30)
        print(f"data calls: {total:,}; period {start} – {end}")
        db.session.execute(delete(DataCallMonth))
        db.session.execute(delete(DataCallRollup))
        db.session.commit()

        def top15():
            calls.call_figures(start, end, by="resource", limit=15)

        def page():
            calls.call_figures(start, end, by="authorization", limit=101)

        raw = {"dashboard top 15": _timed(top15), "calls page 1": _timed(page)}
        started = time.perf_counter()
        months = calls.rollup_months(limit=120)
        db.session.commit()
        rollup_s = time.perf_counter() - started
        rolled = {"dashboard top 15": _timed(top15), "calls page 1": _timed(page)}
        print(f"rollup of {len(months)} months: {rollup_s:.1f} s")
        for name in raw:
            (p50a, p95a), (p50b, p95b) = raw[name], rolled[name]
            print(
                f"{name:<18} raw p50/p95 {p50a:8.1f} / {p95a:8.1f} ms   rolled up {p50b:8.1f} / {p95b:8.1f} ms"
            )


if __name__ == "__main__":
    main()
