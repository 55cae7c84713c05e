"""`govshare audit verify | checkpoint | rotate-key`: the audit trail's keyed hash chain (办法§27)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.audit.chain import verify
from app.audit.checkpoints import check_checkpoints, checkpoint_file, read_checkpoints, write_checkpoint
from app.audit.keys import rotate
from app.audit.writer import record
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
    db.session.commit()
    if entry is None:
        click.echo("自上一个检查点以来没有新的审计记录。")
    else:
        where = f" → {checkpoint_file()}" if checkpoint_file() else "（未配置检查点文件，仅存于数据库）"
        click.echo(f"检查点：第 {entry['seq']} 条，共 {entry['count']} 条记录 {entry['hash'][:16]}…{where}")


@audit.command("rotate-key")
@with_appcontext
def audit_rotate_key():
    """Start a new audit key in the keyring file; rows sealed under earlier keys stay verifiable."""
    try:
        new_id = rotate()
    except RuntimeError as err:
        raise click.ClickException(str(err)) from None
    record("audit.key_rotated", data={"key_id": new_id})
    write_checkpoint(db.session)
    db.session.commit()
    click.echo(
        f"新的审计密钥 {new_id} 已启用（密钥环：{current_app.config['AUDIT_KEYRING_FILE']}）。请备份密钥环文件。"
    )
