"""Named service operations that BPMN service tasks call (`spiffworkflow:serviceTaskOperator id="notify"`).

Each operation is app code, registered with @operation, called with the task and its evaluated parameters,
and returns something JSON-serializable (stored in the task's result variable). Errors become incidents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine.scripting import current_run

Operation = Callable[..., Any]
_OPERATIONS: dict[str, Operation] = {}


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register `fn` as the service operation `name`."""

    def register(fn: Operation) -> Operation:
        if name in _OPERATIONS:
            raise RuntimeError(f"operation {name!r} registered twice")
        _OPERATIONS[name] = fn
        return fn

    return register


def known_operations() -> list[str]:
    """Names of all registered operations (validation checks service tasks against them)."""
    return sorted(_OPERATIONS)


def run_operation(name: str, task, params: dict[str, Any]) -> Any:
    """Call operation `name`; LookupError when it does not exist."""
    try:
        fn = _OPERATIONS[name]
    except KeyError:
        raise LookupError(f"未注册的服务操作 {name!r}") from None
    return fn(task=task, **params)


@operation("notify")
def notify(task, message: str, user_id: int | None = None, role: str | None = None,
           department_id: int | None = None, link: str | None = None) -> dict:  # fmt: skip
    """An in-app notification to a user, a role, or a role within a department."""
    from app.engine.notifications import send

    run = current_run()
    note = send(
        message=message,
        user_id=user_id,
        role=role,
        department_id=department_id,
        link=link or (f"/cases/{run.business_key}" if run.business_key else None),
        instance_id=run.instance_id,
    )
    return {"notification_id": note.id}


@operation("catalog_publish")
def catalog_publish(task, version_id: int, comment: str | None = None) -> dict:
    """Put a reviewed catalog version in force (catalog_review.bpmn)."""
    from app.catalog.services import publish_version

    version = publish_version(version_id, current_run().actor_id, comment)
    return {"resource_code": version.resource.code, "version": version.number}


@operation("catalog_return")
def catalog_return(task, version_id: int, comment: str) -> dict:
    """Return a catalog version to its provider with the reviewer's reasons (catalog_review.bpmn)."""
    from app.catalog.services import return_version

    version = return_version(version_id, current_run().actor_id, comment)
    return {"resource_code": version.resource.code, "version": version.number}


@operation("sharing_check_result")
def sharing_check_result(task, application_id: int, accepted: bool, reasons: str | None = None) -> dict:
    """Record the normative check (share_application.bpmn, 办法§19)."""
    from app.sharing.services import record_check

    application = record_check(application_id, current_run().actor_id, bool(accepted), reasons)
    return {"status": application.status}


@operation("sharing_decision")
def sharing_decision(
    task, line_id: int, decision: str, reasons: str | None = None, basis: str | None = None
) -> dict:
    """Record one resource's decision (resource_authorization.bpmn, 办法§20, §21)."""
    from app.sharing.services import record_decision

    line = record_decision(line_id, current_run().actor_id, decision, reasons, basis)
    return {"decision": line.decision}


@operation("sharing_applicant_told")
def sharing_applicant_told(task, line_id: int) -> dict:
    """The platform told the applicant (办法§20)."""
    from app.sharing.services import record_applicant_told

    line = record_applicant_told(line_id)
    return {"told_at": line.applicant_told_at.isoformat()}


