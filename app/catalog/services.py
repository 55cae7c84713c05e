"""Catalog use cases: drafts, submission for review (BPMN catalog_review), publication, withdrawal, data
services, history with field-by-field differences, browse and search."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, exists, func, null, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog import search, sources, watching
from app.catalog.models import DataItem, DataService, Resource, ResourceStatus, ResourceVersion, VersionStatus
from app.catalog.rules import check_resource, code_error, code_prefix, may_authorize_directly
from app.catalog.upkeep import catalog_updated
from app.catalog.vocab import (
    DATA_TYPES,
    FORMATS,
    ITEM_GRADES,
    LEGAL_BASIS_TYPES,
    OPEN_ATTRIBUTES,
    RESOURCE_CLASSES,
    SERVICE_METHODS,
    SHARE_METHODS,
    SHARE_TYPES,
    UPDATE_CYCLES,
    label,
)
from app.db_types import page_window
from app.engine.runtime import start_instance
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.notices.notifications import send
from app.numbering import next_in_sequence
from app.org.models import Department, User
from app.sharing.models import Authorization

REVIEW_PROCESS = "catalog_review"

# Version fields in display order, with their labels and vocabularies (for forms, history and diffs).
VERSION_FIELDS: list[tuple[str, str, dict | None]] = [
    ("name", "资源名称", None),
    ("summary", "摘要", None),
    ("format", "资源格式", FORMATS),
    ("share_type", "共享类型", SHARE_TYPES),
    ("share_conditions", "共享条件", None),
    ("share_method", "共享方式", SHARE_METHODS),
    ("usage_requirements", "使用要求", None),
    ("open_attribute", "开放属性", OPEN_ATTRIBUTES),
    ("update_cycle", "更新周期", UPDATE_CYCLES),
    ("published_on", "发布日期", None),
    ("related_codes", "关联资源代码", None),
    ("legal_basis_type", "不予共享依据类型", LEGAL_BASIS_TYPES),
    ("legal_basis", "不予共享依据", None),
]
ITEM_FIELDS = ("name", "data_type", "length", "share_type", "description", "grade", "sensitive")


# --- reading -------------------------------------------------------------------------------------------


def get_resource(resource_id: int) -> Resource:
    """A resource by id."""
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(_("资源不存在"))
    return resource


def resource_by_code(code: str) -> Resource:
    """A resource by its code."""
    resource = db.session.scalar(select(Resource).where(Resource.code == code))
    if resource is None:
        raise NotFound(_("资源 %(code)s 不存在", code=code))
    return resource


def version_data(version: ResourceVersion) -> dict[str, Any]:
    """A version as the plain dict the rules, forms and API use."""
    data = {field: getattr(version, field) for field, _label, _vocab in VERSION_FIELDS}
    data["published_on"] = version.published_on.isoformat() if version.published_on else None
    data["resource_class"] = version.resource.resource_class
    data["subcategory"] = version.resource.subcategory
    data["items"] = [{f: getattr(item, f) for f in ITEM_FIELDS} for item in version.items]
    return data


def services_data(resource: Resource) -> list[dict[str, Any]]:
    """Active data services as plain dicts."""
    return [
        {
            "id": s.id,
            "name": s.name,
            "method": s.method,
            "endpoint": s.endpoint,
            "description": s.description,
            "parameters": s.parameters or [],
        }
        for s in resource.services
        if s.active
    ]


def has_controlled_parameters(resource: Resource) -> bool:
    """Do the resource's active data services declare 管控参数 (§11)? An input of the routing table."""
    return any(
        param.get("controlled") for service in services_data(resource) for param in service["parameters"]
    )


def may_platform_authorize(resource: Resource) -> bool:
    """Routing (办法§12, §21): may the platform authorize this resource directly? Only 无条件共享 resources
    whose data services declare no 管控参数; everything else goes to the provider (§11, §20)."""
    version = resource.current_version
    if version is None:
        return False
    return may_authorize_directly(version.share_type or "", services_data(resource))


# --- writing drafts --------------------------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    for key in ("share_conditions", "usage_requirements", "legal_basis", "legal_basis_type", "subcategory"):
        if clean.get(key) == "":
            clean[key] = None
    related = clean.get("related_codes") or []
    if isinstance(related, str):
        related = [c for c in re.split(r"[,，;；\s]+", related) if c]
    clean["related_codes"] = related
    return clean


