"""复用核验 benchmark (#33): POST /api/v1/reuse/check through the whole HTTP stack (in-process WSGI client) over a
register of many 事项 and materials, with the calling department holding many authorizations — "answered as fast
as the gateway check" (bench/gateway_bench.py's target, p95 ≤ 5 ms).

    .venv/bin/python bench/reuse_bench.py [--matters 5000] [--authorizations 1000] [--checks 2000]

SQLite in a temporary file by default; DATABASE_URL=postgresql+psycopg://… measures PostgreSQL.
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
    parser.add_argument("--matters", type=int, default=5000)
    parser.add_argument("--authorizations", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args()
    url = database_url("reuse_bench")
    app = bench_app(url)
    with app.app_context():
        from app import clock
        from app.auth.services import create_api_token
        from app.catalog.models import Resource
        from app.demo import seed_content
        from app.extensions import db
        from app.org.models import Department, User
        from app.sharing.models import (
            ApplicationLine,
            Authorization,
            MatterMaterial,
            ServiceMatter,
            ShareApplication,
        )

        fresh_database(url)
        seed_content(applications=False)
        caller = db.session.scalar(db.select(User).where(User.username == "rst_applicant"))
        resources = [r for r in db.session.scalars(db.select(Resource)) if r.current_version is not None]
        departments = list(db.session.scalars(db.select(Department.id)))
        now = clock.now()
        application = ShareApplication(
            number="SQ-BENCH-000002", applicant_department_id=caller.department_id, applicant_user_id=caller.id,
            purpose="基准测试", reason="基准测试", business_system="系统", scope="全省",
            valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31), status="decided", submitted_at=now,
        )  # fmt: skip
        db.session.add(application)
        db.session.flush()
        for index in range(args.authorizations):
            resource = resources[index % len(resources)]
            line = ApplicationLine(
                application_id=application.id, resource_id=resource.id,
                resource_version_id=resource.current_version.id, items=["全部"], route="provider",
                provider_department_id=resource.provider_department_id, decision="granted",
            )  # fmt: skip
            db.session.add(line)
            db.session.flush()
            db.session.add(
                Authorization(
                    line_id=line.id, applicant_department_id=caller.department_id, resource_id=resource.id,
                    items=["全部"], purpose="基准测试", business_system="系统", scope="全省",
                    valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31), decided_at=now,
                )
            )  # fmt: skip
        for index in range(args.matters):
            matter = ServiceMatter(
                code=f"M-{index:06d}",
                name=f"事项{index}",
                department_id=departments[index % len(departments)],
            )
            for k in range(4):
                resource = resources[(index + k) % len(resources)] if k < 3 else None
                matter.materials.append(
                    MatterMaterial(
                        name=f"材料{k}", resource_id=resource.id if resource else None, still_required=True
                    )
                )
            db.session.add(matter)
        _row, token = create_api_token(caller, "bench")
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    timings: list[float] = []
    for index in range(args.checks):
        body = {"matter_code": f"M-{(index * 7919) % args.matters:06d}", "material": f"材料{index % 4}"}
        started = time.perf_counter()
        answer = client.post("/api/v1/reuse/check", json=body, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    print(
        f"事项: {args.matters} × 4 materials; authorizations held: {args.authorizations}; checks: {args.checks}"
    )
    print(
        f"reuse check p50 {percentile(timings, 0.5):.2f} ms  p95 {percentile(timings, 0.95):.2f} ms"
        f"  (target p95 ≤ {TARGET_P95_MS} ms, as the gateway check)"
    )


if __name__ == "__main__":
    main()
