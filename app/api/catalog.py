"""The catalog over the API: search, resources, items, services, history; drafts, submission, withdrawal."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.access import can, require
from app.api import api_user, bp
from app.api.schemas import Output, PageOut, row_id
from app.catalog import services
from app.catalog.models import ResourceStatus
from app.catalog.schemas import ReasonInput, ResourceInput, ServiceInput, resource_summary, version_json
from app.errors import NotFound
from app.extensions import db

TAGS = ["目录"]


class CatalogQuery(Schema):
    """Search filters of the published catalog."""

    q = fields.String(load_default="", metadata={"description": "中文全文检索"})
    provider = row_id(load_default=None, metadata={"description": "提供部门 id"})
    class_ = fields.String(data_key="class", load_default=None, metadata={"description": "资源分类"})
    share_type = fields.String(load_default=None)
    level = fields.String(load_default=None)
    update_cycle = fields.String(load_default=None)
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100, error="必须在 1–100 之间"))
    offset = fields.Integer(
        load_default=0, validate=validate.Range(0, 10_000_000, error="必须在 0–10000000 之间")
    )


class ProviderOut(Output):
    """The providing department."""

    uscc = fields.String()
    name = fields.String()


class ResourceSummaryOut(Output):
    """A resource in a list."""

    code = fields.String(metadata={"description": "资源代码"})
    name = fields.String()
    class_ = fields.String(data_key="class", attribute="class")
    class_label = fields.String()
    subcategory = fields.String(allow_none=True)
    provider = fields.Nested(ProviderOut)
    provider_level = fields.String(allow_none=True)
    share_type = fields.String(allow_none=True)
    update_cycle = fields.String(allow_none=True)
    status = fields.String()


class ResourcePageOut(PageOut):
    """A page of search results (total counted up to 1000: "total_capped" says when it was)."""

    items = fields.List(fields.Nested(ResourceSummaryOut))
    total_capped = fields.Boolean(metadata={"description": "总数超过 1000 时只数到 1000"})


class ResourceDetailOut(ResourceSummaryOut):
    """One resource: the version in force, the open draft (for its department), its services."""

    current_version = fields.Dict(allow_none=True)
    open_version = fields.Dict()
    services = fields.List(fields.Dict())
    may_platform_authorize = fields.Boolean(metadata={"description": "平台可直接授权（办法§21）"})


class ListOut(Output):
    """A list of plain objects."""

    items = fields.List(fields.Dict())


class HistoryOut(Output):
    """Every version of a resource and what changed."""

    versions = fields.List(fields.Dict())


class VersionStateOut(Output):
    """A resource version's state after a change."""

    code = fields.String()
    version = fields.Integer()
    status = fields.String()
    review_business_key = fields.String(allow_none=True)


class ResourceStateOut(Output):
    """A resource's state after a change."""

    code = fields.String()
    status = fields.String()


class ServiceCreatedOut(Output):
    """A registered data service."""

    id = fields.Integer()
    name = fields.String()
    controlled = fields.List(fields.String(), metadata={"description": "管控参数"})


def _visible(code: str):
    resource = services.resource_by_code(code)
    if resource.status != ResourceStatus.PUBLISHED and not can(
        api_user(), "catalog.view_unpublished", resource
    ):
        raise NotFound("资源不存在")
    return resource


def _detail(resource) -> dict:
    current = resource.current_version
    open_version = resource.open_version
    user = api_user()
    body = resource_summary(resource) | {
        "current_version": version_json(current) if current else None,
        "services": services.services_data(resource),
        "may_platform_authorize": services.may_platform_authorize(resource),
    }
    if open_version is not None and can(user, "catalog.view_unpublished", resource):
        body["open_version"] = version_json(open_version)
    return body


