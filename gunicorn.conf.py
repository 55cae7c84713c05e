"""gunicorn settings read from the project's root (`gunicorn 'app:create_app()'` picks this file up).

Each worker, once it has built the app, parses the deployed process versions and then freezes what it holds
(`gc.freeze()`): the parsed specs, the SQLAlchemy mappers and the app live as long as the worker, and Python's
full garbage collections no longer walk them on every request (measured by bench/http_bench.py, #21).
"""

import gc
import logging

from app.engine.registry import latest_versions, parsed


def post_worker_init(worker) -> None:
    app = worker.wsgi
    try:
        with app.app_context():
            for version in latest_versions():
                parsed(version)
    except Exception:  # noqa: BLE001  (an empty or not yet migrated database: the first requests parse them)
        logging.getLogger("govshare").warning("process versions not parsed at worker start", exc_info=True)
    gc.freeze()