def _apply_fields(version: ResourceVersion, data: dict[str, Any]) -> None:
    for field, _label, _vocab in VERSION_FIELDS:
        if field == "published_on":
            value = data.get(field)
            version.published_on = (
                date.fromisoformat(value) if isinstance(value, str) and value else value or None
            )
        elif field in data:
            setattr(version, field, data[field])
    version.items = [
        DataItem(
            seq=index + 1,
            name=(item.get("name") or "").strip(),
            data_type=item.get("data_type") or "string",
            length=int(item["length"]) if item.get("length") not in (None, "") else None,
            share_type=item.get("share_type") or None,
            description=(item.get("description") or "").strip() or None,
            grade=item.get("grade") or "general",
            sensitive=bool(item.get("sensitive")),
        )
        for index, item in enumerate(data.get("items") or [])
    ]
    version.updated_at = clock.now()


def _check_draft(data: dict[str, Any], *, complete: bool) -> None:
    """Drafts may be incomplete; the rules that make no sense to postpone (types of values) apply at once."""
    errors = check_resource(data)
    if not complete:
        errors = {k: v for k, v in errors.items() if not v.startswith(("请填写", "请选择", "至少需要"))}
    if data.get("published_on"):
        try:
            date.fromisoformat(str(data["published_on"]))
        except ValueError:
            errors["published_on"] = "发布日期格式应为 YYYY-MM-DD"
    if errors:
        raise ValidationFailed(_("资源信息有误"), fields=errors)


def next_code(prefix: str) -> str:
    """The next free code under a 前段码."""
    return next_in_sequence(Resource.code, f"{prefix}/")


def create_resource(actor: User, data: dict[str, Any], *, provider: Department | None = None) -> Resource:
    """Create a resource with its first version as a draft (the provider's clerk, for their department)."""
    provider = provider or actor.department
    require(actor, "catalog.create", provider)
    data = _clean(data)
    _check_draft(data, complete=False)
    resource_class, subcategory = data.get("resource_class"), data.get("subcategory")
    if resource_class not in RESOURCE_CLASSES:  # even a draft needs its class: the code is made from it
        raise ValidationFailed(_("资源信息有误"), fields={"resource_class": "请选择资源分类"})
    sources.check_lead(
        provider.id, resource_class, subcategory
    )  # 一数一源: only the lead catalogues a led class
    prefix = code_prefix(resource_class, subcategory, provider.region.code)
    code = data.get("code") or None
    if code:
        if problem := code_error(code, resource_class, subcategory, provider.region.code):
            raise ValidationFailed(_("资源信息有误"), fields={"code": problem})
        if db.session.scalar(select(Resource.id).where(Resource.code == code)):
            raise ValidationFailed(_("资源信息有误"), fields={"code": "资源代码已被使用"})
    resource = Resource(
        code=code or next_code(prefix),
        resource_class=resource_class,
        subcategory=subcategory,
        provider_department_id=provider.id,
        status=ResourceStatus.DRAFT,
        name=data.get("name") or "",
        provider_level=provider.level,
        created_at=clock.now(),
    )
    version = ResourceVersion(
        number=1, status=VersionStatus.DRAFT, created_by_id=actor.id, created_at=clock.now()
    )
    resource.versions.append(version)
    _apply_fields(version, data)
    db.session.add(resource)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(_("资源代码冲突，请重试")) from None
    record(
        "catalog.created",
        actor=actor,
        object_type="resource",
        object_id=resource.code,
        data={"name": version.name},
    )
    return resource


def edit_resource(actor: User, resource: Resource, data: dict[str, Any]) -> ResourceVersion:
    """Edit the open draft; editing a published resource starts a new version while the old stays in force."""
    require(actor, "catalog.edit", resource)
    if resource.status == ResourceStatus.WITHDRAWN:
        raise Conflict(_("资源已撤销，不能修改"))
    data = _clean(data)
    data["resource_class"], data["subcategory"] = resource.resource_class, resource.subcategory
    _check_draft(data, complete=False)
    version = resource.open_version
    if version is not None and version.status == VersionStatus.IN_REVIEW:
        raise Conflict(_("该资源正在审核中，审核结束后才能修改"))
    if version is None:
        version = ResourceVersion(
            number=len(resource.versions) + 1,
            status=VersionStatus.DRAFT,
            created_by_id=actor.id,
            created_at=clock.now(),
        )
        resource.versions.append(version)
    _apply_fields(version, data)
    if resource.status == ResourceStatus.DRAFT:
        resource.name = version.name
    record(
        "catalog.edited",
        actor=actor,
        object_type="resource",
        object_id=resource.code,
        data={"version": version.number},
    )
    return version


