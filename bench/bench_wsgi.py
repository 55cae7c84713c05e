"""The application as the HTTP benchmarks serve it under gunicorn: `DATABASE_URL`'s database, the benchmarks'
settings (common.bench_app), no second factor for the demo's sign-ins.

    gunicorn -c gunicorn.conf.py --chdir bench 'bench_wsgi:application'
"""

from __future__ import annotations

import os

from common import bench_app

application = bench_app(os.environ["DATABASE_URL"], SECOND_FACTOR_ROLES=())
