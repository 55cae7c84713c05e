"""复用核验 (#33): "凡是通过政务信息资源共享平台可以获取的信息，一律不得再要求群众重复提交" (鄂政办电〔2018〕89号; the
national 条例 forbids collecting again what sharing can supply). Departments register their 政务服务事项 and the
materials each asks people for, mapped to catalog resources and items (an Excel sheet or the page); a service
system asks "for 事项 M and material K" and hears which resource supplies it and whether its department holds an
authorization (or may apply); a supervision report lists the 事项 still asking for what sharing can supply."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook
from sqlalchemy import select

from app import clock
from app.access import require
from app.audit.writer import record
from app.catalog.models import Resource, ResourceStatus
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.org.models import User
from app.sharing.models import Authorization, MatterMaterial, ServiceMatter
from app.spreadsheets import (
    NOT_A_WORKBOOK,
    WorkbookLimits,
    check_package,
    check_sheet,
    header_row,
    limited_rows,
)

COLUMNS = ("事项编码", "事项名称", "材料名称", "资源代码", "信息项", "仍要求提交")
# files, XML, rows, columns and reading time a 事项 sheet may take (checked as the catalog's import checks them)
LIMITS = WorkbookLimits(2 * 1024 * 1024, 20 * 1024 * 1024, 5000, 32, 20.0)


@dataclass
class Row:
    """One row of the sheet, as read."""

    line: int
    code: str
    name: str
    material: str
    resource_code: str
    items: list[str]
    required: bool


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(_("表格无法读取"), fields={"file": message})


def parse(content: bytes) -> list[Row]:
    """The rows of a 事项 sheet within the shared upload limits (app/spreadsheets.py); every problem named by row
    and column (ValidationFailed "file")."""
    check_package(content, LIMITS, _refuse)
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        check_sheet(sheet, LIMITS, _refuse)
        header = [_cell(v) for v in header_row(sheet, LIMITS)]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ValidationFailed(_("表头不符"), fields={"file": _("缺少列：%(c)s", c="、".join(missing))})
        at = {c: header.index(c) for c in COLUMNS}
        rows, problems = [], []
        for number, values in enumerate(limited_rows(sheet, LIMITS, _refuse, time.monotonic()), start=2):
            cells = {c: _cell(values[i]) if i < len(values) else "" for c, i in at.items()}
            if not any(cells.values()):
                continue
            for column in ("事项编码", "事项名称", "材料名称"):
                if not cells[column]:
                    problems.append(_("第%(r)d行“%(c)s”为空", r=number, c=column))
            if len(cells["事项编码"]) > 64 or len(cells["事项名称"]) > 200 or len(cells["材料名称"]) > 200:
                problems.append(_("第%(r)d行内容过长", r=number))
            required = cells["仍要求提交"] in ("", "是", "Y", "y", "1")
            if cells["仍要求提交"] not in ("", "是", "否", "Y", "N", "y", "n", "1", "0"):
                problems.append(_("第%(r)d行“仍要求提交”应为“是”或“否”", r=number))
            items = [
                i.strip()
                for i in cells["信息项"].replace("，", "、").replace(",", "、").split("、")
                if i.strip()
            ]
            rows.append(
                Row(
                    number,
                    cells["事项编码"],
                    cells["事项名称"],
                    cells["材料名称"],
                    cells["资源代码"],
                    items,
                    required,
                )
            )
    except NOT_A_WORKBOOK:
        raise _refuse(_("请上传 .xlsx 文件（按模板填写）")) from None
    if problems:
        raise ValidationFailed(_("表格填写有误"), fields={"file": "；".join(problems[:20])})
    return rows


def import_matters(actor: User, content: bytes) -> int:
    """Register (or replace) the actor's department's 事项 from a sheet; returns how many materials were kept.
    A 事项 code of another department is refused; a resource code must be published and its items exist. Not
    committed here."""
    require(actor, "matter.manage")
    rows = parse(content)
    problems = []
    matters: dict[str, ServiceMatter] = {}
    resources: dict[str, Resource | None] = {}
    for row in rows:
        matter = matters.get(row.code) or db.session.scalar(
            select(ServiceMatter).where(ServiceMatter.code == row.code)
        )
        if matter is not None and matter.department_id != actor.department_id:
            problems.append(
                _("第%(r)d行：事项 %(c)s 属于%(d)s", r=row.line, c=row.code, d=matter.department.name)
            )
            continue
        if matter is None:
            matter = ServiceMatter(code=row.code, name=row.name, department_id=actor.department_id)
            db.session.add(matter)
        elif row.code not in matters:
            matter.materials.clear()  # the sheet replaces the 事项's materials
        matter.name, matter.updated_at = row.name, clock.now()
        matters[row.code] = matter
        resource = None
        if row.resource_code:
            if row.resource_code not in resources:
                resources[row.resource_code] = db.session.scalar(
                    select(Resource).where(Resource.code == row.resource_code)
                )
            resource = resources[row.resource_code]
            if resource is None or resource.status != ResourceStatus.PUBLISHED:
                problems.append(_("第%(r)d行：资源 %(c)s 不存在或未发布", r=row.line, c=row.resource_code))
                continue
            known = {i.name for i in resource.current_version.items} if resource.current_version else set()
            unknown = [i for i in row.items if i not in known]
            if unknown:
                problems.append(
                    _(
                        "第%(r)d行：资源“%(n)s”没有信息项 %(i)s",
                        r=row.line,
                        n=resource.name,
                        i="、".join(unknown),
                    )
                )
                continue
        if any(m.name == row.material for m in matter.materials):
            problems.append(_("第%(r)d行：材料“%(m)s”重复", r=row.line, m=row.material))
            continue
        matter.materials.append(
            MatterMaterial(
                name=row.material,
                resource_id=resource.id if resource else None,
                items=row.items or None,
                still_required=row.required,
            )
        )
    if problems:
        raise ValidationFailed(_("表格填写有误"), fields={"file": "；".join(problems[:20])})
    db.session.flush()
    record(
        "matter.imported",
        actor=actor,
        object_type="department",
        object_id=str(actor.department_id),
        data={"matters": sorted(matters), "materials": len(rows)},
    )
    return len(rows)


def matters_of(department_id: int) -> list[ServiceMatter]:
    """A department's 事项 with their materials."""
    return list(
        db.session.scalars(
            select(ServiceMatter)
            .where(ServiceMatter.department_id == department_id)
            .order_by(ServiceMatter.code)
        )
    )


