"""The task page's summary of the catalog's review cases (registered with app/inbox/summaries.py)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.inbox.summaries import Summary, case_summary


@case_summary("catalog_review")
def _catalog_review(number: str, data: dict) -> Summary:
    code = data.get("resource_code")
    return None, [
        (_("资源"), f"{data.get('resource_name')}（{code}）", url_for("catalog.resource", code=code))
    ]
