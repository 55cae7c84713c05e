"""Share applications, authorizations, objections and disputes over the API."""

from __future__ import annotations

from flask import Response
from marshmallow import fields
from sqlalchemy import select

from app.access import require
from app.api import api_user, bp
from app.api.schemas import Input, Output, PageOut, PageQuery, page_of, row_id
from app.catalog.schemas import ReasonInput
from app.errors import NotFound
from app.extensions import db
from app.sharing import disputes, objections, printing, services
from app.sharing.models import ApplicationLine, Objection, ShareApplication


class LineInput(Input):
    """A requested resource."""

    code = fields.String(required=True, error_messages={"required": "请填写资源代码"})
    items = fields.List(
        fields.String(), load_default=list, metadata={"description": "申请的信息项；空为全部"}
    )


class ApplicationInput(Input):
    """A share application (办法§13)."""

    purpose = fields.String(required=True, error_messages={"required": "请填写用途"})
    reason = fields.String(required=True, error_messages={"required": "请填写申请理由"})
    business_system = fields.String(required=True, error_messages={"required": "请填写使用数据的业务系统"})
    scope = fields.String(required=True, error_messages={"required": "请填写使用范围"})
    valid_from = fields.String(required=True, error_messages={"required": "请填写使用期限开始日期"})
    valid_to = fields.String(required=True, error_messages={"required": "请填写使用期限结束日期"})
    resources = fields.List(
        fields.Nested(LineInput), required=True, error_messages={"required": "至少申请一个资源"}
    )


class LineOut(Output):
    """One requested resource: its route (platform or provider) and decision."""

    line_id = fields.Integer(attribute="id", metadata={"description": "申请资源编号（提出争议时用）"})
    code = fields.Function(lambda line: line.resource.code)
    name = fields.Function(lambda line: line.resource.name)
    items = fields.List(fields.String())
    refused_items = fields.List(
        fields.String(), allow_none=True, metadata={"description": "部分授权时不予授权的数据项"}
    )
    route = fields.String(allow_none=True)
    via_upper_platform = fields.Boolean()
    decision = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reasons = fields.String(attribute="decision_reasons", allow_none=True)
    basis = fields.String(attribute="decision_basis", allow_none=True)


class ApplicationOut(Output):
    """A share application and its lines."""

    number = fields.String(metadata={"description": "案件编号"})
    status = fields.String()
    applicant_department = fields.Function(lambda a: a.applicant_department.name)
    submitted_at = fields.DateTime()
    purpose = fields.String()
    business_system = fields.String()
    scope = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date()
    check_reasons = fields.String(allow_none=True)
    resources = fields.List(fields.Nested(LineOut), attribute="lines")


class ApplicationListOut(PageOut):
    """My department's applications."""

    items = fields.List(fields.Nested(ApplicationOut))


class AuthorizationOut(Output):
    """An authorization record (办法§21): what may be used, by whom, for what, until when."""

    id = fields.Integer()
    application = fields.Function(lambda a: a.line.application.number, metadata={"description": "案件编号"})
    line_id = fields.Integer(metadata={"description": "申请资源编号（提出争议时用）"})
    resource = fields.Function(lambda a: a.resource.code)
    applicant_department = fields.Function(lambda a: a.applicant_department.name)
    items = fields.List(fields.String())
    bound_parameters = fields.Dict(
        allow_none=True, metadata={"description": "管控参数限定：{参数名: [允许的取值]}"}
    )
    purpose = fields.String()
    business_system = fields.String()
    scope = fields.String()
    conditions = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date()
    revoked_at = fields.DateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)


class AuthorizationListOut(PageOut):
    """Authorizations my department holds or granted."""

    items = fields.List(fields.Nested(AuthorizationOut))


class ObjectionInput(Input):
    """An objection on data received under an authorization (办法§23)."""

    authorization_id = row_id(
        required=True, error_messages={"required": "请填写授权编号", "invalid": "授权编号应为整数"}
    )
    description = fields.String(required=True, error_messages={"required": "请说明异议内容"})
    items = fields.List(fields.String(), load_default=list)
    evidence = fields.String(allow_none=True)


class ObjectionOut(Output):
    """An objection and the provider's answer."""

    number = fields.String()
    status = fields.String()
    authorization_id = fields.Integer()
    resource = fields.Function(lambda o: o.resource.code)
    items = fields.List(fields.String())
    description = fields.String()
    outcome = fields.String(allow_none=True)
    correction = fields.String(allow_none=True)
    explanation = fields.String(allow_none=True)
    raised_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)


def _serve_normally(_objection) -> str:
    return objections.SERVE_NORMALLY


class ObjectionListOut(PageOut):
    """Objections of the user's department."""

    items = fields.List(fields.Nested(ObjectionOut))


class ObjectionCreatedOut(ObjectionOut):
    """A new objection, with the §23 notice that data with valid proof keeps being served."""

    notice = fields.Function(_serve_normally)


class DisputeInput(Input):
    """A dispute (办法§25) about one application line or one disputed objection."""

    topic = fields.String(required=True, error_messages={"required": "请选择分歧事项"})
    description = fields.String(required=True, error_messages={"required": "请说明分歧内容"})
    line_id = row_id(allow_none=True, load_default=None, error_messages={"invalid": "应为整数"})
    objection_number = fields.String(allow_none=True, load_default=None)


def _topic_label(dispute) -> str | None:
    return disputes.TOPICS.get(dispute.topic)


