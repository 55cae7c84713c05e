"""Inbox benchmark: the inbox page and GET /api/v1/tasks with many open and finished tasks.

    .venv/bin/python bench/inbox_bench.py [--open 100000] [--finished 1000000] [--requests 40]

SQLite in a temporary file by default; set DATABASE_URL=postgresql+psycopg://… to measure PostgreSQL
(its tables are dropped and recreated). Rows are bulk-inserted (instances, human tasks, and one share
application per open case so the applicant column joins real rows); then real HTTP requests go through the
Flask test client, signed in as the province platform operator and as a provider clerk. Prints p50/p95 per
request in milliseconds against the 100 ms p95 target of issue #7.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings
from datetime import UTC, date, datetime, timedelta

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database, percentile  # noqa: E402

TARGET_P95_MS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--finished", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    import logging

    logging.disable(logging.WARNING)
    from sqlalchemy import insert, text

    from app import clock
    from app.auth.services import create_api_token
    from app.engine.models import HumanTask, ProcessInstance, ProcessVersion
    from app.extensions import db
    from app.org.models import Department, User
    from app.org.roles import Role
    from app.sharing.models import ShareApplication
    from app.studio.deploy import deploy

    url = database_url("inbox")
    app = bench_app(url, WTF_CSRF_ENABLED=False)
    rng = random.Random(2026)
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    with app.app_context():
        clock.freeze(now)
        fresh_database(url)
        assert deploy(comment="bench").problems == []
        version = db.session.scalar(
            db.select(ProcessVersion).where(ProcessVersion.process_id == "share_application")
        )
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        operator, provider = users["hb_operator"], users["gat_provider"]
        departments = [d.id for d in db.session.scalars(db.select(Department))]
        roles = [Role.PLATFORM_OPERATOR.value, Role.PROVIDER_CLERK.value, Role.APPLICANT_CLERK.value]
        user_ids = [u.id for u in users.values()]
        labels = ["规范性检查", "授权审核", "补正材料", "确认结果"]

        started = time.perf_counter()
        connection = db.session.connection()
        total = args.open + args.finished
        batch = 20_000
        for first in range(0, total, batch):
            instances, tasks, applications = [], [], []
            for n in range(first, min(total, first + batch)):
                is_open = n < args.open
                key = f"SQ-B-{n:07d}"
                received = now - timedelta(minutes=rng.randint(0, 60 * 24 * 400))
                instances.append(
                    {
                        "id": n + 1,
                        "process_version_id": version.id,
                        "process_id": "share_application",
                        "business_key": key,
                        "status": "running" if is_open else "completed",
                        "state": b"",
                        "serializer_version": "bench",
                        "lock_version": 1,
                        "started_at": received,
                        "updated_at": received,
                        "completed_at": None if is_open else received + timedelta(days=3),
                    }
                )
                due = received + timedelta(days=rng.randint(1, 14))
                row = {
                    "id": f"00000000-0000-4000-8000-{n:012d}",
                    "instance_id": n + 1,
                    "business_key": key,
                    "process_id": "share_application",
                    "spec_name": "check",
                    "label": rng.choice(labels),
                    "candidate_role": rng.choice(roles),
                    "candidate_department_id": rng.choice(departments),
                    "assignee_id": None,
                    "status": "open",
                    "created_at": received,
                    "due_at": due,
                    "due_date": due.date(),
                    "deadline_days": 5,
                    "deadline_provisional": False,
                    "completed_at": None,
                    "completed_by_id": None,
                }
                if is_open:
                    share = rng.random()
                    if share < 0.2:  # the province platform's queue
                        row |= {"candidate_role": roles[0], "candidate_department_id": operator.department_id}
                    elif share < 0.22:  # claimed by the operator
                        row |= {"candidate_role": roles[0], "assignee_id": operator.id}
                    elif share < 0.27:  # the public security department's queue
                        row |= {"candidate_role": roles[1], "candidate_department_id": provider.department_id}
                    applications.append(
                        {
                            "id": n + 1,
                            "number": key,
                            "applicant_department_id": rng.choice(departments),
                            "applicant_user_id": users["rst_applicant"].id,
                            "purpose": "基准测试",
                            "reason": "基准测试",
                            "business_system": "基准系统",
                            "scope": "本部门",
                            "valid_from": date(2026, 1, 1),
                            "valid_to": date(2027, 12, 31),
                            "status": "in_review",
                            "submitted_at": received,
                        }
                    )
                else:
                    done_by = operator.id if rng.random() < 0.1 else rng.choice(user_ids)
                    row |= {
                        "status": "completed",
                        "completed_at": received + timedelta(days=2),
                        "completed_by_id": done_by,
                        "assignee_id": done_by,
                    }
                tasks.append(row)
            connection.execute(insert(ProcessInstance), instances)
            connection.execute(insert(HumanTask), tasks)
            if applications:
                connection.execute(insert(ShareApplication), applications)
        db.session.commit()
        if url.startswith("postgresql"):
            db.session.execute(
                text("SELECT setval('process_instance_id_seq', (SELECT max(id) FROM process_instance))")
            )
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as raw:
                raw.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        load = time.perf_counter() - started
        tokens = {u.username: create_api_token(u, "bench")[1] for u in (operator, provider)}
        db.session.commit()
    clock.freeze(now)

    print(f"database      {url.split('://')[0]}")
    print(f"loaded        {args.open:,} open + {args.finished:,} finished tasks in {load:.0f} s")
    requests = {
        "hb_operator": [
            "/tasks?scope=mine",
            "/tasks?scope=queue",
            "/tasks?scope=queue&page=500",
            "/tasks?scope=queue&overdue=1",
            "/tasks?scope=queue&q=SQ-B-00012",
            "/tasks?scope=queue&process=share_application&step=授权",
            "/tasks?scope=done",
            "/api/v1/tasks?scope=mine",
            "/api/v1/tasks?scope=queue",
            "/api/v1/tasks?scope=queue&offset=10000",
        ],
        "gat_provider": ["/tasks?scope=queue", "/api/v1/tasks?scope=queue"],
    }
    worst = 0.0
    print(f"{'user':<13} {'request':<52} {'p50 ms':>7} {'p95 ms':>7}")
    for username, paths in requests.items():
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": "govshare2026"})
        assert response.status_code == 302, response.status_code
        headers = {"Authorization": f"Bearer {tokens[username]}"}
        for path in paths:
            timings = []
            for _ in range(args.requests + 3):
                t0 = time.perf_counter()
                response = client.get(path, headers=headers if path.startswith("/api") else None)
                timings.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            timings = timings[3:]  # the first requests warm caches
            p95 = percentile(timings, 0.95)
            worst = max(worst, p95)
            print(f"{username:<13} {path:<52} {statistics.median(timings):7.1f} {p95:7.1f}")
    verdict = "met" if worst < TARGET_P95_MS else "MISSED"
    print(f"worst p95     {worst:.1f} ms (target < {TARGET_P95_MS} ms: {verdict})")


if __name__ == "__main__":
    main()
