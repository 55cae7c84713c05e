"""Share applications and authorizations over the API."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import RAISE, Schema, fields
from sqlalchemy import select

from app.access import require
from app.api import api_user, bp
from app.catalog.schemas import ReasonInput, load
from app.errors import NotFound
from app.extensions import db
from app.sharing import services
from app.sharing.models import Authorization, ShareApplication


class LineInput(Schema):
    """A requested resource."""

    class Meta:
        unknown = RAISE

    code = fields.String(required=True, error_messages={"required": "请填写资源代码"})
    items = fields.List(fields.String(), load_default=list)


class ApplicationInput(Schema):
    """A share application (§13)."""

    class Meta:
        unknown = RAISE

    purpose = fields.String(required=True, error_messages={"required": "请填写用途"})
    reason = fields.String(required=True, error_messages={"required": "请填写申请理由"})
    business_system = fields.String(required=True, error_messages={"required": "请填写使用数据的业务系统"})
    scope = fields.String(required=True, error_messages={"required": "请填写使用范围"})
    valid_from = fields.String(required=True, error_messages={"required": "请填写使用期限开始日期"})
    valid_to = fields.String(required=True, error_messages={"required": "请填写使用期限结束日期"})
    resources = fields.List(
        fields.Nested(LineInput), required=True, error_messages={"required": "至少申请一个资源"}
    )


def application_json(application: ShareApplication) -> dict:
    """The API shape of an application and its lines."""
    return {
        "number": application.number,
        "status": application.status,
        "applicant_department": application.applicant_department.name,
        "submitted_at": application.submitted_at.isoformat(),
        "purpose": application.purpose,
        "business_system": application.business_system,
        "scope": application.scope,
        "valid_from": application.valid_from.isoformat(),
        "valid_to": application.valid_to.isoformat(),
        "check_reasons": application.check_reasons,
        "resources": [
            {"code": line.resource.code, "name": line.resource.name, "items": line.items, "route": line.route,
             "via_upper_platform": line.via_upper_platform, "decision": line.decision,
             "decided_at": line.decided_at.isoformat() if line.decided_at else None,
             "reasons": line.decision_reasons, "basis": line.decision_basis}
            for line in application.lines
        ],
    }  # fmt: skip


def authorization_json(authorization: Authorization) -> dict:
    """The API shape of an authorization record."""
    return {
        "id": authorization.id,
        "resource": authorization.resource.code,
        "applicant_department": authorization.applicant_department.name,
        "items": authorization.items,
        "purpose": authorization.purpose,
        "business_system": authorization.business_system,
        "scope": authorization.scope,
        "conditions": authorization.conditions,
        "valid_from": authorization.valid_from.isoformat(),
        "valid_to": authorization.valid_to.isoformat(),
        "revoked_at": authorization.revoked_at.isoformat() if authorization.revoked_at else None,
        "revoked_reason": authorization.revoked_reason,
    }


@bp.post("/applications")
def create_application():
    """Submit an application; 201 with its case number."""
    body = load(ApplicationInput(), request.get_json(silent=True))
    application = services.submit_application(api_user(), body)
    return jsonify(application_json(application)), 201


@bp.get("/applications")
def list_applications():
    """My department's applications."""
    return jsonify(items=[application_json(a) for a in services.applications_of(api_user().department_id)])


@bp.get("/applications/<number>")
def get_application(number: str):
    """One application, if the caller may see it."""
    application = db.session.scalar(select(ShareApplication).where(ShareApplication.number == number))
    if application is None:
        raise NotFound("申请不存在")
    require(api_user(), "application.view", application)
    return jsonify(application_json(application))


@bp.get("/authorizations")
def list_authorizations():
    """Authorizations my department holds or granted."""
    return jsonify(
        items=[authorization_json(a) for a in services.authorizations_of(api_user().department_id)]
    )


@bp.post("/authorizations/<int:authorization_id>/revoke")
def revoke_authorization(authorization_id: int):
    """Revoke an authorization with {"reason": …}."""
    body = load(ReasonInput(), request.get_json(silent=True))
    authorization = db.session.get(Authorization, authorization_id)
    if authorization is None:
        raise NotFound("授权不存在")
    return jsonify(
        authorization_json(services.revoke_authorization(api_user(), authorization, body["reason"]))
    )