class DisputeOut(Output):
    """A dispute: parties' positions, negotiation record and the leadership office's decision."""

    number = fields.String()
    status = fields.String()
    topic = fields.String()
    topic_label = fields.Function(_topic_label)
    resource = fields.Function(lambda d: d.resource.code)
    line_id = fields.Integer(allow_none=True)
    objection = fields.Function(lambda d: d.objection.number if d.objection else None)
    description = fields.String()
    positions = fields.Function(lambda d: d.positions or {})
    negotiation_record = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_text = fields.String(allow_none=True)
    raised_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class DisputeListOut(PageOut):
    """Disputes the caller's department is party to."""

    items = fields.List(fields.Nested(DisputeOut))


APPLICATIONS = ["共享申请"]
AUTHORIZATIONS = ["授权"]
OBJECTIONS = ["异议"]
DISPUTES = ["争议"]


@bp.post("/applications", tags=APPLICATIONS)
@bp.arguments(ApplicationInput)
@bp.response(201, ApplicationOut)
def create_application(body: dict):
    """提交共享申请（办法§13），返回案件编号"""
    return services.submit_application(api_user(), body)


@bp.get("/applications", tags=APPLICATIONS)
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, ApplicationListOut)
def list_applications(limit: int, offset: int):
    """本部门的申请（新的在前）"""
    return page_of(services.applications_of(api_user().department_id), limit, offset)


@bp.get("/applications/<number>", tags=APPLICATIONS)
@bp.response(200, ApplicationOut)
def get_application(number: str):
    """一件申请（有权查看时）"""
    application = db.session.scalar(select(ShareApplication).where(ShareApplication.number == number))
    if application is None:
        raise NotFound("申请不存在")
    require(api_user(), "application.view", application)
    return application


PDF = {
    "200": {
        "description": "PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@bp.get("/applications/<number>/sheet.pdf", tags=APPLICATIONS)
@bp.doc(responses=PDF)
def application_sheet(number: str):
    """共享申请审批表（PDF，归档用）：申请内容、各资源答复、各环节办理人、时间、结论和意见"""
    return Response(printing.application_sheet(api_user(), number), mimetype="application/pdf")


@bp.get("/authorizations/<int:authorization_id>/certificate.pdf", tags=AUTHORIZATIONS)
@bp.doc(responses=PDF)
def authorization_certificate(authorization_id: int):
    """授权书（PDF）：授权数据项、管控参数限定、有效期、使用系统"""
    return Response(
        printing.authorization_certificate(api_user(), authorization_id), mimetype="application/pdf"
    )


@bp.get("/authorizations", tags=AUTHORIZATIONS)
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, AuthorizationListOut)
def list_authorizations(limit: int, offset: int):
    """本部门持有或授予的授权"""
    return page_of(services.authorizations_of(api_user().department_id), limit, offset)


@bp.post("/authorizations/<int:authorization_id>/revoke", tags=AUTHORIZATIONS)
@bp.arguments(ReasonInput)
@bp.response(200, AuthorizationOut)
def revoke_authorization(body: dict, authorization_id: int):
    """撤销授权，须说明原因"""
    authorization = services.get_authorization(authorization_id)
    return services.revoke_authorization(api_user(), authorization, body["reason"])


@bp.post("/objections", tags=OBJECTIONS)
@bp.arguments(ObjectionInput)
@bp.response(201, ObjectionCreatedOut)
def create_objection(body: dict):
    """提出数据异议（办法§23）；核实期间凭有效证明照常提供"""
    authorization = services.get_authorization(body.pop("authorization_id"))
    return objections.raise_objection(api_user(), authorization, body)


@bp.get("/objections", tags=OBJECTIONS)
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, ObjectionListOut)
def list_objections(limit: int, offset: int):
    """本部门提出或须答复的异议"""
    return page_of(objections.objections_of(api_user().department_id), limit, offset)


@bp.get("/objections/<number>", tags=OBJECTIONS)
@bp.response(200, ObjectionOut)
def get_objection(number: str):
    """一件异议（有权查看时）"""
    return objections.get_objection(api_user(), number)


@bp.get("/disputes", tags=DISPUTES)
@bp.arguments(PageQuery, location="query", as_kwargs=True)
@bp.response(200, DisputeListOut)
def list_disputes(limit: int, offset: int):
    """本部门作为当事方的争议（领导小组办公室可见全部）"""
    return page_of(disputes.disputes_for(api_user()), limit, offset)


@bp.get("/disputes/<number>", tags=DISPUTES)
@bp.response(200, DisputeOut)
def get_dispute(number: str):
    """一件争议（有权查看时）"""
    return disputes.get_dispute(api_user(), number)


@bp.post("/disputes", tags=DISPUTES)
@bp.arguments(DisputeInput)
@bp.response(201, DisputeOut)
def create_dispute(body: dict):
    """提出争议（办法§25）：先协商，协商不成报领导小组办公室"""
    line = objection = None
    if body["line_id"] is not None:
        line = db.session.get(ApplicationLine, body["line_id"])
        if line is None:
            raise NotFound("申请资源不存在")
    if body["objection_number"]:
        objection = db.session.scalar(select(Objection).where(Objection.number == body["objection_number"]))
        if objection is None:
            raise NotFound("异议不存在")
    return disputes.raise_dispute(  # starting its procedure commits
        api_user(), topic=body["topic"], description=body["description"], line=line, objection=objection
    )
