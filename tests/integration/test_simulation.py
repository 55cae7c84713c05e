"""路径试运行: a changed model run through every path on a chosen day, from a real case's start data,
writing nothing."""

from __future__ import annotations

import re
from pathlib import Path

from app.audit.models import AuditEvent
from app.engine.models import ProcessInstance
from app.extensions import db
from tests.conftest import login
from tests.integration.test_migration import _case_at_provider
from tests.integration.test_model_upload import _upload

ROOT = Path(__file__).resolve().parents[2]


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count(AuditEvent.id))),
            db.session.scalar(db.select(db.func.count(ProcessInstance.id))),
        )


def test_every_path_of_a_changed_model_runs_on_the_chosen_day(app, client, demo_content):
    with app.app_context():
        number, _task = _case_at_provider()
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    login(client, "analyst")
    report = _upload(
        client,
        (
            "resource_authorization.bpmn",
            source.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)").encode(),
        ),
    )
    before = _counts(app)
    html = client.get(report.headers["Location"] + "?trial=2026-09-28&run=1").get_data(as_text=True)
    assert _counts(app) == before  # nothing written
    section = html[html.index('id="runs"') :]
    assert number in section and "5 条路径" in section
    paths = re.findall(r"<tr><td>\d+</td>(.*?)</tr>", section, re.S)
    assert len(paths) == 5 and all("办结" in p for p in paths)
    # §19 check due 3 working days after Monday 09-28 (National Day off), the provider 7 after that
    assert all("规范性检查" in p and "2026-10-08 24:00" in p for p in paths)
    granted = next(p for p in paths if "同意授权" in p and "补正申请" not in p)
    assert "提供部门授权" in granted and "2026-10-13 24:00" in granted
    assert any("补正申请" in p for p in paths)  # the 退回补正 loop is one of the paths


def test_a_path_that_would_fail_is_shown_as_an_error(app, client, demo_content):
    with app.app_context():
        _case_at_provider()
    source = (ROOT / "bpmn" / "share_application.bpmn").read_text(encoding="utf-8")
    broken = source.replace("accepted == True", "acepted == True", 1)
    assert broken != source
    login(client, "analyst")
    report = _upload(client, ("share_application.bpmn", broken.encode()))
    html = client.get(report.headers["Location"] + "?run=1").get_data(as_text=True)
    section = html[html.index('id="runs"') :]
    assert "badge-err" in section and "acepted" in section