def submit_for_review(actor: User, resource: Resource) -> ResourceVersion:
    """Submit the open version; the rules must all hold; starts the catalog_review process (§6)."""
    require(actor, "catalog.edit", resource)
    version = resource.open_version
    if version is None or version.status not in VersionStatus.EDITABLE:
        raise Conflict(_("没有可提交的草稿"))
    errors = check_resource(version_data(version))
    if errors:
        raise ValidationFailed(_("资源信息不完整或不符合要求，不能提交"), fields=errors)
    sources.check_lead(resource.provider_department_id, resource.resource_class, resource.subcategory)
    version.duplicates = (
        sources.probable_duplicates(version) or None
    )  # shown to the submitter and the reviewer
    version.status = VersionStatus.IN_REVIEW
    version.submitted_at = clock.now()
    version.submitted_by_id = actor.id
    version.review_business_key = f"CAT-{resource.code}-V{version.number}"
    record(
        "catalog.submitted",
        actor=actor,
        object_type="resource",
        object_id=resource.code,
        data={"version": version.number},
    )
    db.session.flush()
    start_instance(
        REVIEW_PROCESS,
        business_key=version.review_business_key,
        data={
            "resource_id": resource.id,
            "version_id": version.id,
            "resource_code": resource.code,
            "resource_name": version.name,
            "provider_department_id": resource.provider_department_id,
            "submitted_at": clock.now().isoformat(),
        },
        actor=actor,
    )
    catalog_updated(resource.provider_department_id, actor)  # a recorded change of duties is met (§6)
    return version


def _review_version(version_id: int) -> ResourceVersion:
    version = db.session.get(ResourceVersion, int(version_id))
    if version is None:
        raise LookupError(f"resource version {version_id} does not exist")
    if version.status != VersionStatus.IN_REVIEW:
        raise RuntimeError(f"resource version {version_id} is {version.status}, not in review")
    return version


def publish_version(version_id: int, reviewer_id: int | None, comment: str | None = None) -> ResourceVersion:
    """Put a reviewed version in force: the previous one is superseded; search is updated (in the caller's
    transaction; called by the catalog_review process)."""
    version = _review_version(version_id)
    resource = version.resource
    previous = next((v for v in resource.versions if v.status == VersionStatus.PUBLISHED), None)
    for other in resource.versions:
        if other.status == VersionStatus.PUBLISHED:
            other.status = VersionStatus.SUPERSEDED
    version.status = VersionStatus.PUBLISHED
    version.reviewed_at = clock.now()
    version.reviewed_by_id = reviewer_id
    version.review_comment = comment
    version.published_on = version.published_on or clock.local_now().date()
    resource.status = ResourceStatus.PUBLISHED
    resource.name = version.name
    resource.share_type = version.share_type
    resource.update_cycle = version.update_cycle
    search.reindex(
        resource, search.search_text_of(version.name, version.summary, [i.name for i in version.items])
    )
    reviewer = db.session.get(User, reviewer_id) if reviewer_id else None
    record(
        "catalog.published",
        actor=reviewer,
        object_type="resource",
        object_id=resource.code,
        data={"version": version.number, "comment": comment},
    )
    if previous is None:
        news = _(
            "%(p)s发布了新资源“%(n)s”（%(c)s）", p=resource.provider.name, n=resource.name, c=resource.code
        )
    else:
        news = _(
            "您关注的资源“%(n)s”发布了第%(v)d版：%(w)s",
            n=resource.name,
            v=version.number,
            w=watching.change_words(diff_versions(previous, version)),
        )
    watching.tell_watchers(resource, f"resource:{resource.id}:v{version.number}", news)
    return version


def return_version(version_id: int, reviewer_id: int | None, comment: str) -> ResourceVersion:
    """Send a version back to its provider with the reviewer's reasons (called by catalog_review)."""
    version = _review_version(version_id)
    version.status = VersionStatus.RETURNED
    version.reviewed_at = clock.now()
    version.reviewed_by_id = reviewer_id
    version.review_comment = comment
    reviewer = db.session.get(User, reviewer_id) if reviewer_id else None
    record(
        "catalog.returned",
        actor=reviewer,
        object_type="resource",
        object_id=version.resource.code,
        data={"version": version.number, "comment": comment},
    )
    return version


