"""一数一源 (#34, 办法§8(二)(三)): each base resource class (人口、法人、自然资源和空间地理、电子证照…) and each topic has
one lead department, set by the data bureau; only the lead may catalogue resources of it. A version submitted for
review is compared with what other departments already catalogue — the same item name, or the same definition —
and the probable duplicates, with their source, are shown to the submitter and the reviewer (same data → the
entry should reference the source resource instead of cataloguing it again)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog.models import CatalogLead, DataItem, Resource, ResourceVersion, VersionStatus
from app.catalog.vocab import BASE_CATEGORIES, TOPICS
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.org.models import Department, User

LED_CLASSES = {"base": BASE_CATEGORIES, "topic": TOPICS}


def leads() -> list[CatalogLead]:
    """Every lead department, by class and subcategory."""
    return list(
        db.session.scalars(select(CatalogLead).order_by(CatalogLead.resource_class, CatalogLead.subcategory))
    )


def lead_for(resource_class: str | None, subcategory: str | None) -> CatalogLead | None:
    """The lead of a class and subcategory, if the data bureau set one."""
    if resource_class not in LED_CLASSES or not subcategory:
        return None
    return db.session.scalar(
        select(CatalogLead).where(
            CatalogLead.resource_class == resource_class, CatalogLead.subcategory == subcategory
        )
    )


def set_lead(actor: User, resource_class: str, subcategory: str, department_id: int) -> CatalogLead:
    """The data bureau names (or changes) the lead department of a base class or topic. Not committed here."""
    require(actor, "catalog.leads")
    if subcategory not in LED_CLASSES.get(resource_class, {}):
        raise ValidationFailed(
            _("类别无效"), fields={"subcategory": _("请选择基础信息资源或主题信息资源的类别")}
        )
    department = db.session.get(Department, department_id)
    if department is None or not department.active:
        raise ValidationFailed(_("部门无效"), fields={"department_id": _("请选择部门")})
    lead = lead_for(resource_class, subcategory) or CatalogLead(
        resource_class=resource_class, subcategory=subcategory
    )
    lead.department_id, lead.set_by_id, lead.set_at = department.id, actor.id, clock.now()
    db.session.add(lead)
    db.session.flush()
    record(
        "catalog.lead_set",
        actor=actor,
        object_type="department",
        object_id=str(department.id),
        data={"class": resource_class, "subcategory": subcategory},
    )
    return lead


def remove_lead(actor: User, lead_id: int) -> None:
    """No lead any more for that class (any provider may catalogue it again)."""
    require(actor, "catalog.leads")
    lead = db.session.get(CatalogLead, lead_id)
    if lead is None:
        raise NotFound(_("没有这项设置"))
    record(
        "catalog.lead_removed",
        actor=actor,
        object_type="department",
        object_id=str(lead.department_id),
        data={"class": lead.resource_class, "subcategory": lead.subcategory},
    )
    db.session.delete(lead)


def check_lead(department_id: int, resource_class: str | None, subcategory: str | None) -> None:
    """Refuse a resource of a led class or topic from another department (一数一源), naming the lead."""
    lead = lead_for(resource_class, subcategory)
    if lead is not None and lead.department_id != department_id:
        category = LED_CLASSES[resource_class or ""][subcategory or ""]
        message = _(
            "“%(c)s”由%(d)s牵头编目（一数一源，办法§8）；本部门需要的，请申请使用或请牵头部门补充",
            c=category,
            d=lead.department.name,
        )
        raise ValidationFailed(message, fields={"subcategory": message})


def _key(text: str | None) -> str:
    return re.sub(r"[\s（）()\[\]【】·._\-—]", "", text or "").lower()


def probable_duplicates(version: ResourceVersion) -> list[dict[str, Any]]:
    """Items of `version` that another department's published resource already has: the same name (ignoring
    spaces and brackets) or the same definition (description). Indexed by name; definitions among those found."""
    resource = version.resource
    names = {_key(i.name): i.name for i in version.items if _key(i.name)}
    definitions = {_key(i.description): i.name for i in version.items if len(_key(i.description)) >= 6}
    if not names and not definitions:
        return []
    rows = db.session.execute(
        select(DataItem.name, DataItem.description, Resource.code, Resource.name, Department.name)
        .join(ResourceVersion, ResourceVersion.id == DataItem.version_id)
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .join(Department, Department.id == Resource.provider_department_id)
        .where(
            ResourceVersion.status == VersionStatus.PUBLISHED,
            Resource.provider_department_id != resource.provider_department_id,
            or_(
                DataItem.name.in_(list(names.values())),
                DataItem.description.in_(
                    [i.description for i in version.items if len(_key(i.description)) >= 6]
                ),
            ),
        )
        .limit(200)
    )
    found = []
    for name, description, code, resource_name, provider in rows:
        own = names.get(_key(name)) or definitions.get(_key(description))
        if own:
            found.append(
                {
                    "item": own,
                    "source_item": name,
                    "resource_code": code,
                    "resource_name": resource_name,
                    "provider": provider,
                }
            )
    return found
