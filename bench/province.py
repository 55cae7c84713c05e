"""A province in a box (#30): years of a province's data written as the product writes it, for the benchmarks.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/province .venv/bin/python bench/province.py \
        [--scale 1.0] [--calls 12500000] [--years 5] [--seed 1]

Without DATABASE_URL a SQLite file in a temporary directory (its path is printed). The database is emptied
first. Stages, each printing its rows and time:

1. the real demo — `seed()` and `seed_content()` with its cases: the templates every later row is cloned from;
2. departments: 816 at scale 1, cloned from the demo's on the demo's platforms;
3. the catalog: 100,000 published resources at scale 1, each with its version, the template's data items
   (~10 a resource) and its search terms (the product's own bigrams);
4. cases: 200,000 applications at scale 1, each a copy of one of the demo's real cases with everything the
   product wrote for it (lines, authorizations, process instances and their engine state, human tasks with their
   kept §26 figures, notifications, stored deadlines, audit rows sealed into the chain in order — `govshare
   audit verify --full` holds), under a new number, another applicant department, moved in time;
5. data calls: 12.5M at scale 1 over the years, 80 % in the last one (the shape measured in the issue), 2 %
   failed, 1 % outside any authorization; 70 % on 2,000 busy (caller, resource) pairs, the rest on a tail of ~37
   pairs a department (one authorization per caller and resource); COPY on PostgreSQL, batched inserts on
   SQLite;
6. what the scheduler would have done by then: closed months' calls rolled up (the calls-rollup job), finished
   steps' §26 figures kept (the step-days job), an audit checkpoint.

The benchmarks that read it: `pages_bench.py`, `calls_bench.py`, `gateway_bench.py --province`.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from datetime import date as date_type
from types import SimpleNamespace

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


def catalog(
    db, wanted: int, department_ids: list[int], rng: random.Random
) -> tuple[list[tuple[str, int]], dict[int, list[tuple[int, int, int]]]]:
    """Published resources cloned from the demo catalog (version, items, search terms) up to `wanted`;
    (code, provider) of every published resource, and the copies of each demo resource (id, version id,
    provider) by the demo resource's id."""
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
    copies: dict[int, list[tuple[int, int, int]]] = {}

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
        provider = rng.choice(department_ids)
        copies.setdefault(template["id"], []).append((resource_id, version_id, provider))
        search_text = f"{name} {template['search_text']}"
        batch_resources.append(
            template
            | {
                "id": resource_id,
                "code": f"{prefix}/{500000 + n:06d}"[:20],
                "name": name,
                "provider_department_id": provider,
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
    ], copies


CASE_SIZES = {"applications": 200_000}


def _shift(row: dict, delta: timedelta) -> dict:
    """Every time and date of a row moved by `delta` (a template case happening at another moment)."""
    out = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            value = value + delta
        elif isinstance(value, date_type):
            value = value + timedelta(days=delta.days)
        out[name] = value
    return out


def cases(
    db,
    wanted: int,
    department_ids: list[int],
    years: int,
    rng: random.Random,
    copies: dict[int, list[tuple[int, int, int]]],
) -> int:
    """Applications cloned from the demo's real cases up to `wanted`, each copy with everything the product
    wrote for it — its lines, authorizations, process instances (their engine state), human tasks (with their
    kept §26 figures), notifications, stored deadlines and audit rows — under new ids, a new case number, another
    applicant department and moved in time (finished cases over the years, open ones within the last weeks).
    The audit rows are sealed into the chain in order (`govshare audit verify` holds). Cloned open cases are for
    reading: their engine state still names the template's lines. How many applications were made."""
    from sqlalchemy import func, or_, select, update

    from app.audit.chain import canonical, head, head_mac
    from app.audit.keys import keyring
    from app.audit.models import AuditEvent, AuditHead
    from app.calendar.models import StoredDeadline
    from app.engine import store
    from app.engine.models import HumanTask, ProcessInstance
    from app.notices.models import Notification
    from app.sharing.models import ApplicationLine, Authorization, ShareApplication

    tables = {
        "application": ShareApplication.__table__,
        "line": ApplicationLine.__table__,
        "authorization": Authorization.__table__,
        "instance": ProcessInstance.__table__,
        "notification": Notification.__table__,
        "deadline": StoredDeadline.__table__,
        "audit": AuditEvent.__table__,
    }
    next_id = {name: _next_id(db, table) for name, table in tables.items()}
    from app.org.models import Department

    # the platforms' operators keep their own steps (checks, direct grants): only providers move
    operators = set(db.session.scalars(select(Department.id).where(Department.operates_platform.is_(True))))
    templates = []
    for application in db.session.execute(select(tables["application"])).all():
        app = dict(application._mapping)
        key = app["number"]
        lines = [
            dict(r._mapping)
            for r in db.session.execute(
                select(tables["line"]).where(tables["line"].c.application_id == app["id"])
            )
        ]
        line_ids = [line["id"] for line in lines]
        auths = [
            dict(r._mapping)
            for r in db.session.execute(
                select(tables["authorization"]).where(tables["authorization"].c.line_id.in_(line_ids))
            )
        ]
        insts = [
            dict(r._mapping)
            for r in db.session.execute(
                select(tables["instance"]).where(tables["instance"].c.business_key == key)
            )
        ]
        inst_ids = [i["id"] for i in insts]
        tasks = [
            dict(r._mapping)
            for r in db.session.execute(select(HumanTask.__table__).where(HumanTask.business_key == key))
        ]
        notes = [
            dict(r._mapping)
            for r in db.session.execute(
                select(tables["notification"]).where(tables["notification"].c.instance_id.in_(inst_ids))
            )
        ]
        deadlines = (
            [
                dict(r._mapping)
                for r in db.session.execute(
                    select(tables["deadline"]).where(
                        or_(*(tables["deadline"].c.subject_id.like(f"{i}/%") for i in inst_ids))
                    )
                )
            ]
            if inst_ids
            else []
        )
        audits = [
            dict(r._mapping)
            for r in db.session.execute(
                select(tables["audit"])
                .where(or_(tables["audit"].c.object_id == key, tables["audit"].c.instance_id.in_(inst_ids)))
                .order_by(tables["audit"].c.seq)
            )
        ]
        templates.append((app, lines, auths, insts, tasks, notes, deadlines, audits))
    if not templates:
        return 0
    ring = keyring()
    seq, previous = head(db.session())
    now = datetime(2026, 12, 1, tzinfo=UTC)
    made = len(templates)
    counter = db.session.scalar(select(func.max(tables["application"].c.id))) or 0
    batch: dict[str, list[dict]] = {name: [] for name in [*tables, "task"]}

    def flush() -> None:
        for name in (
            "application",
            "line",
            "authorization",
            "instance",
            "task",
            "notification",
            "deadline",
            "audit",
        ):
            table = HumanTask.__table__ if name == "task" else tables[name]
            _insert(db, table, batch[name])
            batch[name].clear()
        db.session.commit()

    # A province's open cases are those of the last few weeks (~3 weeks of ~110 applications a working day at
    # scale 1): the rest of the copies are of finished cases.
    open_quota, opened, turn = round(wanted * 21 / (365 * years)), 0, 0
    finished = [t for t in templates if not any(i["status"] in ("running", "waiting") for i in t[3])]
    while made < wanted:
        template = templates[turn % len(templates)]
        turn += 1
        if any(i["status"] in ("running", "waiting") for i in template[3]):
            if opened >= open_quota and finished:
                template = finished[turn % len(finished)]
            else:
                opened += 1
        app, lines, auths, insts, tasks, notes, deadlines, audits = template
        open_case = any(i["status"] in ("running", "waiting") for i in insts)
        span = 30 if open_case else 365 * years
        delta = (now - timedelta(days=rng.random() * span)) - app["submitted_at"]
        counter += 1
        key = f"SQ-{(app['submitted_at'] + delta).year}-{counter:07d}"
        applicant = rng.choice(department_ids)
        # each line asks for a copy of its demo resource (the same items), whose provider answers it: a
        # province's authorizations spread over its catalog
        resource_of = {
            line["id"]: rng.choice(copies[line["resource_id"]]) if copies.get(line["resource_id"]) else None
            for line in lines
        }
        moved = {app["applicant_department_id"]: applicant}
        for line in lines:
            provider = line["provider_department_id"]
            if resource_of[line["id"]] is not None and provider not in moved and provider not in operators:
                moved[line["provider_department_id"]] = resource_of[line["id"]][2]

        def department(value, moved=moved):
            return moved.get(value, value)

        ids = {name: {} for name in tables}
        new_app = _shift(app, delta) | {
            "id": next_id["application"],
            "number": key,
            "applicant_department_id": applicant,
        }
        ids["application"][app["id"]], next_id["application"] = (
            next_id["application"],
            next_id["application"] + 1,
        )
        batch["application"].append(new_app)
        for line in lines:
            ids["line"][line["id"]] = next_id["line"]
            copy = resource_of[line["id"]]
            resource = (
                {}
                if copy is None
                else {
                    "resource_id": copy[0],
                    "resource_version_id": copy[1],
                    "provider_department_id": department(line["provider_department_id"]),
                }
            )
            batch["line"].append(
                _shift(line, delta) | {"id": next_id["line"], "application_id": new_app["id"]} | resource
            )
            next_id["line"] += 1
        for auth in auths:
            ids["authorization"][auth["id"]] = next_id["authorization"]
            copy = resource_of[auth["line_id"]]
            batch["authorization"].append(
                _shift(auth, delta)
                | {
                    "id": next_id["authorization"],
                    "line_id": ids["line"][auth["line_id"]],
                    "applicant_department_id": applicant,
                    "resource_id": auth["resource_id"] if copy is None else copy[0],
                }
            )
            next_id["authorization"] += 1
        task_ids = {t["id"]: str(uuid.uuid4()) for t in tasks}
        for inst in insts:
            ids["instance"][inst["id"]] = next_id["instance"]
            state = inst["state"]
            if inst["status"] in ("running", "waiting"):  # an open case's engine state names its tasks
                data = store.decode_state(state)
                text = json.dumps(data, ensure_ascii=False).replace(app["number"], key)
                for old, new in task_ids.items():
                    text = text.replace(old, new)
                state = store.encode_state(json.loads(text))
            batch["instance"].append(
                _shift(inst, delta) | {"id": next_id["instance"], "business_key": key, "state": state}
            )
            next_id["instance"] += 1
        for task in tasks:
            batch["task"].append(
                _shift(task, delta)
                | {
                    "id": task_ids[task["id"]],
                    "instance_id": ids["instance"][task["instance_id"]],
                    "business_key": key,
                    "candidate_department_id": department(task["candidate_department_id"]),
                    "timer_task_id": None,
                }
            )
        for note in notes:
            batch["notification"].append(
                _shift(note, delta)
                | {
                    "id": next_id["notification"],
                    "instance_id": ids["instance"][note["instance_id"]],
                    "recipient_department_id": department(note["recipient_department_id"]),
                    "link": (note["link"] or "").replace(app["number"], key) or None,
                }
            )
            next_id["notification"] += 1
        for deadline in deadlines:
            instance, _sep, rest = deadline["subject_id"].partition("/")
            batch["deadline"].append(
                _shift(deadline, delta)
                | {
                    "id": next_id["deadline"],
                    "subject_id": f"{ids['instance'][int(instance)]}/{task_ids.get(rest, rest)}",
                }
            )
            next_id["deadline"] += 1
        for event in audits:
            row = _shift(event, delta) | {
                "id": next_id["audit"],
                "object_id": key if event["object_id"] == app["number"] else event["object_id"],
                "instance_id": ids["instance"].get(event["instance_id"], event["instance_id"]),
                "task_id": task_ids.get(event["task_id"], event["task_id"]),
                "department_id": department(event["department_id"]),
                "key_id": ring.current,
            }
            seq += 1
            row["seq"], row["prev_hash"] = seq, previous
            row["hash"] = previous = ring.mac(ring.current, canonical(SimpleNamespace(**row)))
            batch["audit"].append(row)
            next_id["audit"] += 1
        made += 1
        if len(batch["audit"]) >= 20000:
            flush()
    flush()
    db.session.execute(
        update(AuditHead.__table__)
        .where(AuditHead.__table__.c.id == 1)
        .values(seq=seq, hash=previous, key_id=ring.current, mac=head_mac(ring, ring.current, seq, previous))
    )
    db.session.commit()
    return made


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
    # Calls come from connected systems under authorizations: a few busy (caller, resource) pairs carry most of
    # them, a long tail of pairs in use carries the rest (~37 per department at scale 1), and 1 % are attempts
    # outside any authorization, from any department on any resource.
    hot = [(rng.choice(callers), rng.choice(resources)) for _ in range(2000)]
    tail = [(rng.choice(callers), rng.choice(resources)) for _ in range(len(callers) * 37)]
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
            draw = rng.random()
            flag = rng.choice(flags) if draw < 0.01 else None
            caller, (code, provider) = (
                (rng.choice(callers), rng.choice(resources))
                if flag is not None
                else rng.choice(hot)
                if draw < 0.71
                else rng.choice(tail)
            )
            recent = rng.random() < 0.8
            start, span = (last_year, 365 * 86400) if recent else (first, (last_year - first).total_seconds())
            at = start + timedelta(seconds=rng.random() * span)
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
        resources, copies = catalog(db, max(32, round(SIZES["resources"] * args.scale)), department_ids, rng)
        _stage("resources", started, len(resources))
        started = time.perf_counter()
        made = cases(
            db,
            max(1, round(CASE_SIZES["applications"] * args.scale)),
            department_ids,
            args.years,
            rng,
            copies,
        )
        _stage("applications", started, made)
        started = time.perf_counter()
        wanted = args.calls if args.calls is not None else round(SIZES["calls"] * args.scale)
        data_calls(db, url, wanted, args.years, resources, department_ids, rng)
        _stage("data calls", started, wanted)
        from app.extensions import sequences_past_ids

        sequences_past_ids(db.metadata.sorted_tables)  # rows came with their ids: the sequences go past them
        if url.startswith("postgresql"):  # then statistics
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        from app.audit.checkpoints import write_checkpoint
        from app.supervision.calls import rollup_months
        from app.supervision.partitions import make_partitions

        started = time.perf_counter()
        clock.freeze(datetime.fromisoformat("2026-12-06T03:00:00+08:00"))
        months = rollup_months(limit=12 * args.years + 1)  # as the nightly calls-rollup job would have
        db.session.commit()
        made = (
            make_partitions()
        )  # and each month's calls in its own partition (PostgreSQL), as that job keeps them
        db.session.commit()
        print(f"partitions made for {len(made)} months", flush=True)
        clock.unfreeze()
        _stage("calls rollup", started, len(months))
        write_checkpoint(db.session())  # as the scheduler keeps one: audit verify starts from it
        db.session.commit()


if __name__ == "__main__":
    main()
