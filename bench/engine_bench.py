"""Engine benchmark: the representative process (start, 3 user tasks, a gateway, a script, boundary timers,
service tasks) through the service layer, against bare SpiffWorkflow in memory.

    .venv/bin/python bench/engine_bench.py [--instances 500] [--workers 1,2] [--waiting 10000] [--due 1000]

SQLite in a temporary file by default; set DATABASE_URL=postgresql+psycopg://… to measure PostgreSQL
(its tables are dropped and recreated). Prints instances/s (one app process, and several processes on the
same database, as production scales), completion latency p50/p95, stored bytes per finished instance, the timer sweep time with N waiting and 0 due and with M due, and the in-memory ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from datetime import datetime
from pathlib import Path

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "bpmn" / "engine_sample.bpmn"
FORMS = ROOT / "tests" / "data" / "forms"
TARGETS = {"instances_per_s": 100, "p95_ms": 15, "idle_sweep_ms": 10, "bytes": 8 * 1024}


def lifecycles(url: str, prefix: str, count: int) -> list[float]:
    """Run `count` full lifecycles (start + 3 completions) through the service layer; completion latencies."""
    from app import clock
    from app.engine import runtime
    from app.engine.models import HumanTask, TaskStatus
    from app.extensions import db
    from app.org.models import User
    from app.transactions import unit_of_work

    app = bench_app(url)
    latencies: list[float] = []
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        applicant, operator, provider = users["rst_applicant"], users["hb_operator"], users["gat_provider"]
        data = {
            "applicant_department_id": applicant.department_id,
            "provider_department_id": provider.department_id,
        }
        clock.freeze(datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
        steps = (
            (applicant, {"purpose": "bench"}),
            (operator, {"accepted": True}),
            (provider, {"granted": True}),
        )
        for n in range(count):
            with unit_of_work():
                row = runtime.start_instance(
                    "engine_sample", business_key=f"{prefix}-{n}", data=data, actor=applicant
                )
            for actor, form in steps:
                task_id = db.session.scalar(
                    db.select(HumanTask.id).where(
                        HumanTask.instance_id == row.id, HumanTask.status == TaskStatus.OPEN
                    )
                )
                t0 = time.perf_counter()
                with unit_of_work():  # as the page or the API: the use case and its commit
                    runtime.complete_task(task_id, actor, form)
                latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def parallel_lifecycles(url: str, workers: int, per_worker: int, tag: str) -> tuple[float, list[float]]:
    """Wall time and latencies of `workers` processes each running `per_worker` lifecycles at once."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        pool.map(_warm, [url] * workers)
        started = time.perf_counter()
        results = pool.starmap(lifecycles, [(url, f"{tag}{w}", per_worker) for w in range(workers)])
        elapsed = time.perf_counter() - started
    return elapsed, [x for r in results for x in r]


