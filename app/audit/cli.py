"""`govshare audit verify`: check the hash chain of the audit trail (办法§27)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

audit = click.Group("audit", help="The audit trail: verify its hash chain.")


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Recompute the chain; name the first broken entry and exit 1 if it does not hold."""
    from app.audit.chain import verify
    from app.extensions import db

    result = verify(db.session)
    if result.broken is None:
        click.echo(f"审计链完整：已校验 {result.checked} 条记录。")
        return
    click.echo(f"审计链断开：已校验 {result.checked} 条，第一处问题在 {result.broken}", err=True)
    sys.exit(1)
