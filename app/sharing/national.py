"""Cross-province lines through the 国家共享平台 (办法§18), by an outbox.

The service task `forward_national` (resource_authorization.bpmn) records the request and the case waits for the
message `national_answer`; the scheduler's job `national-outbox` (app/scheduler.py) calls the platform outside
any transaction and delivers its answer to that one instance. A call that fails waits a growing pause and is
tried again (each failure on the case's history); after the last attempt the case is handed to the provincial
operator (the answer "manual") and an incident is opened, so an administrator sees the platform is down.
Without a configured endpoint nothing is queued: the operator forwards by hand.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app import clock
from app.audit.writer import record
from app.engine.models import InstanceStatus
from app.engine.operations import operation
from app.engine.runtime import deliver_message, report_incident
from app.engine.scripting import current_run
from app.errors import NotFound
from app.extensions import db, rows_changed, stored
from app.sharing.models import NationalRequest, NationalRequestStatus

ANSWER_MESSAGE = "national_answer"
RETRY_MINUTES = (1, 5, 15, 60)  # pauses after the 1st…4th failure; the 5th failure is the last
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1
CLAIM_MINUTES = 10  # a claimed request not settled by then (the caller died) is tried again


def endpoint() -> str:
    return current_app.config.get("NATIONAL_PLATFORM_ENDPOINT") or ""


@operation(
    "national_forward", sample={"decision": "queued", "request_id": 1, "note": None, "reference": None}
)
def national_forward(
    task, line_id: int, application_number: str, resource_code: str, resource_name: str
) -> dict:
    """Forward one line to the 国家共享平台 (办法§18): queued for the scheduler when an endpoint is
    configured ({"decision": "queued"}, the answer comes as the message national_answer), else
    {"decision": "manual"} and the platform operator carries the request by hand."""
    if not endpoint():
        return {"decision": "manual", "note": "未配置国家共享平台接口"}
    run = current_run()
    now = clock.now()
    request = NationalRequest(
        instance_id=run.instance_id,
        business_key=run.business_key,
        line_id=line_id,
        payload={
            "application": application_number,
            "line": line_id,
            "resource_code": resource_code,
            "resource_name": resource_name,
        },
        status=NationalRequestStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    record(
        "national.queued",
        object_type="application",
        object_id=application_number,
        instance_id=run.instance_id,
        data={"line": line_id, "request": request.id},
    )
    return {"decision": "queued", "request_id": request.id}


def due_request_ids(limit: int = 50) -> list[int]:
    """Requests whose (next) call is due, oldest first."""
    return list(
        db.session.scalars(
            select(NationalRequest.id)
            .where(
                NationalRequest.status == NationalRequestStatus.QUEUED,
                NationalRequest.next_attempt_at <= clock.now(),
            )
            .order_by(NationalRequest.id)
            .limit(limit)
        )
    )


def claim(request_id: int) -> dict | None:
    """Take one request for calling (one process wins): its payload, or None when another process has it.
    The caller commits the claim before it calls."""
    now = clock.now()
    taken = rows_changed(
        update(NationalRequest)
        .where(
            NationalRequest.id == request_id,
            NationalRequest.status == NationalRequestStatus.QUEUED,
            NationalRequest.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + timedelta(minutes=CLAIM_MINUTES))
    )
    if taken != 1:
        return None
    request = stored(NationalRequest, request_id)
    if request.instance.status not in InstanceStatus.OPEN:  # withdrawn or cancelled since: never sent
        request.status, request.settled_at = NationalRequestStatus.ABANDONED, now
        return None
    return request.payload


def call(payload: dict) -> tuple[dict | None, str | None]:
    """Call the platform with one claimed request: (answer, None), or (None, the error in words). A network
    call, made by the scheduler between two transactions, never inside one."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        endpoint(), data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        timeout = current_app.config.get("NATIONAL_PLATFORM_TIMEOUT", 10)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as err:
        return None, f"{type(err).__name__}: {err}"
    return (answer if isinstance(answer, dict) else {}), None


def _as_result(answer: dict) -> dict:
    """The platform's answer as the case reads it (national_result): granted / refused, else manual."""
    decision = answer.get("decision")
    if decision in ("granted", "refused"):
        return {
            "decision": decision,
            "reasons": answer.get("reasons"),
            "basis": answer.get("basis"),
            "reference": answer.get("reference"),
        }
    return {"decision": "manual", "note": "国家共享平台尚未答复", "reference": answer.get("reference")}


def settle(request_id: int, answer: dict | None, error: str | None) -> str:
    """Record how the call went, in the caller's transaction; the request's new status."""
    request = db.session.get(NationalRequest, request_id)
    if request is None or request.status != NationalRequestStatus.QUEUED:
        return request.status if request else NationalRequestStatus.ABANDONED
    now = clock.now()
    request.attempts += 1
    if error is not None:
        request.last_error = error[:1000]
        record(
            "national.forward_failed",
            object_type="application",
            object_id=request.payload.get("application"),
            instance_id=request.instance_id,
            data={"line": request.line_id, "attempt": request.attempts, "error": request.last_error},
        )
        if request.attempts < MAX_ATTEMPTS:
            request.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[request.attempts - 1])
            return request.status
        request.status, request.settled_at = NationalRequestStatus.FAILED, now
        report_incident(
            request.instance_id,
            "NationalPlatformUnavailable",
            f"国家共享平台接口调用 {request.attempts} 次均失败，已转人工办理：{request.last_error}",
            task_name="向国家共享平台提交",
        )
        result = {"decision": "manual", "note": f"国家共享平台接口调用失败：{request.last_error[:200]}"}
    else:
        request.status, request.settled_at, request.answer = NationalRequestStatus.ANSWERED, now, answer
        result = _as_result(answer or {})
    try:
        deliver_message(request.business_key, ANSWER_MESSAGE, result, instance_id=request.instance_id)
    except NotFound:  # the case no longer waits (withdrawn, cancelled)
        request.status = NationalRequestStatus.ABANDONED
    return request.status


def requests_of(business_key: str) -> list[NationalRequest]:
    """A case's requests to the national platform, for its page."""
    return list(
        db.session.scalars(
            select(NationalRequest)
            .where(NationalRequest.business_key == business_key)
            .order_by(NationalRequest.id)
        )
    )
