"""gunicorn settings (#21, #32), used as `gunicorn -c python:app.ops.gunicorn 'app:create_app()'` (deploy/) or
through the project root's gunicorn.conf.py.

Each worker, once it has built the app, parses the deployed process versions and then freezes what it holds
(`gc.freeze()`): the parsed specs, the SQLAlchemy mappers and the app live as long as the worker, and Python's
full garbage collections no longer walk them on every request (measured by bench/http_bench.py, #21). A worker
that exits leaves its metrics to the others (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR).
gunicorn's own access log is off: the app writes one JSON line per request (app/ops/logs.py).
"""

import gc
import logging
import os

from app.engine.registry import latest_versions, parsed

bind = os.environ.get("GOVSHARE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GOVSHARE_WORKERS", "2"))
timeout = int(os.environ.get("GOVSHARE_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = None
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"  # nginx on the same host; the app's ProxyFix trusts TRUSTED_PROXIES hops


def post_worker_init(worker) -> None:
    app = worker.wsgi
    try:
        with app.app_context():
            for version in latest_versions():
                parsed(version)
    except Exception:  # noqa: BLE001  (an empty or not yet migrated database: the first requests parse them)
        logging.getLogger("govshare").warning("process versions not parsed at worker start", exc_info=True)
    gc.freeze()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