class ObjectionInput(Schema):
    """An objection on data received under an authorization (§23)."""

    class Meta:
        unknown = RAISE

    authorization_id = fields.Integer(
        required=True, error_messages={"required": "请填写授权编号", "invalid": "授权编号应为整数"}
    )
    description = fields.String(required=True, error_messages={"required": "请说明异议内容"})
    items = fields.List(fields.String(), load_default=list)
    evidence = fields.String(allow_none=True)


def objection_json(objection) -> dict:
    """The API shape of an objection."""
    return {
        "number": objection.number, "status": objection.status, "resource": objection.resource.code,
        "items": objection.items, "description": objection.description, "outcome": objection.outcome,
        "correction": objection.correction, "explanation": objection.explanation,
        "raised_at": objection.raised_at.isoformat(),
        "answered_at": objection.answered_at.isoformat() if objection.answered_at else None,
    }  # fmt: skip


@bp.post("/objections")
def create_objection():
    """Raise an objection; 201 with its number. While verifying, people with valid proof are served (§23)."""
    from app.sharing.objections import SERVE_NORMALLY, raise_objection

    body = load(ObjectionInput(), request.get_json(silent=True))
    authorization = db.session.get(Authorization, body.pop("authorization_id"))
    if authorization is None:
        raise NotFound("授权不存在")
    objection = raise_objection(api_user(), authorization, body)
    return jsonify(objection_json(objection) | {"notice": SERVE_NORMALLY}), 201


@bp.get("/objections/<number>")
def get_objection(number: str):
    """One objection, if the caller may see it."""
    from app.sharing.objections import get_objection as find

    return jsonify(objection_json(find(api_user(), number)))


class DisputeInput(Schema):
    """A dispute (§25) about one application line or one disputed objection."""

    class Meta:
        unknown = RAISE

    topic = fields.String(required=True, error_messages={"required": "请选择分歧事项"})
    description = fields.String(required=True, error_messages={"required": "请说明分歧内容"})
    line_id = fields.Integer(allow_none=True, load_default=None, error_messages={"invalid": "应为整数"})
    objection_number = fields.String(allow_none=True, load_default=None)


def dispute_json(dispute) -> dict:
    """The API shape of a dispute: parties, positions, negotiation record and decision."""
    from app.sharing.disputes import TOPICS

    return {
        "number": dispute.number, "status": dispute.status, "topic": dispute.topic,
        "topic_label": TOPICS.get(dispute.topic), "resource": dispute.resource.code,
        "line_id": dispute.line_id, "objection": dispute.objection.number if dispute.objection else None,
        "description": dispute.description, "positions": dispute.positions or {},
        "negotiation_record": dispute.negotiation_record, "outcome": dispute.outcome,
        "outcome_text": dispute.outcome_text, "raised_at": dispute.raised_at.isoformat(),
        "decided_at": dispute.decided_at.isoformat() if dispute.decided_at else None,
    }  # fmt: skip


@bp.get("/disputes")
def list_disputes():
    """Disputes the caller's department is party to (all of them for the leadership office)."""
    from app.sharing.disputes import disputes_for

    return jsonify(items=[dispute_json(d) for d in disputes_for(api_user())])


@bp.get("/disputes/<number>")
def get_dispute(number: str):
    """One dispute, if the caller may see it."""
    from app.sharing.disputes import get_dispute as find

    return jsonify(dispute_json(find(api_user(), number)))


@bp.post("/disputes")
def create_dispute():
    """Raise a dispute; 201 with its number. Negotiation starts; unresolved ones go to the leadership office."""
    from app.sharing.disputes import raise_dispute
    from app.sharing.models import ApplicationLine, Objection

    body = load(DisputeInput(), request.get_json(silent=True))
    line = objection = None
    if body["line_id"] is not None:
        line = db.session.get(ApplicationLine, body["line_id"])
        if line is None:
            raise NotFound("申请资源不存在")
    if body["objection_number"]:
        objection = db.session.scalar(select(Objection).where(Objection.number == body["objection_number"]))
        if objection is None:
            raise NotFound("异议不存在")
    dispute = raise_dispute(  # starting its procedure commits
        api_user(), topic=body["topic"], description=body["description"], line=line, objection=objection
    )
    return jsonify(dispute_json(dispute)), 201
