"""The exchange gateway's question (办法§14, §24, §27): may this call be served? Its own credential kind
(`Authorization: Bearer gw_…`, issued with `govshare gateway issue NAME`), never a person's token, and it can
do nothing else. Every decision is recorded as a data call unless the gateway says it only asks."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app import clock
from app.api import Unauthorized
from app.api.schemas import Input, Output
from app.auth.services import gateway_for_token, note_gateway_use
from app.ops import metrics
from app.sharing.gateway import MESSAGES, decide
from app.supervision.calls import record_gateway_decision

gateway_bp = Blueprint(
    "gateway",
    __name__,
    url_prefix="/api/v1/authorizations",
    description="交换网关：调用前的授权判定（办法§14、§24）",
)
TAGS = ["交换网关"]


@gateway_bp.before_request
def authenticate_gateway() -> None:
    """Only an exchange gateway's credential (gw_…) is accepted here."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    credential = gateway_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if credential is None:
        raise Unauthorized(
            _("需要有效的交换网关凭证（Bearer gw_…）；个人访问令牌不能调用此接口"), code="gateway_only"
        )
    g.gateway = credential


def _text(limit: int, **kwargs):
    return fields.String(validate=validate.Length(1, limit, error=f"长度应为 1–{limit}"), **kwargs)


class CheckInput(Input):
    """One call the gateway is about to serve."""

    caller_uscc = fields.String(
        required=True,
        validate=validate.Length(18, 18, error="应为18位统一社会信用代码"),
        metadata={"description": "调用部门的统一社会信用代码"},
    )
    business_system = _text(
        200, required=True, metadata={"description": "发起调用的业务系统（须与授权一致，§14）"}
    )
    resource_code = _text(64, required=True, metadata={"description": "资源代码"})
    service = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200, error="过长"),
        metadata={"description": "数据服务名称（记录用）"},
    )
    items = fields.List(
        _text(200),
        load_default=list,
        validate=validate.Length(max=500, error="最多 500 项"),
        metadata={"description": "请求的数据项"},
    )
    parameters = fields.Dict(
        keys=_text(64),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=validate.Length(max=50, error="最多 50 个参数"),
        metadata={"description": "管控参数及取值（§11）"},
    )
    at = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "调用时间，默认现在"}
    )
    record = fields.Boolean(load_default=True, metadata={"description": "是否记为一次数据调用（默认是）"})


class CheckOut(Output):
    """Permit or deny, with the reason and the authorization concerned."""

    decision = fields.String(metadata={"description": "permit 或 deny"})
    reason = fields.String(
        metadata={
            "description": "原因代码：permitted、no_authorization、revoked、expired、"
            "not_yet_valid、wrong_system、item_not_granted、parameter_missing、"
            "parameter_outside_binding、unknown_caller、unknown_resource"
        }
    )
    message = fields.String()
    authorization_id = fields.Integer(allow_none=True)
    detail = fields.Dict()


@gateway_bp.post("/check")
@gateway_bp.arguments(CheckInput())  # one schema instance: none built per check (#30)
@gateway_bp.response(200, CheckOut())
@gateway_bp.doc(tags=TAGS, security=[{"gateway": []}])
def check(body: dict):
    """Decide one call before it is served; revocation and expiry act at once."""
    at = body["at"] or clock.now()
    decision = decide(
        body["caller_uscc"],
        body["business_system"],
        body["resource_code"],
        body["items"],
        body["parameters"],
        at,
    )
    if body["record"]:
        record_gateway_decision(decision, body["caller_uscc"], body["resource_code"], body["service"], at)
    note_gateway_use(g.gateway)
    metrics.gateway_decided(decision.permit, decision.reason)
    return {  # committed by the unit of work around the view
        "decision": "permit" if decision.permit else "deny",
        "reason": decision.reason,
        "message": MESSAGES[decision.reason],
        "authorization_id": decision.authorization_id,
        "detail": decision.detail,
    }