@operation("national_forward")
def national_forward(
    task, line_id: int, application_number: str, resource_code: str, resource_name: str
) -> dict:
    """Forward one line to the 国家共享平台 (办法§18) when NATIONAL_PLATFORM_ENDPOINT is configured.

    The endpoint receives the application line as JSON and answers {"decision": "granted" | "refused" |
    "pending", "reasons", "basis", "reference"}. Without an endpoint, on "pending", or when the call fails,
    the answer is {"decision": "manual"} and the platform operator carries the request by hand.
    """
    import json as _json
    import urllib.error
    import urllib.request

    from flask import current_app

    from app.audit.writer import record

    endpoint = current_app.config.get("NATIONAL_PLATFORM_ENDPOINT") or ""
    if not endpoint:
        return {"decision": "manual", "note": "未配置国家共享平台接口"}
    body = _json.dumps({"application": application_number, "line": line_id, "resource_code": resource_code,
                        "resource_name": resource_name}, ensure_ascii=False).encode()  # fmt: skip
    request = urllib.request.Request(
        endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(
            request, timeout=current_app.config.get("NATIONAL_PLATFORM_TIMEOUT", 10)
        ) as response:
            answer = _json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as err:
        record("national.forward_failed", object_type="application", object_id=application_number,
               instance_id=current_run().instance_id, data={"line": line_id, "error": f"{type(err).__name__}: {err}"})  # fmt: skip
        return {"decision": "manual", "note": f"国家共享平台接口调用失败：{type(err).__name__}"}
    decision = answer.get("decision") if isinstance(answer, dict) else None
    if decision not in ("granted", "refused"):
        return {
            "decision": "manual",
            "note": "国家共享平台尚未答复",
            "reference": (answer or {}).get("reference"),
        }
    return {"decision": decision, "reasons": answer.get("reasons"), "basis": answer.get("basis"),
            "reference": answer.get("reference")}  # fmt: skip


@operation("objection_answer")
def objection_answer(task, objection_id: int, outcome: str, correction: str | None = None,
                     explanation: str | None = None) -> dict:  # fmt: skip
    """Record the provider's verification of an objection (objection.bpmn, 办法§23)."""
    from app.sharing.objections import record_answer

    return {
        "status": record_answer(objection_id, current_run().actor_id, outcome, correction, explanation).status
    }


@operation("objection_review")
def objection_review(task, objection_id: int, accepted: bool, comment: str | None = None) -> dict:
    """Record the applicant's review of the answer (objection.bpmn)."""
    from app.sharing.objections import record_review

    return {"status": record_review(objection_id, current_run().actor_id, bool(accepted), comment).status}


@operation("dispute_position")
def dispute_position(task, dispute_id: int, party: str, position: str) -> dict:
    """Record a party's position (dispute.bpmn, 办法§25)."""
    from app.sharing.disputes import record_position

    record_position(dispute_id, party, position, current_run().actor_id)
    return {"party": party}


@operation("dispute_negotiated")
def dispute_negotiated(task, dispute_id: int, agreed: bool, minutes: str, outcome: str | None = None,
                       outcome_text: str | None = None) -> dict:  # fmt: skip
    """Record the negotiation (dispute.bpmn)."""
    from app.sharing.disputes import record_negotiation

    return {
        "status": record_negotiation(
            dispute_id, current_run().actor_id, bool(agreed), minutes, outcome, outcome_text
        ).status
    }


@operation("dispute_decided")
def dispute_decided(task, dispute_id: int, outcome: str, reasons: str) -> dict:
    """Record the leadership office's decision (dispute.bpmn)."""
    from app.sharing.disputes import record_decision

    return {"status": record_decision(dispute_id, current_run().actor_id, outcome, reasons).status}


@operation("offline_decided")
def offline_decided(task, exchange_id: int, approved: bool, reasons: str | None = None) -> dict:
    """Record the approval or refusal of offline exchange (offline_exchange.bpmn, 办法§16)."""
    from app.sharing.supervision import record_offline_decision

    return {
        "status": record_offline_decision(exchange_id, current_run().actor_id, bool(approved), reasons).status
    }


@operation("quality_response")
def quality_response(task, issue_id: int, department_id: int, text: str) -> dict:
    """Record a provider's correction or verification (quality_issue.bpmn, 办法§17)."""
    from app.sharing.supervision import record_quality_response

    record_quality_response(issue_id, department_id, current_run().actor_id, text)
    return {"department_id": department_id}


@operation("quality_resolved")
def quality_resolved(task, issue_id: int, conclusion: str) -> dict:
    """Close a quality issue with the platform's conclusion (quality_issue.bpmn)."""
    from app.sharing.supervision import resolve_quality_issue

    return {"status": resolve_quality_issue(issue_id, current_run().actor_id, conclusion).status}


@operation("rectification_report")
def rectification_report(task, rectification_id: int, measures: str) -> dict:
    """Record the department's rectification report (rectification.bpmn, 办法§31)."""
    from app.supervision.rectification import record_report

    return {"status": record_report(rectification_id, current_run().actor_id, measures).status}


@operation("rectification_verified")
def rectification_verified(task, rectification_id: int, rectified: bool, verification: str) -> dict:
    """Record the 大数据管理机构's verification (rectification.bpmn)."""
    from app.supervision.rectification import record_verification

    item = record_verification(rectification_id, current_run().actor_id, bool(rectified), verification)
    return {"status": item.status}


@operation("rectification_escalate")
def rectification_escalate(task, rectification_id: int) -> dict:
    """Not rectified in time: report to the leadership group (rectification.bpmn, 办法§31)."""
    from app.supervision.rectification import escalate

    return {"status": escalate(rectification_id).status}
