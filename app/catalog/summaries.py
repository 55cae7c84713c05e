"""The task page's summary of the catalog's review cases (registered with app/inbox/summaries.py)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.catalog.models import ResourceVersion
from app.engine.forms import form_check
from app.extensions import db
from app.inbox.summaries import Row, Summary, case_summary


@case_summary("catalog_review")
def _catalog_review(number: str, data: dict) -> Summary:
    code = data.get("resource_code")
    rows: list[Row] = [
        (_("资源"), f"{data.get('resource_name')}（{code}）", url_for("catalog.resource", code=code))
    ]
    version = db.session.get(ResourceVersion, data.get("version_id") or 0)
    for found in (version.duplicates or []) if version else []:  # 一数一源 (#34): the reviewer resolves these
        rows.append(
            (
                _("疑似重复（一数一源）"),
                _(
                    "信息项“%(i)s”：%(p)s已在“%(r)s”中编目“%(s)s”——同一数据应引用来源资源，不应重复编目",
                    i=found["item"],
                    p=found["provider"],
                    r=found["resource_name"],
                    s=found["source_item"],
                ),
                url_for("catalog.resource", code=found["resource_code"]),
            )
        )
    return None, rows


@form_check("catalog_review.json")
def _review_resolves_duplicates(data: dict, case) -> dict[str, str]:
    """一数一源 (#34): a version with probable duplicate items is published only with the reviewer's finding
    written down (different data, or changed to reference the source)."""
    if data.get("approved") is not True or (data.get("comment") or "").strip():
        return {}
    version = db.session.get(ResourceVersion, case().get("version_id") or 0)
    if version is not None and version.duplicates:
        return {
            "comment": "该版本有疑似重复编目的信息项（一数一源）：通过前请在审核意见中写明核对结果"
            "（确属不同数据，或已改为引用来源资源）"
        }
    return {}
