"""The pages that grow with history (#30), on a generated province: p50/p95 next to the issue's targets.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:55432/province .venv/bin/python bench/pages_bench.py \
        [--runs 7] [--http]

Run bench/province.py on that database first (the targets are for scale 1 on PostgreSQL; SQLite at a tenth of
the size should stay within 2×). Requests go through the whole Flask stack in-process (WSGI client, signed in as
the demo's users, the app's objects frozen for the garbage collector as gunicorn.conf.py does), after four warm-ups
each; with --http they go to gunicorn (2 workers, gunicorn.conf.py, bench/bench_wsgi.py) from a client with a
cookie jar, on the server's own clock. `audit verify` runs as the CLI does.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

warnings.simplefilter("ignore")

from common import ROOT, bench_app, gunicorn, percentile  # noqa: E402

# (label, user, path, target p95 ms) — the targets (#30)
PAGES = [
    ("case page", "supervisor", "/applications/{case}", 300),
    ("inbox queue", "hb_operator", "/tasks?scope=queue", 100),
    ("inbox done", "hb_operator", "/tasks?scope=done", 150),
    ("§26 dashboard, province, year", "supervisor", "/supervision/?from=2025-12-01&to=2026-11-30", 1000),
    (
        "§26 dashboard, department, year",
        "supervisor",
        "/supervision/?from=2025-12-01&to=2026-11-30&department={department}",
        300,
    ),
    ("API statistics, year", "supervisor", "/api/v1/statistics?from=2025-12-01&to=2026-11-30", 500),
    ("scorecard 2026", "supervisor", "/supervision/scorecard?year=2026", 1000),
    ("data calls page, year", "supervisor", "/supervision/calls?from=2025-12-01&to=2026-11-30", 500),
    ("audit viewer, case filter", "auditor", "/supervision/audit?case={case}", 300),
    ("catalog search", "rst_applicant", "/catalog/?q=登记", 50),
]


def _sign_in(app, username: str):
    """A signed-in client (the sign-in form, as a person uses it) and a bearer header for the API."""
    import re

    from app.auth.services import create_api_token
    from app.extensions import db
    from app.org.models import User

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": "govshare2026", "csrf_token": token})
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        plain = create_api_token(user, "pages_bench")[1]
        db.session.commit()
    return client, {"Authorization": f"Bearer {plain}"}


class HttpClient:
    """A person's browser over HTTP: cookies kept, the sign-in form filled in."""

    def __init__(self, base: str, username: str, headers: dict[str, str]) -> None:
        import http.cookiejar
        import re
        import urllib.parse
        import urllib.request

        self.base, self.headers = base, headers
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        form = {"username": username, "password": "govshare2026", "csrf_token": token}
        self.opener.open(base + "/login", data=urllib.parse.urlencode(form).encode()).read()

    def get(self, path: str, headers: dict | None = None):
        import urllib.error
        import urllib.request
        from urllib.parse import quote

        request = urllib.request.Request(self.base + quote(path, safe="/?=&"), headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as response:
                return SimpleNamespace(status_code=response.status, data=response.read())
        except urllib.error.HTTPError as error:
            return SimpleNamespace(status_code=error.code, data=error.read())


def _gunicorn(url: str, workers: int):
    """gunicorn serving bench_wsgi as production runs it (gunicorn.conf.py); (process, base URL)."""
    here = Path(__file__).parent
    return gunicorn(
        "bench_wsgi:application",
        workers=workers,
        env=dict(os.environ, DATABASE_URL=url),
        # run from bench/ (gunicorn puts its starting directory on sys.path): the app comes from PYTHONPATH when
        # that names another checkout (a "before" run), else from the installed project
        cwd=here,
        options=("-c", str(ROOT / "gunicorn.conf.py"), "--chdir", str(here)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--http", action="store_true", help="over HTTP to gunicorn (2 workers) instead of in-process"
    )
    parser.add_argument(
        "--only", default="", help="only the pages whose label contains this text (e.g. catalog)"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a database made by bench/province.py")
    app = bench_app(url, SECOND_FACTOR_ROLES=())
    with app.app_context():
        from sqlalchemy import func, select

        from app import clock
        from app.extensions import db
        from app.sharing.models import ShareApplication

        case = db.session.scalar(select(ShareApplication.number).order_by(func.random()).limit(1))
        # the department with the most applications: its dashboard has the most to count
        department = db.session.scalar(
            select(ShareApplication.applicant_department_id)
            .group_by(ShareApplication.applicant_department_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    server = None
    if args.http:  # the server's own clock (today); the pages read the same history
        server, base = _gunicorn(url, 2)
        clients: dict[str, tuple] = {}
        for _l, username, _p, _t in PAGES:
            if username not in clients:
                headers = _sign_in(app, username)[1]
                clients[username] = (HttpClient(base, username, headers), headers)
    else:
        clock.freeze(clock.parse_moment("2026-12-06T10:00:00+08:00"))
        clients = {username: _sign_in(app, username) for _l, username, _p, _t in PAGES}
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does once a worker has started: the app's objects are not walked again
    try:
        _measure(clients, args.runs, case, department, args.only)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    if not args.only:
        _verify(app)


WARMUPS = 4  # with 2 workers taking requests as they come, enough for each to have served the page once


def _measure(clients: dict[str, tuple], runs: int, case: str, department: int, only: str = "") -> None:
    print(f"{'page':<32} {'p50 ms':>9} {'p95 ms':>9} {'target':>8}  {'KB':>7}")
    for label, username, path, target in PAGES:
        if only not in label:
            continue
        client, headers = clients[username]
        path = path.format(case=case, department=department)
        extra = {"headers": headers} if path.startswith("/api/") else {}
        for _ in range(WARMUPS):  # each gunicorn worker's first request of a page compiles its template
            response = client.get(path, **extra)
        took = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path, **extra)
            took.append((time.perf_counter() - started) * 1000)
        p95 = percentile(took, 0.95)
        mark = "" if response.status_code == 200 else f"  (HTTP {response.status_code})"
        print(
            f"{label:<32} {statistics.median(took):9.1f} {p95:9.1f} {target:8d}  {len(response.data) / 1024:7.0f}"
            f"{'  over' if p95 > target else ''}{mark}"
        )


def _verify(app) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app.cli import main as cli

    for options in ([], ["--full"]):
        started = time.perf_counter()
        result = CliRunner().invoke(
            cli, ["audit", "verify", *options], obj=ScriptInfo(create_app=lambda: app)
        )
        print(
            f"audit verify {' '.join(options) or '(incremental)':<19} {time.perf_counter() - started:9.1f} s  {result.output.strip()[:80]}"
        )


if __name__ == "__main__":
    main()
