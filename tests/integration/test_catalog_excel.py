"""Excel import and export of the catalog."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from app.catalog import excel, services
from app.catalog.models import Resource
from app.catalog.vocab import BASE_CATEGORIES, RESOURCE_CLASSES, TOPICS
from app.extensions import db
from tests.conftest import user


def _without_rows(data: dict) -> dict:
    items = [{k: v for k, v in item.items() if k != "_row"} for item in data["items"]]
    return {**data, "items": items}


def test_export_round_trips(content):
    resources = excel.resources_for_export()
    parsed, errors = excel.parse_workbook(excel.export_workbook(resources))
    assert errors == []
    assert len(parsed) == len(resources) == 31
    for entry, resource in zip(parsed, resources, strict=True):
        expected = services.version_data(resource.current_version)
        got = _without_rows(entry.data)
        assert entry.provider.id == resource.provider_department_id
        assert got.pop("code") == resource.code
        for key in expected:
            assert got.get(key) == expected[key], (resource.name, key)


def _workbook_with(rows: list[list], items: list[list]) -> bytes:
    book_bytes = excel.export_workbook([])
    book = load_workbook(io.BytesIO(book_bytes))
    for row in rows:
        book[excel.RESOURCE_SHEET].append(row)
    for item in items:
        book[excel.ITEM_SHEET].append(item)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(name: str, share: str = "无条件共享", **overrides) -> list:
    values = {
        "资源代码": None,
        "资源分类": "部门信息资源",
        "子类": None,
        "资源名称": name,
        "提供方代码": None,
        "提供方名称": "湖北省民政厅",
        "资源摘要": f"{name}的摘要",
        "资源格式": "数据库",
        "共享类型": share,
        "共享条件": None,
        "共享方式": "接口",
        "使用要求": None,
        "开放属性": "不予开放",
        "更新周期": "每月",
        "发布日期": None,
        "关联资源代码": None,
        "不予共享依据类型": None,
        "不予共享依据": None,
    }
    values.update(overrides)
    return [values[header] for header, _f, _v in excel.RESOURCE_COLUMNS]


def test_one_bad_row_among_good_ones_imports_nothing_and_names_the_row(content):
    before = db.session.scalar(db.select(db.func.count(Resource.id)))
    content_bytes = _workbook_with(
        [_row("殡葬服务机构信息"), _row("流浪乞讨救助信息", share="有条件共享"), _row("地名信息")],
        [
            [None, "殡葬服务机构信息", 1, "机构名称", "字符型", 200, None, None],
            [None, "流浪乞讨救助信息", 1, "受助人姓名", "字符型", 50, None, None],
            [None, "地名信息", 1, "地名", "字符型", "很长", None, None],
        ],
    )
    with pytest.raises(excel.ImportFailed) as info:
        excel.import_workbook(content_bytes, user("mz_clerk"))
    messages = [str(e) for e in info.value.errors]
    assert "信息资源 第3行 共享条件：有条件共享必须写明共享条件（可使用的部门、用途）" in messages
    assert "信息项 第4行 长度：“很长”不是整数" in messages
    assert not any("第2行" in m and m.startswith("信息资源") for m in messages)
    assert db.session.scalar(db.select(db.func.count(Resource.id))) == before


def test_import_checks_every_rule_and_vocabulary(content):
    content_bytes = _workbook_with(
        [
            _row("人口信息（测试）", 资源分类="基础信息资源", 子类="人口信息", 提供方名称="湖北省民政厅"),
            _row("某资源", 共享方式="传真"),
        ],
        [
            [None, "人口信息（测试）", 1, "姓名", "字符型", 50, "有条件共享", None],
            [None, "某资源", 1, "甲", "字符型", None, None, None],
            [None, "不存在的资源", 1, "乙", "字符型", None, None, None],
        ],
    )
    with pytest.raises(excel.ImportFailed) as info:
        excel.import_workbook(content_bytes, user("mz_clerk"))
    messages = [str(e) for e in info.value.errors]
    assert any(
        m.startswith("信息项 第2行 共享类型：基础信息资源的信息项“姓名”必须无条件共享") for m in messages
    ), messages
    assert any(m.startswith("信息资源 第3行 共享方式：“传真”不在可选范围内") for m in messages), messages
    assert any(m.startswith("信息项 第4行 资源代码：找不到对应的资源") for m in messages), messages


def test_a_clean_workbook_imports_drafts_for_the_providers_department(content):
    content_bytes = _workbook_with(
        [_row("殡葬服务机构信息")], [[None, "殡葬服务机构信息", 1, "机构名称", "字符型", 200, None, None]]
    )
    (created,) = excel.import_workbook(content_bytes, user("mz_clerk"))
    assert created.code.startswith("3420000/") and created.status == "draft"
    assert created.open_version.items[0].name == "机构名称"


def test_clerks_cannot_import_for_other_departments_or_publish(content):
    content_bytes = _workbook_with(
        [_row("殡葬服务机构信息")], [[None, "殡葬服务机构信息", 1, "机构名称", "字符型", 200, None, None]]
    )
    with pytest.raises(excel.ImportFailed) as info:
        excel.import_workbook(content_bytes, user("gat_provider"), publish=True)
    messages = [str(e) for e in info.value.errors]
    assert any("只能导入本部门" in m for m in messages) and any("只有系统管理员" in m for m in messages)


def test_not_a_workbook_is_a_clear_error(content):
    with pytest.raises(excel.ImportFailed) as info:
        excel.import_workbook(b"not a spreadsheet", user("mz_clerk"))
    assert "不是有效的 .xlsx 文件" in str(info.value.errors[0])


def _with_sheet_xml(change) -> bytes:
    raw = _workbook_with(
        [_row("殡葬服务机构信息")], [[None, "殡葬服务机构信息", 1, "机构名称", "字符型", 200, None, None]]
    )
    source, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize(
    "change",
    [
        lambda xml: xml.replace(b"</sheetData>", b"<row><c><is><t>x</t></c></row></sheetData>"),
        lambda xml: xml.replace(
            b"?>", b'?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1
        ).replace(
            b"</sheetData>", b'<row r="9"><c r="A9" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData>'
        ),
    ],
    ids=["broken-sheet-xml", "dtd-with-an-external-entity"],
)
def test_a_workbook_with_broken_or_hostile_xml_is_refused_or_read_without_entities(content, change):
    """Sheets are parsed while their rows are read: a broken one is a clear error, never a 500; an external
    entity is never resolved (no file of the server ends up in the catalog)."""
    try:
        created = excel.import_workbook(_with_sheet_xml(change), user("mz_clerk"))
    except excel.ImportFailed as failed:
        assert failed.errors  # named: the file, or the row
    else:
        texts = [str(v) for r in created for v in services.version_data(r.open_version).values()]
        assert not [t for t in texts if "root:" in t]


def test_export_names_each_sub_category_in_its_own_class(content):
    """Base categories and topics share their codes (01, 02, …): 人口 (base 01) is not 全民健康保障 (topic 01)."""
    sheet = load_workbook(io.BytesIO(excel.export_workbook(excel.resources_for_export())))[
        excel.RESOURCE_SHEET
    ]
    headers = [cell.value for cell in sheet[1]]
    rows = [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    base = [r for r in rows if r["资源分类"] == RESOURCE_CLASSES["base"]]
    topics = [r for r in rows if r["资源分类"] == RESOURCE_CLASSES["topic"]]
    assert base and {r["子类"] for r in base} <= set(BASE_CATEGORIES.values())
    assert {r["子类"] for r in topics} <= set(TOPICS.values())
    population = next(r for r in base if r["资源名称"].startswith("人口"))
    assert population["子类"] == BASE_CATEGORIES["01"]


def _sheets(rows: int, last_column: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    resources = book.active
    resources.title = "信息资源"
    resources.append(["资源名称"])
    for number in range(rows):
        resources.cell(row=number + 2, column=1, value=f"资源{number}")
        resources.cell(row=number + 2, column=last_column, value="x")
    book.create_sheet("信息项").append(["资源代码"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("rows", "last_column", "message"),
    [(50, 16384, "有 16384 列，上限 64 列"), (5001, 2, "上限 5000 行")],
    ids=["rows-to-XFD", "too-many-rows"],
)
def test_a_spreadsheet_past_the_limits_is_refused_before_its_rows_are_read(
    app, client, demo_content, rows, last_column, message
):
    """#28 item 10: a small file whose rows reach column XFD (or too many rows) is a 4xx naming the limit."""
    from tests.conftest import csrf_token, login

    workbook = _sheets(rows, last_column)
    login(client, "mz_clerk")
    token = csrf_token(client, "/catalog/import")
    response = client.post(
        "/catalog/import",
        data={"csrf_token": token, "file": (io.BytesIO(workbook), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_spreadsheet_that_unpacks_too_large_is_refused(content, monkeypatch):
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(excel.ImportFailed) as refused:
        excel.parse_workbook(_sheets(10, 2))
    assert "解压后过大" in str(refused.value.errors[0])