def set_required(actor: User, material_id: int, required: bool) -> MatterMaterial:
    """Whether the 事项 still asks people for a material (the owner department says it no longer does)."""
    material = db.session.get(MatterMaterial, material_id)
    if material is None:
        raise NotFound(_("材料不存在"))
    require(actor, "matter.edit", material.matter)
    material.still_required = required
    record(
        "matter.material_changed",
        actor=actor,
        object_type="matter",
        object_id=material.matter.code,
        data={"material": material.name, "still_required": required},
    )
    return material


def check(
    department_id: int, matter_code: str, material_name: str, at: datetime | None = None
) -> dict[str, Any]:
    """For 事项 M and material K: the resource that supplies it, and the caller department's authorization in
    force (or that it may apply). Two indexed lookups."""
    at = at or clock.now()
    found = db.session.execute(
        select(MatterMaterial, Resource)
        .join(ServiceMatter, ServiceMatter.id == MatterMaterial.matter_id)
        .outerjoin(Resource, Resource.id == MatterMaterial.resource_id)
        .where(ServiceMatter.code == matter_code, MatterMaterial.name == material_name)
    ).first()
    if found is None:
        raise NotFound(_("没有登记事项 %(m)s 的材料“%(k)s”", m=matter_code[:64], k=material_name[:200]))
    material, resource = found
    if resource is None or resource.status != ResourceStatus.PUBLISHED:
        return {"available": False, "message": _("该材料目前不能通过共享获取，仍需申请人提交")}
    today = at.astimezone(clock.SHANGHAI).date()
    held = db.session.scalar(
        select(Authorization)
        .where(
            Authorization.applicant_department_id == department_id,
            Authorization.resource_id == resource.id,
            Authorization.revoked_at.is_(None),
            Authorization.valid_from <= today,
            Authorization.valid_to >= today,
        )
        .order_by(Authorization.valid_to.desc())
        .limit(1)
    )
    answer: dict[str, Any] = {
        "available": True,
        "resource": {"code": resource.code, "name": resource.name, "items": material.items or []},
        "authorization": {"id": held.id, "valid_to": held.valid_to.isoformat()} if held else None,
        "may_apply": held is None,
        "apply_url": None if held else f"/applications/new?resource={resource.code}",
    }
    answer["message"] = (
        _(
            "可通过共享获取：资源“%(r)s”，本部门授权有效至 %(d)s；不得再要求申请人提交",
            r=resource.name,
            d=held.valid_to.isoformat(),
        )
        if held
        else _("可通过共享获取：资源“%(r)s”；本部门尚无授权，可申请使用", r=resource.name)
    )
    return answer


def still_asked(department_ids: list[int] | None) -> list[tuple[ServiceMatter, MatterMaterial]]:
    """事项 still asking people for a material that a published resource supplies (the report), by department."""
    query = (
        select(ServiceMatter, MatterMaterial)
        .join(MatterMaterial, MatterMaterial.matter_id == ServiceMatter.id)
        .join(Resource, Resource.id == MatterMaterial.resource_id)
        .where(MatterMaterial.still_required.is_(True), Resource.status == ResourceStatus.PUBLISHED)
        .order_by(ServiceMatter.department_id, ServiceMatter.code, MatterMaterial.id)
    )
    if department_ids is not None:
        query = query.where(ServiceMatter.department_id.in_(department_ids))
    return [(m, k) for m, k in db.session.execute(query)]
