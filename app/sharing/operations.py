"""Sharing operations that BPMN service tasks call: decisions (§19–§21), objections (§23), disputes (§25),
offline exchange (§16) and quality issues (§17), registered with the engine's @operation."""

from __future__ import annotations

from app.engine.forms import form_options
from app.engine.operations import operation
from app.engine.scripting import current_run
from app.extensions import db
from app.org.models import Department
from app.sharing import demands, disputes, objections, offline, quality, services
from app.sharing.models import ApplicationLine


@operation("sharing_check_result")
def sharing_check_result(
    task, application_id: int, accepted: bool, reasons: str | None = None, returned: bool = False
) -> dict:
    """Record the normative check (share_application.bpmn, 办法§19)."""
    application = services.record_check(
        application_id, current_run().actor_id, bool(accepted), reasons, bool(returned)
    )
    return {"status": application.status}


@operation("sharing_completed", sample={"status": "submitted"})
def sharing_completed(
    task,
    application_id: int,
    completion: str,
    purpose: str | None = None,
    reason: str | None = None,
    business_system: str | None = None,
    scope: str | None = None,
    valid_from: str | None = None,
    valid_to: str | None = None,
) -> dict:
    """Record the applicant's completion of a returned application (share_application.bpmn, 退回补正)."""
    data = {
        "completion": completion,
        "purpose": purpose,
        "reason": reason,
        "business_system": business_system,
        "scope": scope,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    application = services.record_completion(application_id, current_run().actor_id, data)
    # the resources as the 补正 left them (revise_application): the procedure authorizes these (recheck)
    return {"status": application.status, "resource_requests": services.resource_requests(application)}


@operation("sharing_routed", sample=lambda line_id, route: {"route": route})
def sharing_routed(task, line_id: int, route: str) -> dict:
    """Record who authorizes a line, as the decision table share_route decided (resource_authorization.bpmn)."""
    return {"route": services.record_route(line_id, route).route}


@operation(
    "sharing_decision", sample=lambda line_id, decision, **_: {"decision": decision, "refused_items": []}
)
def sharing_decision(
    task,
    line_id: int,
    decision: str,
    reasons: str | None = None,
    basis: str | None = None,
    refused_items: list | None = None,
    bound_parameters: str | None = None,
) -> dict:
    """Record one resource's decision, whole or partial, with the 管控参数 values it binds
    (resource_authorization.bpmn, 办法§11, §20, §21)."""
    line = services.record_decision(
        line_id,
        current_run().actor_id,
        decision,
        reasons,
        basis,
        refused_items,
        services.parse_bindings(bound_parameters),
    )
    return {"decision": line.decision, "refused_items": line.refused_items or []}


@operation(
    "sharing_transferred",
    sample=lambda line_id, to_department_id, **_: {"provider_department_id": to_department_id},
)
def sharing_transferred(task, line_id: int, to_department_id: int, reason: str, clock: str = "new") -> dict:
    """转办 (resource_authorization.bpmn, #15): the line's new provider department."""
    line = services.record_transfer(line_id, current_run().actor_id, to_department_id, reason, clock)
    return {"provider_department_id": line.provider_department_id}


@form_options("transfer_departments")
def transfer_departments(data: dict) -> list[tuple[str, str]]:
    """Where a provider's authorization task can be transferred: every other active department that is not a
    platform operator (the one that really holds the resource)."""
    current = data.get("provider_department_id")
    if data.get("route") != "provider":  # only a provider's task (§20) is transferred
        return []
    departments = db.session.scalars(
        db.select(Department)
        .where(Department.active.is_(True), Department.operates_platform.is_(False))
        .order_by(Department.level, Department.id)
    )
    return [(str(d.id), d.short_name) for d in departments if d.id != current] if current else []


@form_options("controlled_parameters")
def controlled_parameters(data: dict) -> list[tuple[str, str]]:
    """The 管控参数 (§11) of the line's resource, whose values a decision may bind."""
    line = db.session.get(ApplicationLine, int(data["line_id"])) if data.get("line_id") else None
    services_of_line = line.resource.services if line is not None else []
    names = dict.fromkeys(
        name for service in services_of_line if service.active for name in service.controlled_parameters
    )
    return [(name, name) for name in names]


@form_options("requested_items")
def requested_items(data: dict) -> list[tuple[str, str]]:
    """The data items requested on the task's line (share_authorization.json: which of them to refuse)."""
    line = db.session.get(ApplicationLine, int(data["line_id"])) if data.get("line_id") else None
    return [(item, item) for item in (line.items if line is not None else [])]


@operation("sharing_applicant_told")
def sharing_applicant_told(task, line_id: int) -> dict:
    """The platform told the applicant (办法§20)."""
    told_at = services.record_applicant_told(line_id).applicant_told_at
    return {"told_at": told_at.isoformat() if told_at else None}


@operation("objection_answer")
def objection_answer(
    task, objection_id: int, outcome: str, correction: str | None = None, explanation: str | None = None
) -> dict:
    """Record the provider's verification of an objection (objection.bpmn, 办法§23)."""
    answered = objections.record_answer(
        objection_id, current_run().actor_id, outcome, correction, explanation
    )
    return {"status": answered.status}


@operation("objection_review")
def objection_review(task, objection_id: int, accepted: bool, comment: str | None = None) -> dict:
    """Record the applicant's review of the answer (objection.bpmn)."""
    return {
        "status": objections.record_review(
            objection_id, current_run().actor_id, bool(accepted), comment
        ).status
    }


@operation("dispute_position")
def dispute_position(task, dispute_id: int, party: str, position: str) -> dict:
    """Record a party's position (dispute.bpmn, 办法§25)."""
    disputes.record_position(dispute_id, party, position, current_run().actor_id)
    return {"party": party}


@operation("dispute_negotiated")
def dispute_negotiated(
    task,
    dispute_id: int,
    agreed: bool,
    minutes: str,
    outcome: str | None = None,
    outcome_text: str | None = None,
) -> dict:
    """Record the negotiation (dispute.bpmn)."""
    dispute = disputes.record_negotiation(
        dispute_id, current_run().actor_id, bool(agreed), minutes, outcome, outcome_text
    )
    return {"status": dispute.status}


@operation("dispute_decided")
def dispute_decided(task, dispute_id: int, outcome: str, reasons: str) -> dict:
    """Record the leadership office's decision (dispute.bpmn)."""
    return {"status": disputes.record_decision(dispute_id, current_run().actor_id, outcome, reasons).status}


@operation("offline_decided")
def offline_decided(task, exchange_id: int, approved: bool, reasons: str | None = None) -> dict:
    """Record the approval or refusal of offline exchange (offline_exchange.bpmn, 办法§16)."""
    exchange = offline.record_offline_decision(exchange_id, current_run().actor_id, bool(approved), reasons)
    return {"status": exchange.status}


@operation("quality_response")
def quality_response(task, issue_id: int, department_id: int, text: str) -> dict:
    """Record a provider's correction or verification (quality_issue.bpmn, 办法§17)."""
    quality.record_quality_response(issue_id, department_id, current_run().actor_id, text)
    return {"department_id": department_id}


@operation("quality_resolved")
def quality_resolved(task, issue_id: int, conclusion: str) -> dict:
    """Close a quality issue with the platform's conclusion (quality_issue.bpmn)."""
    return {"status": quality.resolve_quality_issue(issue_id, current_run().actor_id, conclusion).status}


# --- 供需对接 (#33, bpmn/data_demand.bpmn) -------------------------------------------------------------------


ROUTE_OUTCOMES = {"route": "routed", "merge": "merged", "catalogued": "catalogued"}


@operation(
    "demand_routed",
    sample=lambda demand_id, action, holder_department_id=None, **_: {
        "outcome": ROUTE_OUTCOMES.get(action, "routed"),
        "holder_department_id": int(holder_department_id) if str(holder_department_id).isdigit() else 1,
    },
)
def demand_routed(
    task,
    demand_id: int,
    action: str,
    holder_department_id: str | None = None,
    merge_into: str | None = None,
    resource_code: str | None = None,
    note: str | None = None,
) -> dict:
    """Record the platform's routing of a data demand: to its holder, merged, or already catalogued."""
    return demands.record_route(
        demand_id, current_run().actor_id, action, holder_department_id, merge_into, resource_code, note
    )


@operation(
    "demand_answered",
    sample=lambda demand_id, answer, **_: {  # a test run's promise: some day to wait until
        "outcome": answer,
        "promised_until": "2099-12-31T23:59:59+08:00" if answer == "will" else None,
    },
)
def demand_answered(
    task,
    demand_id: int,
    answer: str,
    promised_on: str | None = None,
    resource_code: str | None = None,
    reasons: str | None = None,
    basis: str | None = None,
) -> dict:
    """Record the holder's answer to a data demand (will catalogue by a date, catalogued, cannot)."""
    return demands.record_answer(
        demand_id, current_run().actor_id, answer, promised_on, resource_code, reasons, basis
    )


@operation("demand_published", sample={"told": 1})
def demand_published(task, demand_id: int) -> dict:
    """The promised resource is published: tell every demander (merged ones included)."""
    return demands.record_fulfilled(demand_id)


@form_options("demand_holders")
def _demand_holders(data: dict) -> list[tuple[str, str]]:
    return demands.holder_options(data.get("demand_id") or 0)


@form_options("similar_demands")
def _similar_demands(data: dict) -> list[tuple[str, str]]:
    return demands.similar_open_demands(data.get("demand_id") or 0)


@operation("sharing_assessed", sample=lambda line_id, passed, **_: {"passed": bool(passed)})
def sharing_assessed(task, line_id: int, passed: bool, opinion: str | None = None) -> dict:
    """Record the 共享安全评估 of a line requesting 重要/核心 or sensitive items (resource_authorization.bpmn, #34)."""
    line = services.record_assessment(line_id, current_run().actor_id, bool(passed), opinion)
    return {"passed": bool((line.assessment or {}).get("passed"))}