@bp.get("/catalog/resources", tags=TAGS)
@bp.arguments(CatalogQuery, location="query")
@bp.response(200, ResourcePageOut)
def catalog_search(args: dict):
    """检索已发布的资源"""
    page = services.browse(
        query=args["q"],
        provider_id=args["provider"],
        resource_class=args["class_"] or None,
        share_type=args["share_type"] or None,
        level=args["level"] or None,
        update_cycle=args["update_cycle"] or None,
        per_page=args["limit"],
        offset=args["offset"],
    )
    return {
        "items": [resource_summary(r) for r in page.items],
        "total": page.total,
        "limit": args["limit"],
        "offset": args["offset"],
        "total_capped": page.total >= page.count_limit,
    }


@bp.get("/catalog/resources/<path:code>/items", tags=TAGS)
@bp.response(200, ListOut)
def catalog_items(code: str):
    """现行版本的信息项"""
    resource = _visible(code)
    version = resource.current_version or resource.open_version
    return {"items": version_json(version)["items"] if version else []}


@bp.get("/catalog/resources/<path:code>/services", tags=TAGS)
@bp.response(200, ListOut)
def catalog_services(code: str):
    """已登记的数据服务及其管控参数"""
    return {"items": services.services_data(_visible(code))}


@bp.get("/catalog/resources/<path:code>/history", tags=TAGS)
@bp.response(200, HistoryOut)
def catalog_history(code: str):
    """各版本的提交、审核与变更内容"""
    resource = _visible(code)
    require(api_user(), "catalog.view_unpublished", resource)
    return dict(
        versions=[
            {
                "number": v.number,
                "status": v.status,
                "created_at": v.created_at.isoformat(),
                "reviewed_at": v.reviewed_at.isoformat() if v.reviewed_at else None,
                "review_comment": v.review_comment,
                "changes": [c.__dict__ for c in changes],
            }
            for v, changes in services.history(resource)
        ]
    )


@bp.post("/catalog/resources/<path:code>/submit", tags=TAGS)
@bp.response(200, VersionStateOut)
def catalog_submit(code: str):
    """提交草稿审核（启动目录审核流程）"""
    resource = services.resource_by_code(code)
    version = services.submit_for_review(api_user(), resource)
    return {
        "code": resource.code,
        "version": version.number,
        "status": version.status,
        "review_business_key": version.review_business_key,
    }


@bp.post("/catalog/resources/<path:code>/withdraw", tags=TAGS)
@bp.arguments(ReasonInput)
@bp.response(200, ResourceStateOut)
def catalog_withdraw(body: dict, code: str):
    """撤回资源，须说明原因"""
    resource = services.withdraw_resource(api_user(), services.resource_by_code(code), body["reason"])
    db.session.commit()
    return {"code": resource.code, "status": resource.status}


@bp.post("/catalog/resources/<path:code>/services", tags=TAGS)
@bp.arguments(ServiceInput)
@bp.response(201, ServiceCreatedOut)
def catalog_register_service(body: dict, code: str):
    """登记数据服务（办法§11）"""
    service = services.register_service(api_user(), services.resource_by_code(code), body)
    return {"id": service.id, "name": service.name, "controlled": service.controlled_parameters}


@bp.get("/catalog/resources/<path:code>", tags=TAGS)
@bp.response(200, ResourceDetailOut)
def catalog_resource(code: str):
    """一个资源：现行版本、信息项、数据服务，以及平台能否直接授权"""
    return _detail(_visible(code))


@bp.put("/catalog/resources/<path:code>", tags=TAGS)
@bp.arguments(ResourceInput)
@bp.response(200, VersionStateOut)
def catalog_edit(body: dict, code: str):
    """编辑草稿（已发布资源则开始新版本）"""
    resource = services.resource_by_code(code)
    version = services.edit_resource(api_user(), resource, body)
    return {"code": resource.code, "version": version.number, "status": version.status}


@bp.post("/catalog/resources", tags=TAGS)
@bp.arguments(ResourceInput)
@bp.response(201, VersionStateOut)
def catalog_create(body: dict):
    """新建资源（本部门草稿）"""
    resource = services.create_resource(api_user(), body)
    return {"code": resource.code, "version": 1, "status": resource.status}
