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
from tests.conftest import user
from tests.test_sharing import application_data, at, task


def _run_case() -> str:
    """A real case: submitted, checked, authorized — a few dozen audit events."""
    at("2026-09-30T10:00:00+08:00")
    number = services.submit_application(user("rst_applicant"), application_data("婚姻登记信息")).number
    runtime.complete_task(task(number, "normative_check").id, user("hb_operator"), {"accepted": True})
    at("2026-10-09T10:00:00+08:00")
    runtime.complete_task(task(number, "provider_authorization").id, user("mz_clerk"), {"granted": True})
    return number


def _verify_cli(app):
    return CliRunner().invoke(main, ["audit", "verify"], obj=ScriptInfo(create_app=lambda: app))


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
            conn.execute(text(statement), params)
        return url
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(text(statement), params)
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    return database_url


def _cli_on(url: str, checkpoints: str = ""):
    from app import create_app
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        AUDIT_CHECKPOINT_FILE = checkpoints

    return _verify_cli(create_app(Config))


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


def test_deleting_the_newest_rows_is_caught_by_the_checkpoint_outside_the_database(
    app, database_url, tmp_path, content, monkeypatch
):
    """The chain alone cannot tell that its tail was cut; a signed checkpoint of its head, kept in a file
    outside the database, can. A forged checkpoint line is named too."""
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", str(checkpoints))
    _run_case()
    db.session.commit()
    entry = write_checkpoint(db.session)
    assert entry is not None and write_checkpoint(db.session) is None  # the head did not move: no new line
    newest = entry["seq"]
    assert _cli_on(database_url, str(checkpoints)).exit_code == 0
    if database_url.startswith("sqlite"):  # PostgreSQL's trigger refuses deletions outright
        url = _tamper(database_url, tmp_path, "DELETE FROM audit_event WHERE seq > :seq", {"seq": newest - 3})
        assert _cli_on(url).exit_code == 0  # without the checkpoint the shortened chain still holds
        result = _cli_on(url, str(checkpoints))
        assert (
            result.exit_code == 1 and f"seq={newest}" in result.output and "最新的记录被删除" in result.output
        )
    forged = checkpoints.read_text(encoding="utf-8").replace(entry["hash"], "0" * 64)
    checkpoints.write_text(forged, encoding="utf-8")
    result = _cli_on(database_url, str(checkpoints))
    assert result.exit_code == 1 and "签名不符" in result.output


def test_every_audited_action_has_a_chinese_name():
    """The audit viewer and the timelines name actions in Chinese: every action the code records has one."""
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (Path(__file__).parent.parent / "app").rglob("*.py")
    )
    recorded = set(re.findall(r'(?:record|_task_event)\(\s*"([a-z_]+\.[a-z_]+)"', source))
    recorded |= {"task.completed", "task.submitted"}  # chosen by an expression in runtime
    assert len(recorded) > 40 and recorded - set(ACTION_LABELS) == set()
