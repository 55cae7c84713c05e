"""The task page's summary of the catalog's review cases (registered with app/inbox/summaries.py)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.catalog.models import ResourceVersion
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
