"""What the benchmarks share: the database they use, the app built on it, a fresh schema, percentiles, gunicorn
serving it."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(
    target: str, *, workers: int, env: dict[str, str], cwd: Path | str = ROOT, options: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, str]:
    """gunicorn serving `target` ("app:create_app()") on a free port, started from `cwd`, once /healthz
    answers: (the process, its base URL). The caller stops it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *options, "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        + ["--log-level", "warning", target],
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return server, base


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def database_url(name: str) -> str:
    """DATABASE_URL if set (PostgreSQL runs), else a new SQLite file in a temporary directory."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/{name}.db"


def bench_app(url: str, **settings):
    """The application on `url`, quiet, with fast password hashing (and any extra settings)."""
    import logging

    logging.disable(logging.WARNING)
    from app import create_app
    from config import DevelopmentConfig

    # each benchmark database keeps its own audit checkpoints (a file of another database's chain would not
    # match this one's)
    checkpoints = (
        Path(tempfile.gettempdir()) / f"govshare-bench-{hashlib.sha1(url.encode()).hexdigest()[:10]}.jsonl"
    )
    config = type(
        "BenchConfig",
        (DevelopmentConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ARGON2_FAST": True,
            "AUDIT_CHECKPOINT_FILE": str(checkpoints),
            # this checkout's keyring even when another checkout's app is measured on the same database (a
            # "before" run): rows it seals must verify under the same keys
            "AUDIT_KEYRING_FILE": str(
                Path(__file__).resolve().parent.parent / "instance" / "audit-keyring.json"
            ),
            **settings,
        },
    )
    return create_app(config)


def fresh_database(url: str) -> None:
    """Inside an app context: an empty schema built by the migrations, with the demo organisation."""
    from flask import current_app
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.demo import seed
    from app.extensions import db

    Path(current_app.config["AUDIT_CHECKPOINT_FILE"]).unlink(missing_ok=True)  # a new chain starts
    if url.startswith("postgresql"):  # a SQLite file is always new; a PostgreSQL database is emptied whole
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
    upgrade()
    seed()
