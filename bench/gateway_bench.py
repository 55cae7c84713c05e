"""Gateway decision benchmark: POST /api/v1/authorizations/check through the whole HTTP stack (in-process WSGI
client), with 1,000 authorizations held by the calling department (办法§14, §24; #14 asks p95 ≤ 5 ms).

    .venv/bin/python bench/gateway_bench.py [--authorizations 1000] [--checks 2000] [--record]

SQLite in a temporary file by default; DATABASE_URL=postgresql+psycopg://… measures PostgreSQL. Prints p50/p95
per check for permitted and denied calls (denials scan every authorization the caller holds on the resource).
"""

from __future__ import annotations

import argparse
import time
import warnings
from datetime import date

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database, percentile  # noqa: E402

TARGET_P95_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authorizations", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--record", action="store_true", help="also record each decision as a data call")
    args = parser.parse_args()
    url = database_url("gateway_bench")
    app = bench_app(url)
    with app.app_context():
        from app import clock
        from app.auth.services import create_gateway_credential
        from app.catalog.models import Resource
        from app.demo import seed_content
        from app.extensions import db
        from app.org.models import User
        from app.sharing.models import ApplicationLine, Authorization, ShareApplication

        fresh_database(url)
        seed_content(applications=False)
        applicant = db.session.scalar(db.select(User).where(User.username == "rst_applicant"))
        resources = [r for r in db.session.scalars(db.select(Resource)) if r.current_version is not None]
        now = clock.now()
        application = ShareApplication(
            number="SQ-BENCH-000001",
            applicant_department_id=applicant.department_id,
            applicant_user_id=applicant.id,
            purpose="基准测试",
            reason="基准测试",
            business_system="湖北省社会救助信息系统",
            scope="全省",
            valid_from=date(2026, 1, 1),
            valid_to=date(2030, 12, 31),
            status="decided",
            submitted_at=now,
        )
        db.session.add(application)
        db.session.flush()
        for index in range(args.authorizations):
            resource = resources[index % len(resources)]
            items = [item.name for item in resource.current_version.items][:5] or ["全部"]
            line = ApplicationLine(
                application_id=application.id,
                resource_id=resource.id,
                resource_version_id=resource.current_version.id,
                items=items,
                route="provider",
                provider_department_id=resource.provider_department_id,
                decision="granted",
            )
            db.session.add(line)
            db.session.flush()
            db.session.add(
                Authorization(
                    line_id=line.id,
                    applicant_department_id=applicant.department_id,
                    resource_id=resource.id,
                    items=items,
                    purpose="基准测试",
                    business_system=application.business_system if index % 7 else "其他系统",
                    scope="全省",
                    valid_from=date(2026, 1, 1),
                    valid_to=date(2030, 12, 31),
                    decided_at=now,
                )
            )
        _credential, token = create_gateway_credential("bench", None)
        db.session.commit()
        uscc = applicant.department.uscc
        probes = [(r.code, [item.name for item in r.current_version.items][:2]) for r in resources]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {"permit": [], "deny": []}
    for index in range(args.checks):
        code, items = probes[index % len(probes)]
        body = {
            "caller_uscc": uscc,
            "business_system": "湖北省社会救助信息系统",
            "resource_code": code,
            "items": items if index % 2 else [*items, "未授权的数据项"],
            "record": args.record,
        }
        started = time.perf_counter()
        answer = client.post("/api/v1/authorizations/check", json=body, headers=headers).get_json()
        elapsed = (time.perf_counter() - started) * 1000
        timings["permit" if answer["decision"] == "permit" else "deny"].append(elapsed)
    print(
        f"authorizations held by the caller: {args.authorizations} over {len(probes)} resources; "
        f"checks: {args.checks}; recorded as calls: {args.record}"
    )
    for kind, values in timings.items():
        if values:
            print(
                f"{kind:<7} n={len(values):<5} p50 {percentile(values, 0.5):.2f} ms  p95 {percentile(values, 0.95):.2f} ms"
                f"  (target p95 ≤ {TARGET_P95_MS} ms)"
            )


if __name__ == "__main__":
    main()
