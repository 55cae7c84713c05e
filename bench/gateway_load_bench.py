"""The gateway check under load on a generated province (#30): `POST /api/v1/authorizations/check` over HTTP
to gunicorn with 2 workers, recording on, clients on the same cores as the server and the database.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/province \
        .venv/bin/python bench/gateway_load_bench.py [--seconds 20] [--clients 6] [--workers 2]

Run bench/province.py on that database first. BENCH_APP_ROOT=<another checkout> serves that checkout's app
instead (the figures before a change, on the same data). The checks are drawn from the province's own authorizations
(caller, business system, resource, granted items): half permits; denials a quarter each of an item not granted
and of another business system (§14), and a caller holding nothing on the resource. Prints checks/s and
p50/p95 per outcome next to the targets (#30: ≥ 400 checks/s, p95 ≤ 15 ms). The calls it records stay in the
database (source "gateway").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
import urllib.request
import warnings

warnings.simplefilter("ignore")

from common import ROOT, bench_app, gunicorn, percentile  # noqa: E402

TARGETS = {"checks_per_second": 400, "p95_ms": 15}


def _checks(url: str, count: int, rng: random.Random) -> tuple[str, list[dict]]:
    """A gateway credential and `count` check bodies from the province's authorizations."""
    app = bench_app(url)
    with app.app_context():
        from sqlalchemy import func, select

        from app.auth.services import create_gateway_credential
        from app.catalog.models import Resource
        from app.extensions import db
        from app.org.models import Department
        from app.sharing.models import Authorization

        rows = db.session.execute(
            select(Department.uscc, Authorization.business_system, Resource.code, Authorization.items)
            .join(Department, Department.id == Authorization.applicant_department_id)
            .join(Resource, Resource.id == Authorization.resource_id)
            .where(Authorization.revoked_at.is_(None), Authorization.valid_to >= func.current_date())
            .order_by(func.random())
            .limit(5000)
        ).all()
        strangers = list(db.session.scalars(select(Department.uscc).order_by(func.random()).limit(200)))
        _credential, token = create_gateway_credential(f"load-bench-{os.getpid()}", None)
        db.session.commit()
    if not rows:
        raise SystemExit("no valid authorizations: run bench/province.py first")
    bodies = []
    for n in range(count):
        uscc, system, code, items = rng.choice(rows)
        granted = [i for i in (items or []) if i != "全部"][:3]
        body = {"caller_uscc": uscc, "business_system": system, "resource_code": code, "items": granted}
        kind = n % 4
        if kind == 1:
            body["items"] = [*granted, "未授权的数据项"]
        elif kind == 2:
            body["business_system"] = "未经授权的业务系统"
        elif kind == 3 and n % 8 == 3:
            body["caller_uscc"] = rng.choice(strangers)
        bodies.append(body)
    return token, bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (>1: gthread)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a database made by bench/province.py")
    token, bodies = _checks(url, 20000, random.Random(7))
    env = dict(
        os.environ,
        DATABASE_URL=url,
        GOVSHARE_ENV="development",
        ARGON2_FAST="1",
        AUDIT_KEYRING_FILE=str(
            ROOT / "instance" / "audit-keyring.json"
        ),  # the same keys for another checkout
    )
    server, base = gunicorn(
        "app:create_app()",
        workers=args.workers,
        env=env,
        cwd=os.environ.get("BENCH_APP_ROOT", ROOT),  # another checkout's app (a "before" run)
        options=("--threads", str(args.threads)),
    )
    try:
        timings: dict[str, list[float]] = {}
        lock = threading.Lock()
        cursor = iter(range(10**9))
        stop_at = time.perf_counter() + args.seconds

        def work() -> None:
            mine: dict[str, list[float]] = {}
            while time.perf_counter() < stop_at:
                body = bodies[next(cursor) % len(bodies)]
                request = urllib.request.Request(
                    base + "/api/v1/authorizations/check",
                    data=json.dumps(body).encode(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = json.load(response)
                took = (time.perf_counter() - started) * 1000
                mine.setdefault(answer["decision"], []).append(took)
            with lock:
                for kind, values in mine.items():
                    timings.setdefault(kind, []).extend(values)

        # warm-up: each worker's first requests load the app
        for body in bodies[:20]:
            urllib.request.urlopen(
                urllib.request.Request(
                    base + "/api/v1/authorizations/check",
                    data=json.dumps(body).encode(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
            ).read()
        stop_at = time.perf_counter() + args.seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=work) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    total = sum(len(v) for v in timings.values())
    every = [t for v in timings.values() for t in v]
    print(
        f"gunicorn workers {args.workers} × threads {args.threads}, clients {args.clients}, {elapsed:.1f} s, recording on: "
        f"{total / elapsed:.0f} checks/s (target ≥ {TARGETS['checks_per_second']})"
    )
    print(
        f"{'all':<7} n={total:<6} p50 {percentile(every, 0.5):6.2f} ms  p95 {percentile(every, 0.95):6.2f} ms"
    )
    for kind, values in sorted(timings.items()):
        print(
            f"{kind:<7} n={len(values):<6} p50 {percentile(values, 0.5):6.2f} ms  p95 {percentile(values, 0.95):6.2f} ms"
            f"  (target p95 ≤ {TARGETS['p95_ms']} ms)"
        )


if __name__ == "__main__":
    main()
