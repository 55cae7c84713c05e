"""A province in a box (#30): years of a province's data written as the product writes it, for the benchmarks.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/province .venv/bin/python bench/province.py \
        [--scale 1.0] [--calls 12500000] [--years 5] [--seed 1]

Without DATABASE_URL a SQLite file in a temporary directory (its path is printed). The database is emptied
first. Stages, each printing its rows and time:

1. the real demo — `seed()` and `seed_content()` with its cases: the templates every later row is cloned from;
2. departments: 816 at scale 1, cloned from the demo's on the demo's platforms;
3. the catalog: 100,000 published resources at scale 1, each with its version, the template's data items
   (~10 a resource) and its search terms (the product's own bigrams);
4. data calls: 12.5M at scale 1 over the years, 80 % in the last one (the shape measured in the issue), 2 %
   failed, 1 % outside their authorization; COPY on PostgreSQL, batched inserts on SQLite.

Still to come (#30): applications, lines, authorizations, instances with their state, tasks, notifications and
audit rows cloned from the demo's real cases (audit rows sealed again in order), then `bench/pages_bench.py`.
"""

from __future__ import annotations

import argparse
import random
import time
import warnings
from datetime import UTC, datetime, timedelta

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database  # noqa: E402

SIZES = {"departments": 816, "resources": 100_000, "calls": 12_500_000}


def _stage(name: str, started: float, rows: int) -> None:
    print(f"{name:<14} {rows:>12,} rows  {time.perf_counter() - started:8.1f} s", flush=True)


def _next_id(db, table) -> int:
    from sqlalchemy import func, select

    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _insert(db, table, rows: list[dict], batch: int = 5000) -> None:
    for begin in range(0, len(rows), batch):
        db.session.execute(table.insert(), rows[begin : begin + batch])


def departments(db, wanted: int, rng: random.Random) -> list[int]:
    """Departments cloned from the demo's (not the platform operators) up to `wanted`; every department id."""
    from sqlalchemy import func, select

    from app.org.models import Department

    table = Department.__table__
    templates = [
        dict(r._mapping)
        for r in db.session.execute(select(table).where(table.c.operates_platform.is_(False)))
    ]
    have = db.session.scalar(select(func.count()).select_from(table)) or 0
    next_id, rows = _next_id(db, table), []
    for n in range(max(0, wanted - have)):
        template = rng.choice(templates)
        rows.append(
            template
            | {
                "id": next_id + n,
                "uscc": f"11420000{n:010d}"[:18],
                "name": f"{template['name']}（{n + 1}）",
                "short_name": f"{template['short_name']}{n + 1}",
            }
        )
    _insert(db, table, rows)
    return list(db.session.scalars(select(table.c.id)))


def catalog(db, wanted: int, department_ids: list[int], rng: random.Random) -> list[tuple[str, int]]:
    """Published resources cloned from the demo catalog (version, items, search terms) up to `wanted`;
    (code, provider) of every published resource."""
    from sqlalchemy import select

    from app.catalog.models import (
        DataItem,
        Resource,
        ResourceStatus,
        ResourceVersion,
        SearchTerm,
        VersionStatus,
    )
    from app.catalog.search import bigrams

    resources, versions, items = Resource.__table__, ResourceVersion.__table__, DataItem.__table__
    published = [
        dict(r._mapping)
        for r in db.session.execute(select(resources).where(resources.c.status == ResourceStatus.PUBLISHED))
    ]
    template_versions = {
        row.resource_id: dict(row._mapping)
        for row in db.session.execute(select(versions).where(versions.c.status == VersionStatus.PUBLISHED))
    }
    template_items: dict[int, list[dict]] = {}
    for row in db.session.execute(select(items)):
        template_items.setdefault(row.version_id, []).append(dict(row._mapping))
    resource_id, version_id, item_id = _next_id(db, resources), _next_id(db, versions), _next_id(db, items)
    batch_resources, batch_versions, batch_items, batch_terms = [], [], [], []

    def flush() -> None:
        _insert(db, resources, batch_resources)
        _insert(db, versions, batch_versions)
        _insert(db, items, batch_items)
        _insert(db, SearchTerm.__table__, batch_terms, batch=20000)
        db.session.commit()
        for batch in (batch_resources, batch_versions, batch_items, batch_terms):
            batch.clear()

    for n in range(max(0, wanted - len(published))):
        template = published[n % len(published)]
        version = template_versions[template["id"]]
        prefix = template["code"].split("/")[0]
        name = f"{template['name']}（{n + 1}）"
        search_text = f"{name} {template['search_text']}"
        batch_resources.append(
            template
            | {
                "id": resource_id,
                "code": f"{prefix}/{500000 + n:06d}"[:20],
                "name": name,
                "provider_department_id": rng.choice(department_ids),
                "search_text": search_text,
            }
        )
        batch_versions.append(version | {"id": version_id, "resource_id": resource_id, "name": name})
        for item in template_items.get(version["id"], []):
            batch_items.append(item | {"id": item_id, "version_id": version_id})
            item_id += 1
        batch_terms.extend({"term": t, "resource_id": resource_id} for t in bigrams(search_text))
        resource_id, version_id = resource_id + 1, version_id + 1
        if len(batch_resources) >= 2000:
            flush()
    flush()
    return [
        (code, provider)
        for code, provider in db.session.execute(
            select(resources.c.code, resources.c.provider_department_id).where(
                resources.c.status == ResourceStatus.PUBLISHED
            )
        )
    ]