def withdraw_resource(actor: User, resource: Resource, reason: str) -> Resource:
    """Withdraw a resource from the catalog (it can no longer be found or requested)."""
    require(actor, "catalog.withdraw", resource)
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写撤销原因"), fields={"reason": _("请填写撤销原因")})
    if resource.status == ResourceStatus.WITHDRAWN:
        raise Conflict(_("资源已撤销"))
    if any(v.status == VersionStatus.IN_REVIEW for v in resource.versions):
        raise Conflict(_("该资源正在审核中，不能撤销"))
    for version in resource.versions:
        if version.status in (VersionStatus.PUBLISHED, *VersionStatus.EDITABLE):
            version.status = VersionStatus.WITHDRAWN
    resource.status = ResourceStatus.WITHDRAWN
    resource.withdrawn_at = clock.now()
    resource.withdrawn_reason = reason.strip()
    search.reindex(resource, None)
    record(
        "catalog.withdrawn",
        actor=actor,
        object_type="resource",
        object_id=resource.code,
        data={"reason": reason},
    )
    watching.tell_watchers(
        resource,
        f"resource:{resource.id}:withdrawn:{resource.withdrawn_at.isoformat()}",
        _("您关注的资源“%(n)s”（%(c)s）已撤销：%(r)s", n=resource.name, c=resource.code, r=reason.strip()),
    )
    _tell_holders(
        resource,
        _(
            "资源“%(name)s”（%(code)s）已撤销：%(reason)s。相关授权不再能调用数据。",
            name=resource.name,
            code=resource.code,
            reason=reason.strip(),
        ),
    )
    return resource


def _tell_holders(resource: Resource, message: str) -> int:
    """Tell every department holding an authorization of `resource` that is still in force (its applicant
    clerks), with a link to the resource; how many departments were told."""
    today = clock.local_now().date()
    holders = db.session.scalars(
        select(Authorization.applicant_department_id)
        .where(
            Authorization.resource_id == resource.id,
            Authorization.revoked_at.is_(None),
            Authorization.valid_to >= today,
        )
        .distinct()
    ).all()
    for department_id in holders:
        send(
            message=message,
            role="applicant_clerk",
            department_id=department_id,
            link=f"/catalog/resources/{resource.code}",
        )
    return len(holders)


def withdrawn_items(resource: Resource) -> set[str]:
    """Names of the data items the version in force no longer shares (不予共享, §8), or every item ("*") of a
    resource withdrawn or no longer shared as a whole. One indexed lookup: the version in force with only its
    items that are not shared, however many versions and items."""
    if resource.status == ResourceStatus.WITHDRAWN:
        return {"*"}
    return withheld_items(resource.id)


def withheld_items(resource_id: int) -> set[str]:
    """withdrawn_items of a resource that is not withdrawn, by its id."""
    rows = db.session.execute(
        select(ResourceVersion.share_type, DataItem.name)
        .outerjoin(
            DataItem, and_(DataItem.version_id == ResourceVersion.id, DataItem.share_type == "not_shared")
        )
        .where(ResourceVersion.resource_id == resource_id, ResourceVersion.status == VersionStatus.PUBLISHED)
    ).all()
    if not rows or rows[0].share_type == "not_shared":
        return {"*"}
    return {name for _share_type, name in rows if name is not None}


WITHDRAWN_ALL, WITHDRAWN_SOME = "*", "items"


def withdrawn_state() -> ColumnElement[str | None]:
    """withdrawn_items as a column of a query over Resource, for the gateway's one statement (#30):
    WITHDRAWN_ALL when the resource is withdrawn, has no version in force or its version in force is not
    shared; WITHDRAWN_SOME when some items of that version are 不予共享 (withheld_items names them); else NULL."""
    in_force = and_(
        ResourceVersion.resource_id == Resource.id, ResourceVersion.status == VersionStatus.PUBLISHED
    )
    return case(
        (Resource.status == ResourceStatus.WITHDRAWN, WITHDRAWN_ALL),
        (~exists().where(in_force).correlate(Resource), WITHDRAWN_ALL),
        (
            exists().where(in_force, ResourceVersion.share_type == "not_shared").correlate(Resource),
            WITHDRAWN_ALL,
        ),
        (
            exists()
            .where(in_force, DataItem.version_id == ResourceVersion.id, DataItem.share_type == "not_shared")
            .correlate(Resource),
            WITHDRAWN_SOME,
        ),
        else_=null(),
    )


# --- data services (§11) -----------------------------------------------------------------------------------


