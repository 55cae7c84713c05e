"""Excel import and export of the catalog (.xlsx, a layout close to the 目录编制指南 template):
sheet 信息资源 (one row per resource) and sheet 信息项 (one row per data item, linked by 资源代码 or 资源名称).

Import checks every row and imports nothing when any row is wrong; the report names sheet, row and column.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from app.catalog.models import Resource, ResourceStatus
from app.catalog.rules import check_resource, code_error
from app.catalog.services import create_resource, load_published, version_data
from app.catalog.vocab import (
    BASE_CATEGORIES,
    DATA_TYPES,
    FORMATS,
    ITEM_GRADES,
    LEGAL_BASIS_TYPES,
    OPEN_ATTRIBUTES,
    RESOURCE_CLASSES,
    SHARE_METHODS,
    SHARE_TYPES,
    TOPICS,
    UPDATE_CYCLES,
    code_for,
    label,
)
from app.errors import ValidationFailed
from app.extensions import db
from app.org.models import Department, User
from app.org.roles import Role
from app.spreadsheets import (
    NOT_A_WORKBOOK,
    WorkbookLimits,
    append_row,
    check_package,
    check_sheet,
    header_row,
    limited_rows,
)

RESOURCE_SHEET = "信息资源"
ITEM_SHEET = "信息项"


def subcategories(resource_class: str | None) -> dict[str, str]:
    """The 子类 vocabulary of a class: base categories and topics share their codes (01, 02, …)."""
    return {"base": BASE_CATEGORIES, "topic": TOPICS}.get(resource_class or "", {})


# (header, field, vocabulary)
RESOURCE_COLUMNS = [
    ("资源代码", "code", None),
    ("资源分类", "resource_class", RESOURCE_CLASSES),
    ("子类", "subcategory", None),
    ("资源名称", "name", None),
    ("提供方代码", "provider_uscc", None),
    ("提供方名称", "provider_name", None),
    ("资源摘要", "summary", None),
    ("资源格式", "format", FORMATS),
    ("共享类型", "share_type", SHARE_TYPES),
    ("共享条件", "share_conditions", None),
    ("共享方式", "share_method", SHARE_METHODS),
    ("使用要求", "usage_requirements", None),
    ("开放属性", "open_attribute", OPEN_ATTRIBUTES),
    ("更新周期", "update_cycle", UPDATE_CYCLES),
    ("发布日期", "published_on", None),
    ("关联资源代码", "related_codes", None),
    ("不予共享依据类型", "legal_basis_type", LEGAL_BASIS_TYPES),
    ("不予共享依据", "legal_basis", None),
]
ITEM_COLUMNS = [
    ("资源代码", "code", None),
    ("资源名称", "resource_name", None),
    ("序号", "seq", None),
    ("信息项名称", "name", None),
    ("数据类型", "data_type", DATA_TYPES),
    ("长度", "length", None),
    ("共享类型", "share_type", SHARE_TYPES),
    ("说明", "description", None),
    ("数据分级", "grade", ITEM_GRADES),  # optional columns (#34): 一般数据 when absent
    ("敏感个人信息", "sensitive", None),
]
OPTIONAL_ITEM_FIELDS = {"grade", "sensitive"}
HEADERS = {field: header for header, field, _v in RESOURCE_COLUMNS} | {"items": "信息项"}


@dataclass(frozen=True)
class RowError:
    """One problem in the workbook, located."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet} 第{self.row}行 {self.column}：{self.message}"


class ImportFailed(ValidationFailed):
    """The workbook has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(
            f"导入失败：共 {len(errors)} 处错误，未导入任何数据",
            fields={str(i): str(e) for i, e in enumerate(errors)},
        )
        self.errors = errors


# --- export ------------------------------------------------------------------------------------------------


def export_workbook(resources: list[Resource]) -> bytes:
    """The resources' versions in force (or open drafts) as an .xlsx file."""
    book = Workbook()
    sheet = book.active
    sheet.title = RESOURCE_SHEET
    items_sheet = book.create_sheet(ITEM_SHEET)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F2DCDB")
    for target, columns in ((sheet, RESOURCE_COLUMNS), (items_sheet, ITEM_COLUMNS)):
        target.append([header for header, _f, _v in columns])
        for cell in target[1]:
            cell.font, cell.fill = bold, fill
        target.freeze_panes = "A2"
    for resource in resources:
        version = resource.current_version or resource.open_version
        if version is None:
            continue
        data = version_data(version)
        row = []
        for _header, field, vocab in RESOURCE_COLUMNS:
            value: Any
            if field == "code":
                value = resource.code
            elif field == "provider_uscc":
                value = resource.provider.uscc
            elif field == "provider_name":
                value = resource.provider.name
            elif field == "subcategory":
                value = (
                    label(subcategories(resource.resource_class), resource.subcategory)
                    if resource.subcategory
                    else None
                )
            elif field == "related_codes":
                value = ",".join(data["related_codes"] or []) or None
            else:
                value = data.get(field)
                value = label(vocab, value) if vocab and value else value
            row.append(value)
        append_row(sheet, row)
        for seq, item in enumerate(data["items"], start=1):
            append_row(
                items_sheet,
                [
                    resource.code,
                    version.name,
                    seq,
                    item["name"],
                    label(DATA_TYPES, item["data_type"]),
                    item["length"],
                    label(SHARE_TYPES, item["share_type"]) if item["share_type"] else None,
                    item["description"],
                    label(ITEM_GRADES, item["grade"]),
                    "是" if item["sensitive"] else "否",
                ],
            )
    for target in (sheet, items_sheet):
        for column in target.columns:
            width = max(len(str(c.value or "")) for c in column)
            target.column_dimensions[column[0].column_letter].width = min(60, max(10, width * 1.6))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- import ------------------------------------------------------------------------------------------------


