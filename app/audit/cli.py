"""`govshare audit verify | checkpoint | rotate-key`: the audit trail's keyed hash chain (办法§27)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.audit.chain import verify
from app.audit.checkpoints import (
    check_checkpoints,
    checkpoint_file,
    newest_anchor,
    read_checkpoints,
    write_checkpoint,
)
from app.audit.keys import rotate
from app.audit.writer import record
from app.extensions import db

audit = click.Group("audit", help="The audit trail: verify its hash chain.")


@audit.command("verify")
@click.option(
    "--full",
    is_flag=True,
    help="Walk the whole trail from its first entry (default: from the newest checkpoint).",
)
@with_appcontext
def audit_verify(full: bool):
    """Recompute the chain — from the newest checkpoint that holds (default), or all of it (--full) — and
    the checkpoints; name the first broken entry and exit 1 if it does not hold."""
    anchor, broken = (None, None) if full else newest_anchor(db.session())
    result = verify(db.session(), since=anchor) if broken is None else None
    broken = broken or (result.broken if result else None) or check_checkpoints(db.session(), every=full)
    checked = result.checked if result else 0
    if broken is None and result is not None:
        checkpoints = read_checkpoints()
        anchored = (
            f"，最新检查点第 {checkpoints[-1]['seq']} 条（{checkpoints[-1]['at']}）" if checkpoints else ""
        )
        scope = (
            f"自检查点第 {result.after} 条起校验新记录 {checked} 条（增量；--full 校验全部）"
            if result.after
            else f"已校验 {checked} 条记录"
        )
        click.echo(f"审计链完整：{scope}{anchored}。")
        return
    click.echo(f"审计链断开：已校验 {checked} 条，第一处问题在 {broken}", err=True)
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