def data_calls(db, url: str, wanted: int, years: int, resources, department_ids, rng: random.Random) -> None:
    """`wanted` calls over `years`, 80 % in the last year; callers and resources drawn unevenly (a few busy
    pairs, a long tail) as exchanges report them."""
    from sqlalchemy import select

    from app.org.models import Department
    from app.supervision.models import DataCall

    uscc = dict(db.session.execute(select(Department.id, Department.uscc)).all())
    end = datetime(2026, 12, 1, tzinfo=UTC)
    last_year = end - timedelta(days=365)
    first = end - timedelta(days=365 * years)
    callers = department_ids
    hot = [(rng.choice(callers), rng.choice(resources)) for _ in range(2000)]  # the busy pairs
    flags = ["no_authorization", "outside_validity", "wrong_system"]
    columns = [
        "authorization_id",
        "caller_uscc",
        "caller_department_id",
        "resource_code",
        "provider_department_id",
        "service_name",
        "called_at",
        "success",
        "duration_ms",
        "flag",
        "source",
        "received_at",
    ]

    authorizations: dict[tuple[int, str], int] = {}

    def rows():
        for _n in range(wanted):
            caller, (code, provider) = (
                rng.choice(hot) if rng.random() < 0.7 else (rng.choice(callers), rng.choice(resources))
            )
            recent = rng.random() < 0.8
            start, span = (last_year, 365 * 86400) if recent else (first, (last_year - first).total_seconds())
            at = start + timedelta(seconds=rng.random() * span)
            flag = rng.choice(flags) if rng.random() < 0.01 else None
            authorization = authorizations.setdefault((caller, code), len(authorizations) + 1)
            yield (
                None if flag == "no_authorization" else authorization,  # one per caller and resource
                uscc[caller],
                caller,
                code,
                provider,
                f"接口{len(code) % 3}",  # a resource's few services
                at,
                rng.random() > 0.02,
                rng.randint(5, 800),
                flag,
                "api",
                at + timedelta(seconds=30),
            )

    if url.startswith("postgresql"):
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY data_call ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row))
        db.session.commit()
        return
    batch = []
    for row in rows():
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == 10000:
            db.session.execute(DataCall.__table__.insert(), batch)
            db.session.commit()
            batch.clear()
    if batch:
        db.session.execute(DataCall.__table__.insert(), batch)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the sizes the issue measured")
    parser.add_argument("--calls", type=int, default=None, help="data calls (default 12.5M × scale)")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url = database_url("province")
    print(f"database: {url}")
    app = bench_app(url)
    with app.app_context():
        from sqlalchemy import text

        from app import clock
        from app.demo import seed_content
        from app.extensions import db

        started = time.perf_counter()
        fresh_database(url)
        clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
        seed_content()
        db.session.commit()
        clock.unfreeze()
        _stage("demo", started, 0)
        started = time.perf_counter()
        department_ids = departments(db, max(20, round(SIZES["departments"] * args.scale)), rng)
        db.session.commit()
        _stage("departments", started, len(department_ids))
        started = time.perf_counter()
        resources = catalog(db, max(32, round(SIZES["resources"] * args.scale)), department_ids, rng)
        _stage("resources", started, len(resources))
        started = time.perf_counter()
        wanted = args.calls if args.calls is not None else round(SIZES["calls"] * args.scale)
        data_calls(db, url, wanted, args.years, resources, department_ids, rng)
        _stage("data calls", started, wanted)
        if url.startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()


if __name__ == "__main__":
    main()