@dataclass
class ParsedResource:
    """A resource read from the workbook, ready for the rules."""

    row: int
    data: dict[str, Any]
    provider: Department | None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _header_map(sheet, columns, errors: list[RowError]) -> dict[str, int]:
    first = header_row(sheet, _limits())
    headers = {(_text(value) or ""): i for i, value in enumerate(first)}
    found = {}
    for header, field, _vocab in columns:
        if header not in headers:
            if columns is ITEM_COLUMNS and field in OPTIONAL_ITEM_FIELDS:
                continue
            errors.append(RowError(sheet.title, 1, header, "缺少这一列"))
        else:
            found[field] = headers[header]
    return found


# Limits checked before any row is read, then while reading (app/spreadsheets.py).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 64
MAX_SECONDS = 20.0


def _limits() -> WorkbookLimits:
    """The limits as the module holds them now (a test may lower one)."""
    return WorkbookLimits(MAX_FILE_BYTES, MAX_UNPACKED_BYTES, MAX_ROWS, MAX_COLUMNS, MAX_SECONDS)


def _limit(message: str) -> ImportFailed:
    return ImportFailed([RowError("文件", 0, "-", message)])


def parse_workbook(content: bytes) -> tuple[list[ParsedResource], list[RowError]]:
    """Read both sheets; vocabulary values may be Chinese labels or codes. Limits first (MAX_*)."""
    check_package(content, _limits(), _limit)
    try:
        return _read_workbook(load_workbook(io.BytesIO(content), read_only=True, data_only=True))
    except NOT_A_WORKBOOK as exc:  # ParseError (a SyntaxError) from a sheet's XML included
        raise ImportFailed(
            [RowError("文件", 0, "-", f"不是有效的 .xlsx 文件（{type(exc).__name__}）")]
        ) from None


def _read_workbook(book) -> tuple[list[ParsedResource], list[RowError]]:
    errors: list[RowError] = []
    for name in (RESOURCE_SHEET, ITEM_SHEET):
        if name not in book.sheetnames:
            errors.append(RowError(name, 0, "-", f"缺少工作表“{name}”"))
    if errors:
        raise ImportFailed(errors)
    sheet, items_sheet = book[RESOURCE_SHEET], book[ITEM_SHEET]
    check_sheet(sheet, _limits(), _limit)
    check_sheet(items_sheet, _limits(), _limit)
    started = time.monotonic()
    columns = _header_map(sheet, RESOURCE_COLUMNS, errors)
    item_columns = _header_map(items_sheet, ITEM_COLUMNS, errors)
    if errors:
        raise ImportFailed(errors)
    departments = {d.uscc: d for d in db.session.scalars(db.select(Department))}
    names = {d.name: d for d in departments.values()}
    parsed: list[ParsedResource] = []
    by_code: dict[str, ParsedResource] = {}
    by_name: dict[str, ParsedResource] = {}
    for number, row in enumerate(limited_rows(sheet, _limits(), _limit, started), start=2):
        if not any(v not in (None, "") for v in row):
            continue
        data: dict[str, Any] = {}
        for _header, field, vocab in RESOURCE_COLUMNS:
            value = _text(row[columns[field]]) if columns[field] < len(row) else None
            if vocab and value is not None:
                code = code_for(vocab, value)
                if code is None:
                    errors.append(
                        RowError(
                            RESOURCE_SHEET,
                            number,
                            _header,
                            f"“{value}”不在可选范围内（{'、'.join(vocab.values())}）",
                        )
                    )
                value = code
            data[field] = value
        if data.get("subcategory"):
            vocabulary = subcategories(data.get("resource_class"))
            data["subcategory"] = code_for(vocabulary, data["subcategory"]) or data["subcategory"]
        data["related_codes"] = [c for c in re.split(r"[,，;；\s]+", data.get("related_codes") or "") if c]
        provider = departments.get(data.pop("provider_uscc") or "") or names.get(
            data.pop("provider_name") or ""
        )
        data.pop("provider_name", None)
        if provider is None:
            errors.append(
                RowError(
                    RESOURCE_SHEET, number, "提供方代码", "提供方不存在（填写统一社会信用代码或部门全称）"
                )
            )
        data["items"] = []
        entry = ParsedResource(number, data, provider)
        parsed.append(entry)
        if data.get("code"):
            if data["code"] in by_code:
                errors.append(
                    RowError(RESOURCE_SHEET, number, "资源代码", f"与第{by_code[data['code']].row}行重复")
                )
            by_code[data["code"]] = entry
        if data.get("name"):
            by_name.setdefault(data["name"], entry)
    for number, row in enumerate(limited_rows(items_sheet, _limits(), _limit, started), start=2):
        if not any(v not in (None, "") for v in row):
            continue
        values = {field: (_text(row[i]) if i < len(row) else None) for field, i in item_columns.items()}
        values.setdefault("grade", None)
        values.setdefault("sensitive", None)
        owner = by_code.get(values["code"] or "") or by_name.get(values["resource_name"] or "")
        if owner is None:
            errors.append(
                RowError(
                    ITEM_SHEET,
                    number,
                    "资源代码",
                    "找不到对应的资源（资源代码或资源名称须与“信息资源”表一致）",
                )
            )
            continue
        item: dict[str, Any] = {"name": values["name"], "description": values["description"]}
        sensitive = values["sensitive"] or "否"
        if sensitive not in ("是", "否"):
            errors.append(RowError(ITEM_SHEET, number, "敏感个人信息", f"“{sensitive}”应为“是”或“否”"))
        item["sensitive"] = sensitive == "是"
        for field, vocab, header in (
            ("data_type", DATA_TYPES, "数据类型"),
            ("share_type", SHARE_TYPES, "共享类型"),
            ("grade", ITEM_GRADES, "数据分级"),
        ):
            value = values[field]
            item[field] = code_for(vocab, value) if value else None
            if value and item[field] is None:
                errors.append(
                    RowError(
                        ITEM_SHEET, number, header, f"“{value}”不在可选范围内（{'、'.join(vocab.values())}）"
                    )
                )
        try:
            item["length"] = int(values["length"]) if values["length"] else None
        except ValueError:
            errors.append(RowError(ITEM_SHEET, number, "长度", f"“{values['length']}”不是整数"))
            item["length"] = None
        item.setdefault("_row", number)
        owner.data["items"].append(item)
    return parsed, errors