def check_service(data: dict[str, Any]) -> dict[str, str]:
    """Per-field problems of a data service registration."""
    errors: dict[str, str] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = "请填写服务名称"
    if data.get("method") not in SERVICE_METHODS:
        errors["method"] = "服务方式应为：" + "、".join(SERVICE_METHODS.values())
    if data.get("method") == "api" and not (data.get("endpoint") or "").strip():
        errors["endpoint"] = "接口服务须填写地址"
    elif (
        data.get("method") in ("table", "file")
        and not (data.get("endpoint") or data.get("description") or "").strip()
    ):
        errors["description"] = "请填写库表名或文件说明"
    params = data.get("parameters") or []
    if not isinstance(params, list):
        errors["parameters"] = "参数格式不正确"
        params = []
    names: set[str] = set()
    for index, param in enumerate(params):
        name = (param.get("name") or "").strip() if isinstance(param, dict) else ""
        if not name:
            errors[f"parameters[{index}].name"] = f"第{index + 1}个参数缺少名称"
        elif name in names:
            errors[f"parameters[{index}].name"] = f"参数“{name}”重复"
        names.add(name)
    return errors


def register_service(actor: User, resource: Resource, data: dict[str, Any]) -> DataService:
    """Register a data service for a resource and link it to the catalog entry (§11)."""
    require(actor, "catalog.edit", resource)
    errors = check_service(data)
    if errors:
        raise ValidationFailed(_("数据服务信息有误"), fields=errors)
    service = DataService(
        name=data["name"].strip(),
        method=data["method"],
        endpoint=(data.get("endpoint") or "").strip() or None,
        description=(data.get("description") or "").strip() or None,
        parameters=[
            {
                "name": p["name"].strip(),
                "description": (p.get("description") or "").strip(),
                "controlled": bool(p.get("controlled")),
            }
            for p in data.get("parameters") or []
        ],
        created_at=clock.now(),
        created_by_id=actor.id,
    )
    resource.services.append(service)
    db.session.flush()
    record(
        "catalog.service_registered",
        actor=actor,
        object_type="resource",
        object_id=resource.code,
        data={"service": service.name, "controlled": service.controlled_parameters},
    )
    db.session.flush()
    return service


# --- history -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One field that differs between two versions."""

    field: str
    label: str
    old: str
    new: str


def _shown(value: Any, vocab: dict | None) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return label(vocab, value) if vocab else str(value)


def _item_text(item: dict) -> str:
    parts = [label(DATA_TYPES, item["data_type"])]
    if item.get("length"):
        parts.append(f"长度{item['length']}")
    if item.get("share_type"):
        parts.append(label(SHARE_TYPES, item["share_type"]))
    if item.get("grade") not in (None, "general"):
        parts.append(label(ITEM_GRADES, item["grade"]))
    if item.get("sensitive"):
        parts.append("敏感个人信息")
    return "，".join(parts)


def diff_versions(old: ResourceVersion | None, new: ResourceVersion) -> list[Change]:
    """Field-by-field differences from `old` to `new` (items compared by name)."""
    before = version_data(old) if old else {}
    after = version_data(new)
    changes = [
        Change(field, text, _shown(before.get(field), vocab), _shown(after.get(field), vocab))
        for field, text, vocab in VERSION_FIELDS
        if before.get(field) != after.get(field)
    ]
    old_items = {i["name"]: i for i in before.get("items", [])}
    new_items = {i["name"]: i for i in after.get("items", [])}
    for name in new_items.keys() - old_items.keys():
        changes.append(Change("items", f"信息项“{name}”", "—", _item_text(new_items[name])))
    for name in old_items.keys() - new_items.keys():
        changes.append(Change("items", f"信息项“{name}”", _item_text(old_items[name]), "（删除）"))
    for name in old_items.keys() & new_items.keys():
        if _item_text(old_items[name]) != _item_text(new_items[name]):
            changes.append(
                Change("items", f"信息项“{name}”", _item_text(old_items[name]), _item_text(new_items[name]))
            )
    return changes


def history(resource: Resource) -> list[tuple[ResourceVersion, list[Change]]]:
    """Every version, newest first, with what changed from the one before."""
    out = []
    previous = None
    for version in resource.versions:
        out.append((version, diff_versions(previous, version)))
        previous = version
    return list(reversed(out))


