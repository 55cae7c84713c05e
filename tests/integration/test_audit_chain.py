"""The tamper-evident audit trail (办法§27): hash chain sealed at commit, `govshare audit verify`, append-only."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from app.audit.chain import GENESIS, entry_hash, verify
from app.audit.checkpoints import write_checkpoint
from app.audit.labels import ACTION_LABELS
from app.audit.models import AuditEvent
from app.audit.writer import record
from app.cli import main
from app.engine import runtime
from app.extensions import db
from app.sharing import services
from app.transactions import unit_of_work
from tests.conftest import user
from tests.integration.test_sharing import application_data, at, task


def _run_case() -> str:
    """A real case: submitted, checked, authorized — a few dozen audit events, each use case committed."""
    at("2026-09-30T10:00:00+08:00")
    with unit_of_work():
        number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    with unit_of_work():
        runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    at("2026-10-09T10:00:00+08:00")
    with unit_of_work():
        runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    return number


def _verify_cli(app, *options: str):
    return CliRunner().invoke(main, ["audit", "verify", *options], obj=ScriptInfo(create_app=lambda: app))


def test_every_committed_event_is_chained_in_order(content):
    _run_case()
    events = list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq)))
    assert len(events) > 10 and [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert all(entry_hash(e) == e.hash for e in events)
    result = verify(db.session)
    assert result.broken is None and result.checked == len(events)


def test_a_rolled_back_change_leaves_no_event_and_no_gap(content):
    record("test.kept")
    db.session.commit()
    record("test.dropped")
    db.session.rollback()
    with db.session.begin_nested():
        record("test.kept_in_savepoint")
    try:
        with db.session.begin_nested():
            record("test.dropped_with_savepoint")
            raise RuntimeError
    except RuntimeError:
        pass
    db.session.commit()
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq))]
    assert [a for a in actions if a.startswith("test.")] == ["test.kept", "test.kept_in_savepoint"]
    assert verify(db.session).broken is None


def test_two_threads_writing_at_once_keep_one_chain(app, seeded):
    def write(name: str) -> None:
        with app.app_context():
            for i in range(15):
                record(f"test.{name}", data={"i": i})
                db.session.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        result = verify(db.session)
        assert result.broken is None and result.checked >= 30


def test_the_database_refuses_to_change_a_sealed_row(content):
    _run_case()
    target = db.session.scalar(db.select(AuditEvent.id).order_by(AuditEvent.seq).offset(3).limit(1))
    with pytest.raises(DBAPIError):
        db.session.execute(
            text("UPDATE audit_event SET actor_name = 'someone' WHERE id = :id"), {"id": target}
        )
        db.session.flush()
    db.session.rollback()


def _tamper(database_url: str, tmp_path, statement: str, params: dict):
    """Edit the trail the way someone with direct database access would: around the trigger, on a copy (SQLite)
    or in the test database itself (PostgreSQL; disabled and re-enabled)."""
    return _tamper_all(database_url, tmp_path, [(statement, params)])


def _tamper_all(database_url: str, tmp_path, statements: list[tuple[str, dict]]):
    """Several edits at once (see _tamper)."""
    if database_url.startswith("sqlite"):
        source = database_url.removeprefix("sqlite:///")
        copy = tmp_path / "copy.db"
        shutil.copy(source, copy)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(source + suffix):
                shutil.copy(source + suffix, str(copy) + suffix)
        url = f"sqlite:///{copy}"
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_event_sealed"))
            for statement, params in statements:
                conn.execute(text(statement), params)
        return url
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        for statement, params in statements:
            conn.execute(text(statement), params)
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    return database_url


def _cli_on(url: str, checkpoints: str = "", *options: str, **settings):
    from app import create_app
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        AUDIT_CHECKPOINT_FILE = checkpoints

    for name, value in settings.items():
        setattr(Config, name, value)
    return _verify_cli(create_app(Config), *options)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("UPDATE audit_event SET data = '{\"granted\": false}' WHERE id = :id", "本条被修改"),
        ("DELETE FROM audit_event WHERE id = :id", "记录被删除"),
    ],
)
def test_editing_one_row_makes_verify_fail_and_name_it(
    app, database_url, tmp_path, content, statement, reason
):
    _run_case()
    target = db.session.scalar(db.select(AuditEvent).order_by(AuditEvent.seq).offset(7).limit(1))
    target_id, target_seq = target.id, target.seq
    db.session.commit()
    assert _verify_cli(app).exit_code == 0

    url = _tamper(database_url, tmp_path, statement, {"id": target_id})
    result = _cli_on(url)
    assert result.exit_code == 1
    assert f"seq={target_seq}" in result.output and reason in result.output
    if "UPDATE" in statement:
        assert f"id={target_id}" in result.output


def _rehash_without_key(rows: list[tuple]) -> list[tuple[str, dict]]:
    """What someone with the database but not the key would do after editing a row: hash the chain again from
    that row on (SHA-256, the only hash they can compute), as unkeyed rows."""
    import hashlib
    import json

    statements = []
    previous = None
    for row_id, seq, prev_hash, body in rows:
        prev = previous or prev_hash
        body = {**body, "seq": seq, "prev": prev}
        digest = hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        statements.append(
            (
                "UPDATE audit_event SET prev_hash = :prev, hash = :hash, key_id = NULL WHERE id = :id",
                {"prev": prev, "hash": digest, "id": row_id},
            )
        )
        previous = digest
    return statements


TAMPERINGS = {
    "row edited, trigger dropped": (
        ["UPDATE audit_event SET action = 'x' WHERE seq = :middle"],
        "本条被修改",
    ),
    "row deleted in the middle": (["DELETE FROM audit_event WHERE seq = :middle"], "记录被删除"),
    "newest rows deleted": (["DELETE FROM audit_event WHERE seq > :tail"], "最新的记录被删除"),
    "newest rows and the head deleted": (
        ["DELETE FROM audit_event WHERE seq > :tail", "DELETE FROM audit_head"],
        "链头记录（audit_head）缺失",
    ),
    "head moved back without the key": (
        ["DELETE FROM audit_event WHERE seq > :tail", "UPDATE audit_head SET seq = :tail"],
        "链头记录的签名不符",
    ),
    "unsealed row inserted": (
        ["INSERT INTO audit_event (at, actor_name, action) VALUES ('2026-10-01 00:00:00', 'x', 'forged')"],
        "未加入哈希链",
    ),
    "rows covered by a checkpoint deleted and renumbered": (
        [
            "DELETE FROM audit_event WHERE seq = :middle",
            "UPDATE audit_event SET seq = -seq WHERE seq > :middle",
            "UPDATE audit_event SET seq = -seq - 1 WHERE seq < 0",
        ],  # two steps: seq is unique on PostgreSQL
        "与前一条的链接不符",
    ),
    "checkpoint file deleted": ([], "不存在"),
    "checkpoint file emptied": ([], "为空"),
    "checkpoint file cut behind the database": ([], "落后"),
    "checkpoint line forged": ([], "签名不符"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=list(TAMPERINGS))
def test_verify_names_every_tampering_of_a_copy_of_the_trail(
    app, database_url, tmp_path, content, monkeypatch, tampering
):
    """Ten ways to trim or rewrite the trail, each done as someone with the database (and the checkpoint file)
    but without the audit key would; `govshare audit verify` fails and names what is wrong."""
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", str(checkpoints))
    _run_case()
    db.session.commit()
    assert write_checkpoint(db.session) is not None
    db.session.commit()
    first = write_checkpoint(db.session)
    assert first is None  # the head did not move: no new checkpoint
    record("test.after_checkpoint")
    db.session.commit()
    second = write_checkpoint(db.session)
    db.session.commit()
    newest = second["seq"]
    assert _cli_on(database_url, str(checkpoints)).exit_code == 0

    statements, reason = TAMPERINGS[tampering]
    params = {"middle": newest // 2, "tail": newest - 3}
    if tampering == "checkpoint file deleted":
        checkpoints.unlink()
    elif tampering == "checkpoint file emptied":
        checkpoints.write_text("", encoding="utf-8")
    elif tampering == "checkpoint file cut behind the database":
        checkpoints.write_text(
            checkpoints.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8"
        )
    elif tampering == "checkpoint line forged":
        checkpoints.write_text(checkpoints.read_text(encoding="utf-8").replace(second["hash"], "0" * 64))
    url = _tamper_all(database_url, tmp_path, [(statement, params) for statement in statements])
    result = _cli_on(url, str(checkpoints), "--full")
    assert result.exit_code == 1, result.output
    assert reason in result.output, result.output


def _checkpointed_trail(app, tmp_path, monkeypatch) -> tuple[str, int]:
    """A real case, a checkpoint, then three newer entries: (checkpoint file, the checkpoint's seq)."""
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", str(checkpoints))
    _run_case()
    db.session.commit()
    covered = write_checkpoint(db.session)["seq"]
    db.session.commit()
    for n in range(3):
        record("test.after_checkpoint", data={"n": n})
    db.session.commit()
    return str(checkpoints), covered


def test_verify_starts_from_the_newest_checkpoint_unless_asked_for_all(
    app, database_url, tmp_path, content, monkeypatch
):
    """#30: by default the walk starts at the newest checkpoint that holds, so its cost follows what came
    since; `--full` walks everything."""
    checkpoints, covered = _checkpointed_trail(app, tmp_path, monkeypatch)
    default = _cli_on(database_url, checkpoints)
    assert default.exit_code == 0 and f"自检查点第 {covered} 条起校验新记录 3 条" in default.output
    full = _cli_on(database_url, checkpoints, "--full")
    assert full.exit_code == 0 and f"已校验 {covered + 3} 条记录" in full.output


@pytest.mark.parametrize(
    ("statement", "where", "default_finds", "reason"),
    [
        ("UPDATE audit_event SET action = 'x' WHERE seq = :s", "since", True, "本条被修改"),
        ("DELETE FROM audit_event WHERE seq = :s", "behind", True, "记录被删除"),  # the checkpoint's count
        ("UPDATE audit_event SET action = 'x' WHERE seq = :s", "behind", False, "本条被修改"),
    ],
    ids=["edited since the checkpoint", "deleted behind it", "edited behind it"],
)
def test_what_the_default_verify_finds_and_what_needs_full(
    app, database_url, tmp_path, content, monkeypatch, statement, where, default_finds, reason
):
    """An entry edited since the newest checkpoint, or one deleted behind it, fails the default run; an entry
    edited behind it is found by --full (README: run it on a schedule too)."""
    checkpoints, covered = _checkpointed_trail(app, tmp_path, monkeypatch)
    seq = covered + 2 if where == "since" else covered // 2
    url = _tamper_all(database_url, tmp_path, [(statement, {"s": seq})])
    default = _cli_on(url, checkpoints)
    assert (default.exit_code == 1) == default_finds, default.output
    if default_finds:
        assert reason in default.output
    full = _cli_on(url, checkpoints, "--full")
    assert full.exit_code == 1 and reason in full.output, full.output


def test_a_chain_hashed_again_without_the_key_fails_verify(app, database_url, tmp_path, content):
    """Editing a row and hashing the chain again with SHA-256 (all one can do without the audit key) is named."""
    _run_case()
    db.session.commit()
    rows = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq)).all()
    middle = rows[len(rows) // 2]
    from app.audit.chain import canonical

    bodies = []
    import json

    for row in rows[len(rows) // 2 :]:
        body = json.loads(canonical(row))
        if row.id == middle.id:
            body["action"] = "rewritten"
        bodies.append((row.id, row.seq, row.prev_hash, body))
    edits = [("UPDATE audit_event SET action = 'rewritten' WHERE id = :id", {"id": middle.id})]
    url = _tamper_all(database_url, tmp_path, edits + _rehash_without_key(bodies))
    result = _cli_on(url)
    assert result.exit_code == 1 and f"seq={middle.seq}" in result.output, result.output


def test_rotating_the_session_key_leaves_the_trail_verifiable_and_rotating_the_audit_key_keeps_old_rows(
    app, database_url, tmp_path, content, monkeypatch
):
    _run_case()
    db.session.commit()
    assert _cli_on(database_url, SECRET_KEY="another-session-key-" + "x1y2z3" * 6).exit_code == 0
    keyring = tmp_path / "audit-keyring.json"
    monkeypatch.setitem(app.config, "AUDIT_KEYRING_FILE", str(keyring))
    result = CliRunner().invoke(main, ["audit", "rotate-key"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0 and "新的审计密钥" in result.output, result.output
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"
    record("test.after_rotation")
    db.session.commit()
    key_ids = set(db.session.scalars(db.select(AuditEvent.key_id)))
    assert len(key_ids) == 2
    assert _cli_on(database_url, AUDIT_KEYRING_FILE=str(keyring)).exit_code == 0
    # Without the new key (the keyring lost), the rows it sealed cannot be verified: named, not passed.
    lost = _cli_on(database_url)
    assert lost.exit_code == 1 and "不在密钥环中" in lost.output


def test_every_audited_action_has_a_chinese_name():
    """The audit viewer and the timelines name actions in Chinese: every action the code records has one."""
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (Path(__file__).resolve().parents[2] / "app").rglob("*.py")
    )
    recorded = set(re.findall(r'(?:record|_task_event)\(\s*"([a-z_]+\.[a-z_]+)"', source))
    recorded |= {"task.completed", "task.submitted"}  # chosen by an expression in runtime
    assert len(recorded) > 40 and recorded - set(ACTION_LABELS) == set()
