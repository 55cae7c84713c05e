"""Decision-table benchmark: the route decision of a resource (bpmn/share_route.dmn, 办法§12/§18/§20/§21) as
the business rule task of resource_authorization.bpmn evaluates it.

    .venv/bin/python bench/decision_bench.py [--decisions 20000]

Prints microseconds per decision (mean, p95) over inputs cycling through every row of the table.
Target: under 500 µs per resource (#13).
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database, percentile  # noqa: E402

TARGET_US = 500
INPUTS = [
    {
        "provider_level": "national",
        "resource_class": "department",
        "share_type": "conditional",
        "controlled_parameters": False,
    },
    {
        "provider_level": "province",
        "resource_class": "base",
        "share_type": "unconditional",
        "controlled_parameters": False,
    },
    {
        "provider_level": "city",
        "resource_class": "topic",
        "share_type": "unconditional",
        "controlled_parameters": True,
    },
    {
        "provider_level": "province",
        "resource_class": "department",
        "share_type": "conditional",
        "controlled_parameters": False,
    },
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    args = parser.parse_args()
    url = database_url("decision_bench")
    app = bench_app(url)
    with app.app_context():
        from app.engine.registry import latest_version
        from app.studio.decisions import decide, decision_engine
        from app.studio.deploy import deploy

        fresh_database(url)
        if latest_version("resource_authorization", required=False) is None:
            deploy(comment="bench")
        engine = decision_engine("resource_authorization", "share_route")
        routes = {decide(engine, dict(data))["route"] for data in INPUTS}
        timings = []
        for data in itertools.islice(itertools.cycle(INPUTS), args.decisions):
            started = time.perf_counter()
            decide(engine, dict(data))
            timings.append((time.perf_counter() - started) * 1e6)
    mean = sum(timings) / len(timings)
    print(f"decisions: {len(timings)}, routes seen: {sorted(routes)}")
    print(
        f"per decision: mean {mean:.1f} µs, p95 {percentile(timings, 0.95):.1f} µs (target < {TARGET_US} µs)"
    )


if __name__ == "__main__":
    main()
