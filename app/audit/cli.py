"""`govshare audit verify`: check the hash chain of the audit trail (办法§27)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.audit.chain import verify
from app.audit.checkpoints import check_checkpoints, checkpoint_file, read_checkpoints, write_checkpoint
from app.extensions import db

audit = click.Group("audit", help="The audit trail: verify its hash chain.")


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Recompute the chain; name the first broken entry and exit 1 if it does not hold."""
    result = verify(db.session)
    broken = result.broken or check_checkpoints(db.session)
    if broken is None:
        checkpoints = read_checkpoints()
        anchored = (
            f"，最新检查点第 {checkpoints[-1]['seq']} 条（{checkpoints[-1]['at']}）" if checkpoints else ""
        )
        click.echo(f"审计链完整：已校验 {result.checked} 条记录{anchored}。")
        return
    click.echo(f"审计链断开：已校验 {result.checked} 条，第一处问题在 {broken}", err=True)
    sys.exit(1)


@audit.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Append the chain's head to the checkpoint file (the scheduler does this every few minutes)."""
    entry = write_checkpoint(db.session)
    if entry is None:
        click.echo("没有新的审计记录，或未配置检查点文件（AUDIT_CHECKPOINT_FILE）。")
    else:
        click.echo(f"检查点：第 {entry['seq']} 条 {entry['hash'][:16]}… → {checkpoint_file()}")
