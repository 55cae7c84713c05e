"""Real concurrency over HTTP: requests racing for the same thing end with one success and clear 409s.

The server is threaded (each request its own session and connection, as under gunicorn); a barrier releases
the racing requests together. Several rounds run, because a single race may be won without overlap by chance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
import requests

from app import clock
from app.catalog.models import Resource
from app.engine.models import HumanTask, Incident, TaskStatus
from app.extensions import db
from app.org.roles import Role
from app.org.services import create_user
from app.sharing import services as sharing
from app.sharing.models import Authorization
from tests.conftest import api_token, bearer, user

ROUNDS = 4

# (method, path, json body, headers) -> (status, JSON answer): over real HTTP or through the test client.
Call = Callable[[str, str, dict | None, dict], tuple[int, dict]]


def _over_http(base_url: str) -> Call:
    def call(method: str, path: str, body: dict | None, headers: dict) -> tuple[int, dict]:
        answer = requests.request(method, base_url + path, json=body, headers=headers, timeout=60)
        return answer.status_code, answer.json()

    return call


def _through(client) -> Call:
    def call(method: str, path: str, body: dict | None, headers: dict) -> tuple[int, dict]:
        answer = client.open(path, method=method, json=body, headers=headers)
        return answer.status_code, answer.get_json()

    return call


def _race(calls: list[Callable[[], tuple[int, dict]]]) -> list[tuple[int, dict]]:
    """Run each call in its own thread, released together; their answers in call order."""
    barrier = threading.Barrier(len(calls))
    answers: list[tuple[int, dict] | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers  # type: ignore[return-value]


def _provider_tasks(app, call: Call, rounds: int) -> list[str]:
    """`rounds` provider authorization tasks of 湖北省民政厅, each in its own accepted application."""
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    applicant = bearer(api_token(app, "rst_applicant"))
    operator = bearer(api_token(app, "hb_operator"))
    body = {
        "purpose": "低保核对",
        "reason": "依据《社会救助暂行办法》",
        "business_system": "社会救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
        "resources": [{"code": code}],
    }
    for _ in range(rounds):
        assert call("POST", "/api/v1/applications", body, applicant)[0] == 201
    for check in call("GET", "/api/v1/tasks?scope=queue", None, operator)[1]["items"]:
        status, answer = call(
            "POST", f"/api/v1/tasks/{check['id']}/complete", {"data": {"accepted": True}}, operator
        )
        assert status == 200, answer
    tasks = call("GET", "/api/v1/tasks?scope=queue", None, bearer(api_token(app, "mz_clerk")))[1]["items"]
    assert len(tasks) == rounds
    return [task["id"] for task in tasks]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.mark.parametrize("second_clerk", [False, True], ids=["same-clerk-twice", "two-clerks"])
def test_a_lost_race_to_grant_answers_409_and_writes_nothing(app, live_server, demo_content, second_clerk):
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    if second_clerk:
        with app.app_context():
            create_user(
                username="mz_clerk2",
                display_name="民政厅审核人二",
                password="govshare2026",
                demo=True,
                department_code=user("mz_clerk").department.uscc,
                roles=[Role.PROVIDER_CLERK],
            )
            db.session.commit()
    call = _over_http(live_server)
    tasks = _provider_tasks(app, call, ROUNDS)
    clerks = [
        bearer(api_token(app, "mz_clerk")),
        bearer(api_token(app, "mz_clerk2" if second_clerk else "mz_clerk")),
    ]
    for task_id in tasks:
        path = f"/api/v1/tasks/{task_id}/complete"
        answers = _race(
            [lambda h=h, path=path: call("POST", path, {"data": {"granted": True}}, h) for h in clerks]
        )
        assert sorted(status for status, _answer in answers) == [200, 409], answers
        conflict = next(answer for status, answer in answers if status == 409)["error"]
        assert conflict["code"] == "conflict" and (
            "他人" in conflict["message"] or "办结" in conflict["message"]
        )
    assert _count(app, Incident) == 0
    assert _count(app, Authorization) == ROUNDS


def test_a_service_task_meeting_a_concurrent_write_is_a_conflict_not_an_incident(
    app, client, demo_content, monkeypatch
):
    """The database refusing a service operation's write (here: the authorization another transaction
    created first) breaks the transaction: the completion answers 409, the task stays open, no incident."""
    real_record_decision = sharing.record_decision

    def decided_twice(line_id, *args, **kwargs):
        line = real_record_decision(line_id, *args, **kwargs)
        db.session.flush()
        granted = db.session.scalar(db.select(Authorization).where(Authorization.line_id == line.id))
        columns = {c.key: getattr(granted, c.key) for c in Authorization.__table__.columns if c.key != "id"}
        db.session.execute(db.insert(Authorization).values(columns))  # the row "the other clerk" wrote
        return line

    (task_id,) = _provider_tasks(app, _through(client), 1)
    monkeypatch.setattr(sharing, "record_decision", decided_twice)
    status, answer = _through(client)(
        "POST",
        f"/api/v1/tasks/{task_id}/complete",
        {"data": {"granted": True}},
        bearer(api_token(app, "mz_clerk")),
    )
    assert status == 409 and answer["error"]["code"] == "conflict"
    assert _count(app, Incident) == 0 and _count(app, Authorization) == 0
    with app.app_context():
        assert db.session.get(HumanTask, task_id).status == TaskStatus.OPEN


def test_concurrent_submissions_each_get_their_own_case_number(app, live_server, demo_content):
    """办法§13: every application submitted is kept; numbers come from a counter, not from max + 1."""
    call = _over_http(live_server)
    with app.app_context():
        code = db.session.scalar(db.select(Resource.code).where(Resource.name == "婚姻登记信息"))
    body = {
        "purpose": "低保核对",
        "reason": "依据《社会救助暂行办法》",
        "business_system": "社会救助系统",
        "scope": "全省",
        "valid_from": "2026-12-01",
        "valid_to": "2027-11-30",
        "resources": [{"code": code}],
    }
    applicant = bearer(api_token(app, "rst_applicant"))
    answers = _race([lambda: call("POST", "/api/v1/applications", body, applicant) for _ in range(16)])
    assert [status for status, _answer in answers] == [201] * 16, answers
    numbers = sorted(answer["number"] for _status, answer in answers)
    assert numbers == [f"SQ-2026-{n:06d}" for n in range(1, 17)]
