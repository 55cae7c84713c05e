"""POST /api/v1/reuse/check — 复用核验 (#33) for service systems: may this material be taken from sharing instead
of asking the applicant for it, and does the caller's department hold the authorization?"""

from __future__ import annotations

from marshmallow import fields

from app.api import api_user, bp
from app.api.schemas import Input, Output
from app.sharing import reuse


class ReuseIn(Input):
    """The 事项 and the material a service system is about to ask a citizen or company for."""

    matter_code = fields.String(required=True, metadata={"description": "政务服务事项编码"})
    material = fields.String(required=True, metadata={"description": "材料名称（与事项登记一致）"})


class ReuseOut(Output):
    """Whether sharing supplies the material, through which resource, with which authorization."""

    available = fields.Boolean(metadata={"description": "能否通过共享获取"})
    resource = fields.Dict(allow_none=True, metadata={"description": "资源：code、name、items"})
    authorization = fields.Dict(allow_none=True, metadata={"description": "本部门有效的授权：id、valid_to"})
    may_apply = fields.Boolean(metadata={"description": "尚无授权时可申请使用"})
    apply_url = fields.String(allow_none=True, metadata={"description": "申请页面"})
    message = fields.String(metadata={"description": "结论（中文）"})


@bp.post("/reuse/check", tags=["复用核验"])
@bp.arguments(ReuseIn)
@bp.response(200, ReuseOut)
def check(body: dict):
    """复用核验：该事项的这项材料能否通过共享获取，本部门是否已有授权（鄂政办电〔2018〕89号：可共享获取的不得再要求提交）"""
    answer = reuse.check(api_user().department_id, body["matter_code"], body["material"])
    return {"resource": None, "authorization": None, "may_apply": False, "apply_url": None, **answer}
