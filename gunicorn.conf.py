"""gunicorn settings read from the project's root (`gunicorn 'app:create_app()'` picks this file up): the same
as a release's (app/ops/gunicorn.py)."""

from app.ops.gunicorn import *  # noqa: F403