# --- browse and search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of results."""

    items: list[Resource]
    total: int
    page: int
    per_page: int
    count_limit: int = 1_000

    @property
    def total_text(self) -> str:
        """ "35" or "1000+"."""
        return f"{self.total}+" if self.total >= self.count_limit else str(self.total)

    @property
    def pages(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // self.per_page))

    @property
    def window(self) -> list[int | None]:
        """Page numbers to link (page_window)."""
        return page_window(self.page, self.pages)


def browse(
    *,
    query: str = "",
    provider_id: int | None = None,
    resource_class: str | None = None,
    share_type: str | None = None,
    level: str | None = None,
    update_cycle: str | None = None,
    page: int = 1,
    per_page: int = 20,
    count_limit: int = 1_000,
    offset: int | None = None,
) -> Page:
    """Published resources matching the filters and the free-text query, newest first.

    The total is counted up to `count_limit` (pages show "1000+"): counting every match of a common word
    would cost more than the page itself.
    """
    conditions = [Resource.status == ResourceStatus.PUBLISHED]
    match = search.matching_ids_clause(query)
    if match is not None:
        conditions.append(match.clause)
    for column, value in (
        (Resource.provider_department_id, provider_id),
        (Resource.resource_class, resource_class),
        (Resource.share_type, share_type),
        (Resource.provider_level, level),
        (Resource.update_cycle, update_cycle),
    ):
        if value:
            conditions.append(column == value)
    newest_first = select(Resource.id).where(*conditions).order_by(Resource.id.desc())
    with _walk_newest_first(match is not None and match.common):
        # Ordered like the page: walking the newest resources stops at the cap.
        total = db.session.scalar(
            select(func.count()).select_from(newest_first.limit(count_limit).subquery())
        )
        page_query = (  # each row's provider with it (the list names it), not one query per row
            select(Resource)
            .options(joinedload(Resource.provider))
            .where(*conditions)
            .order_by(Resource.id.desc())
        )
        start = offset if offset is not None else (page - 1) * per_page
        rows = list(db.session.scalars(page_query.limit(per_page).offset(start)))
    return Page(rows, total or 0, page, per_page, count_limit)


@contextmanager
def _walk_newest_first(common_term: bool):
    """PostgreSQL: for a term most resources hold, walk the primary key newest first with index probes
    instead of hashing every match (its LIKE '%…%' estimates are blind); SQLite plans this by itself."""
    if not common_term or db.engine.dialect.name != "postgresql":
        yield
        return
    db.session.execute(text("SET LOCAL enable_hashjoin = off"))
    db.session.execute(text("SET LOCAL enable_mergejoin = off"))
    try:
        yield
    finally:
        db.session.execute(text("SET LOCAL enable_hashjoin = on"))
        db.session.execute(text("SET LOCAL enable_mergejoin = on"))


def department_catalog(department_id: int) -> list[Resource]:
    """All resources of a provider department, any status."""
    return list(
        db.session.scalars(
            select(Resource).where(Resource.provider_department_id == department_id).order_by(Resource.code)
        )
    )


def review_queue(department_ids=None) -> list[ResourceVersion]:
    """Versions waiting for review, oldest first (of the providers `department_ids`, when given)."""
    query = select(ResourceVersion).where(ResourceVersion.status == VersionStatus.IN_REVIEW)
    if department_ids is not None:
        query = query.join(Resource, ResourceVersion.resource_id == Resource.id).where(
            Resource.provider_department_id.in_(department_ids)
        )
    return list(db.session.scalars(query.order_by(ResourceVersion.submitted_at)))


def load_published(actor: User | None, data: dict[str, Any], provider: Department) -> Resource:
    """Load an existing, already reviewed catalog entry as published (initial load of a platform's catalog
    by an administrator: demo data, Excel import with publication). Every rule still applies."""
    data = _clean(data)
    errors = check_resource(data)
    code = data.get("code")
    if code and (
        problem := code_error(code, data.get("resource_class"), data.get("subcategory"), provider.region.code)
    ):
        errors["code"] = problem
    if errors:
        raise ValidationFailed(_("资源信息有误"), fields=errors)
    prefix = code_prefix(data["resource_class"], data.get("subcategory"), provider.region.code)
    resource = Resource(
        code=code or next_code(prefix),
        resource_class=data["resource_class"],
        subcategory=data.get("subcategory"),
        provider_department_id=provider.id,
        status=ResourceStatus.DRAFT,
        name=data["name"],
        provider_level=provider.level,
        created_at=clock.now(),
    )
    version = ResourceVersion(
        number=1,
        status=VersionStatus.IN_REVIEW,
        created_by_id=actor.id if actor else None,
        created_at=clock.now(),
    )
    resource.versions.append(version)
    _apply_fields(version, data)
    db.session.add(resource)
    db.session.flush()
    publish_version(version.id, actor.id if actor else None, "存量目录导入")
    return resource
