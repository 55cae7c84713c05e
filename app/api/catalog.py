"""The catalog over the API: search, resources, items, services, history; drafts, submission, withdrawal."""

from __future__ import annotations

from flask import jsonify, request

from app.access import can, require
from app.api import api_user, bp, int_arg
from app.catalog import services
from app.catalog.models import ResourceStatus
from app.catalog.schemas import ReasonInput, ResourceInput, ServiceInput, load, resource_summary, version_json
from app.errors import NotFound, ValidationFailed


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


@bp.get("/catalog/resources")
def catalog_search():
    """Published resources: q (Chinese free text), provider (id), class, share_type, level, update_cycle."""
    args = request.args
    provider = args.get("provider")
    if provider is not None and not provider.isdigit():
        raise ValidationFailed("参数有误", fields={"provider": "应为部门 id"})
    page = services.browse(
        query=args.get("q", ""),
        provider_id=int(provider) if provider else None,
        resource_class=args.get("class") or None,
        share_type=args.get("share_type") or None,
        level=args.get("level") or None,
        update_cycle=args.get("update_cycle") or None,
        page=int_arg("page", 1, 1, 100_000),
        per_page=int_arg("per_page", 20, 1, 100),
    )
    return jsonify(items=[resource_summary(r) for r in page.items], total=page.total, page=page.page,
                   per_page=page.per_page)  # fmt: skip


@bp.get("/catalog/resources/<path:code>/items")
def catalog_items(code: str):
    """The data items of the version in force, marking which may be requested."""
    resource = _visible(code)
    version = resource.current_version or resource.open_version
    return jsonify(items=version_json(version)["items"] if version else [])


@bp.get("/catalog/resources/<path:code>/services")
def catalog_services(code: str):
    """Registered data services and their 管控参数."""
    return jsonify(items=services.services_data(_visible(code)))


@bp.get("/catalog/resources/<path:code>/history")
def catalog_history(code: str):
    """Every version with who and when, and what changed."""
    resource = _visible(code)
    require(api_user(), "catalog.view_unpublished", resource)
    return jsonify(
        versions=[
            {"number": v.number, "status": v.status, "created_at": v.created_at.isoformat(),
             "reviewed_at": v.reviewed_at.isoformat() if v.reviewed_at else None,
             "review_comment": v.review_comment,
             "changes": [c.__dict__ for c in changes]}
            for v, changes in services.history(resource)
        ]
    )  # fmt: skip


@bp.post("/catalog/resources/<path:code>/submit")
def catalog_submit(code: str):
    """Submit the open draft for review (starts catalog_review)."""
    resource = services.resource_by_code(code)
    version = services.submit_for_review(api_user(), resource)
    return jsonify(code=resource.code, version=version.number, status=version.status,
                   review_business_key=version.review_business_key)  # fmt: skip


@bp.post("/catalog/resources/<path:code>/withdraw")
def catalog_withdraw(code: str):
    """Withdraw a resource with a reason."""
    body = load(ReasonInput(), request.get_json(silent=True))
    resource = services.withdraw_resource(api_user(), services.resource_by_code(code), body["reason"])
    return jsonify(code=resource.code, status=resource.status)


@bp.post("/catalog/resources/<path:code>/services")
def catalog_register_service(code: str):
    """Register a data service (§11)."""
    body = load(ServiceInput(), request.get_json(silent=True))
    service = services.register_service(api_user(), services.resource_by_code(code), body)
    return jsonify(id=service.id, name=service.name, controlled=service.controlled_parameters), 201


@bp.get("/catalog/resources/<path:code>")
def catalog_resource(code: str):
    """One resource: the version in force, its items and services, and whether the platform may authorize it."""
    return jsonify(_detail(_visible(code)))


@bp.put("/catalog/resources/<path:code>")
def catalog_edit(code: str):
    """Edit the draft (or start a new version of a published resource)."""
    body = load(ResourceInput(), request.get_json(silent=True))
    resource = services.resource_by_code(code)
    version = services.edit_resource(api_user(), resource, body)
    return jsonify(code=resource.code, version=version.number, status=version.status)


@bp.post("/catalog/resources")
def catalog_create():
    """Create a resource as a draft of the caller's department."""
    body = load(ResourceInput(), request.get_json(silent=True))
    resource = services.create_resource(api_user(), body)
    return jsonify(code=resource.code, version=1, status=resource.status), 201