def _warm(url: str) -> None:
    bench_app(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--workers", default="1,2", help="process counts to measure, e.g. 1,2")
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()

    from app import clock, scheduler
    from app.engine import runtime, store
    from app.engine.models import HumanTask, ProcessInstance, TaskStatus
    from app.extensions import db
    from app.org.models import User
    from app.studio.deploy import deploy
    from app.transactions import unit_of_work

    url = database_url("bench")
    app = bench_app(url)
    with app.app_context():
        fresh_database(url)
        assert deploy([SAMPLE], forms_dir=FORMS).problems == []
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        applicant, provider = users["rst_applicant"], users["gat_provider"]
        data = {
            "applicant_department_id": applicant.department_id,
            "provider_department_id": provider.department_id,
        }

        def open_task_id(instance_id: int) -> str:
            return db.session.scalar(
                db.select(HumanTask.id).where(
                    HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN
                )
            )

        # --- full lifecycles through the service layer, in 1..W processes ---------------------------------
        db.session.commit()
        throughput: dict[int, tuple[float, list[float]]] = {}
        for workers in [int(w) for w in args.workers.split(",")]:
            per_worker = args.instances // workers
            elapsed, latencies = parallel_lifecycles(url, workers, per_worker, f"P{workers}-")
            throughput[workers] = (workers * per_worker / elapsed, latencies)
        finished = db.session.scalars(
            db.select(ProcessInstance.state).where(ProcessInstance.status == "completed")
        ).all()
        sizes = [len(state) for state in finished]

        # --- waiting instances and timer sweeps ----------------------------------------------------------
        def create_waiting(count: int, received: str, prefix: str) -> None:
            clock.freeze(datetime.fromisoformat(received))
            for n in range(count):
                with unit_of_work():
                    row = runtime.start_instance(
                        "engine_sample", business_key=f"{prefix}-{n}", data=data, actor=applicant
                    )
                with unit_of_work():
                    runtime.complete_task(open_task_id(row.id), applicant, {"purpose": "bench"})

        t0 = time.perf_counter()
        # Due set: received Monday 09-21 → reminder 09-23 09:00. Idle set: received 09-30 → reminder 10-09 09:00.
        create_waiting(args.due, "2026-09-21T10:00:00+08:00", "D")
        create_waiting(args.waiting - args.due, "2026-09-30T10:00:00+08:00", "W")
        setup = time.perf_counter() - t0
        waiting = db.session.scalar(
            db.select(db.func.count()).where(ProcessInstance.next_timer_at.is_not(None))
        )

        idle_runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            result = scheduler.fire_due_timers(datetime.fromisoformat("2026-09-22T10:00:00+08:00"))
            idle_runs.append((time.perf_counter() - t0) * 1000)
            assert result.instances == 0
        clock.freeze(datetime.fromisoformat("2026-09-23T10:00:00+08:00"))
        t0 = time.perf_counter()
        result = scheduler.fire_due_timers()
        due_sweep = time.perf_counter() - t0

        # --- the same process in memory with bare SpiffWorkflow ------------------------------------------
        from SpiffWorkflow.util.task import TaskState

        version_id = db.session.scalar(db.select(ProcessInstance.process_version_id).limit(1))
        clock.freeze(datetime.fromisoformat("2026-09-30T10:00:00+08:00"))
        forms = [{"purpose": "bench"}, {"accepted": True}, {"granted": True}]
        t0 = time.perf_counter()
        for _ in range(args.instances):
            workflow = store.new_workflow(version_id)
            workflow.data.update(data)
            workflow.task_tree.data.update(data)
            workflow.do_engine_steps()
            for form in forms:
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.task_spec.add_data_from_form(task, form)
                task.run()
                workflow.do_engine_steps()
            assert workflow.is_completed()
        memory = time.perf_counter() - t0

    rate = max(r for r, _ in throughput.values())
    single_latencies = throughput[min(throughput)][1]
    p50, p95 = percentile(single_latencies, 0.50), percentile(single_latencies, 0.95)
    idle = statistics.median(idle_runs)
    mean_size = statistics.mean(sizes)
    memory_rate = args.instances / memory
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"database: {database}")
    for workers, (per_second, latencies) in sorted(throughput.items()):
        print(
            f"{workers} process(es): {per_second:.0f} finished instances/s; completion p50 "
            f"{percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms"
        )
    print(f"best throughput: {rate:.0f} instances/s (target ≥ {TARGETS['instances_per_s']})")
    print(
        f"task completion latency, one process: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 ≤ {TARGETS['p95_ms']} ms)"
    )
    print(
        f"stored state per finished instance: mean {mean_size:.0f} bytes, max {max(sizes)} (target ≤ {TARGETS['bytes']})"
    )
    print(
        f"timer sweep, {waiting} waiting, 0 due: median {idle:.2f} ms of 5 (target ≤ {TARGETS['idle_sweep_ms']} ms)"
    )
    print(
        f"timer sweep, {result.instances} due ({result.timers_fired} timers fired): {due_sweep:.2f} s "
        f"({due_sweep / max(1, result.instances) * 1000:.1f} ms per instance); setup of waiting instances {setup:.0f} s"
    )
    print(
        f"bare SpiffWorkflow in memory: {memory_rate:.0f} instances/s → service layer costs {memory_rate / rate:.1f}x"
    )
    ok = (
        rate >= TARGETS["instances_per_s"]
        and p95 <= TARGETS["p95_ms"]
        and idle <= TARGETS["idle_sweep_ms"]
        and max(sizes) <= TARGETS["bytes"]
    )
    print(f"targets: {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