def _item_row(entry: ParsedResource, key: str) -> tuple[str, int, str]:
    """Where a rule error on an item points to: the item's own row in the 信息项 sheet."""
    index = int(key.split("[")[1].split("]")[0])
    field = key.split(".")[-1]
    column = {"name": "信息项名称", "data_type": "数据类型", "length": "长度", "share_type": "共享类型"}.get(
        field, "信息项"
    )
    return ITEM_SHEET, entry.data["items"][index]["_row"], column


def validate_parsed(parsed: list[ParsedResource], actor: User) -> list[RowError]:
    """The catalog rules, per row; codes must be new and well-formed; providers must be the importer's own."""
    errors = []
    existing = set(db.session.scalars(db.select(Resource.code)))
    for entry in parsed:
        data = entry.data
        if (
            entry.provider is not None
            and not actor.has_role(Role.ADMIN)
            and entry.provider.id != actor.department_id
        ):
            errors.append(RowError(RESOURCE_SHEET, entry.row, "提供方代码", "只能导入本部门的资源目录"))
        for key, message in check_resource(data).items():
            if key.startswith("items["):
                sheet, row, column = _item_row(entry, key)
                errors.append(RowError(sheet, row, column, message))
            else:
                errors.append(RowError(RESOURCE_SHEET, entry.row, HEADERS.get(key, key), message))
        code = data.get("code")
        if code and entry.provider is not None:
            if problem := code_error(
                code, data.get("resource_class"), data.get("subcategory"), entry.provider.region.code
            ):
                errors.append(RowError(RESOURCE_SHEET, entry.row, "资源代码", problem))
            elif code in existing:
                errors.append(RowError(RESOURCE_SHEET, entry.row, "资源代码", "资源代码已存在"))
    return errors


def import_workbook(content: bytes, actor: User, *, publish: bool = False) -> list[Resource]:
    """Import every resource of the workbook, or nothing when any row is wrong (ImportFailed lists them).

    Provider clerks import drafts of their own department; an administrator may load a reviewed catalog as
    published (`publish=True`)."""
    parsed, errors = parse_workbook(content)
    errors += validate_parsed(parsed, actor)
    if publish and not actor.has_role(Role.ADMIN):
        errors.append(RowError("文件", 0, "-", "只有系统管理员可以直接导入为已发布目录"))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: (e.sheet != RESOURCE_SHEET, e.row)))
    created = []
    for entry in parsed:
        for item in entry.data["items"]:
            item.pop("_row", None)
        if publish and entry.provider is not None:  # validate_parsed refused a row without a provider
            created.append(load_published(actor, entry.data, entry.provider))
        else:
            created.append(create_resource(actor, entry.data, provider=entry.provider))
    db.session.flush()
    return created


def resources_for_export(department_id: int | None = None) -> list[Resource]:
    """Published resources (of one department, or all)."""
    query = db.select(Resource).where(Resource.status == ResourceStatus.PUBLISHED).order_by(Resource.code)
    if department_id is not None:
        query = query.where(Resource.provider_department_id == department_id)
    return list(db.session.scalars(query))
