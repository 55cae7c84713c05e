"""The task page's summary of the sharing area's cases (registered with app/inbox/summaries.py)."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import attachments, clock
from app.catalog.models import Resource, ResourceStatus
from app.engine.forms import form_check
from app.extensions import db
from app.inbox.summaries import Row, Summary, case_summary, form_prefill, fuller_page
from app.sharing.disputes import TOPICS, position_data
from app.sharing.models import (
    ApplicationStatus,
    DataDemand,
    Dispute,
    Objection,
    ObjectionStatus,
    OfflineExchange,
    QualityIssue,
    ShareApplication,
)
from app.sharing.objections import SERVE_NORMALLY
from app.sharing.services import period_problems


@case_summary("share_application")
def _share_application(number: str, data: dict) -> Summary:
    application = db.session.get(ShareApplication, data.get("application_id"))
    if application is None:
        return None, []
    returned: list[Row] = []
    if application.status == ApplicationStatus.RETURNED and application.check_reasons:
        returned = [(_("退回补正的原因"), application.check_reasons, None)]  # first: what to correct (§19)
    return url_for("sharing.case", number=number), [
        *returned,
        (_("申请部门"), application.applicant_department.name, None),
        (_("用途"), application.purpose, None),
        (_("申请理由"), application.reason, None),
        (_("使用系统"), application.business_system, None),
        (_("使用范围"), application.scope, None),
        (_("使用期限"), f"{application.valid_from} — {application.valid_to}", None),
        *(
            (_("申请资源"), f"{line.resource.name}（{'、'.join(line.items)}）", None)
            for line in application.lines
        ),
        *(
            (_("附件"), f.filename, url_for("sharing.attachment", attachment_id=f.id))
            for f in attachments.of("application", application.id)
        ),
    ]


@case_summary("objection")
def _objection(number: str, data: dict) -> Summary:
    objection = db.session.get(Objection, data.get("objection_id"))
    if objection is None:
        return None, []
    rows: list[Row] = [
        (_("资源"), objection.resource.name, None),
        (_("提出部门"), objection.applicant_department.name, None),
        (_("异议内容"), objection.description, None),
        (_("信息项"), "、".join(objection.items), None),
    ]
    if objection.status == ObjectionStatus.VERIFYING:
        rows.append((_("提示"), SERVE_NORMALLY, None))
    return url_for("sharing.objection", number=number), rows


@case_summary("dispute")
def _dispute(number: str, data: dict) -> Summary:
    dispute = db.session.get(Dispute, data.get("dispute_id"))
    if dispute is None:
        return None, []
    rows: list[Row] = [
        (_("分歧事项"), TOPICS[dispute.topic], None),
        (_("资源"), dispute.resource.name, None),
        (_("分歧内容"), dispute.description, None),
    ]
    rows += [(f"{party}意见", p["text"], None) for party, p in position_data(dispute).items()]
    if dispute.negotiation_record:
        rows.append((_("协商记录"), dispute.negotiation_record, None))
    return url_for("sharing.dispute", number=number), rows


@case_summary("offline_exchange")
def _offline_exchange(number: str, data: dict) -> Summary:
    exchange = db.session.get(OfflineExchange, data.get("exchange_id"))
    if exchange is None:
        return None, []
    authorization = exchange.authorization
    return url_for("sharing.supervision"), [
        (_("资源"), authorization.resource.name, None),
        (_("使用部门"), authorization.applicant_department.name, None),
        (_("线下交换方式"), exchange.method, None),
        (_("原因"), exchange.reason, None),
    ]


@case_summary("quality_issue")
def _quality_issue(number: str, data: dict) -> Summary:
    issue = db.session.get(QualityIssue, data.get("issue_id"))
    if issue is None:
        return None, []
    rows: list[Row] = [(_("资源"), issue.resource.name, None), (_("问题"), issue.description, None)]
    if issue.other_resource is not None:
        rows.append(
            (
                _("不一致的另一资源"),
                f"{issue.other_resource.name}（{issue.other_resource.provider.name}）",
                None,
            )
        )
    return url_for("sharing.supervision"), rows


@form_prefill("share_application", "share_completion.json")
def _completion(data: dict) -> dict:
    """补正 opens with what was submitted: the applicant edits it rather than typing it again (§19)."""
    application = db.session.get(ShareApplication, data.get("application_id"))
    if application is None:
        return {}
    texts = {key: getattr(application, key) for key in ("purpose", "reason", "business_system", "scope")}
    return texts | {
        "valid_from": application.valid_from.isoformat(),
        "valid_to": application.valid_to.isoformat(),
    }


@fuller_page("share_application", "share_completion.json")
def _revise_page(data: dict) -> tuple[str, str] | None:
    """补正 of resources, items and files is done on the application form itself (sharing.revise)."""
    number = data.get("application_number")
    return (_("在申请表中修改并提交补正"), url_for("sharing.revise", number=number)) if number else None


@form_check("share_completion.json")
def _completion_period(data: dict) -> dict[str, str]:
    """The corrected period is a period (§13): checked before the case moves, named on the field."""
    start, end = (data.get(k) for k in ("valid_from", "valid_to"))
    if bool(start) != bool(end):  # one date alone could turn the period around
        return {"valid_to" if start else "valid_from": "开始和结束日期须同时填写"}
    if not (start and end):
        return {}
    return period_problems(date.fromisoformat(start), date.fromisoformat(end))


def _published(code: str | None) -> bool:
    resource = db.session.scalar(select(Resource).where(Resource.code == (code or "").strip()))
    return resource is not None and resource.status == ResourceStatus.PUBLISHED


@form_check("demand_route.json")
def _demand_route(data: dict) -> dict[str, str]:
    """Already catalogued: a resource that is published."""
    if data.get("action") == "catalogued" and not _published(data.get("resource_code")):
        return {"resource_code": "没有这个已发布的资源"}
    return {}


@form_check("demand_answer.json")
def _demand_answer(data: dict) -> dict[str, str]:
    """A promise is for a day to come; an already catalogued resource is published."""
    promised = data.get("promised_on") if data.get("answer") == "will" else None
    if promised and date.fromisoformat(promised) < clock.local_now().date():
        return {"promised_on": "承诺日期不能早于今天"}
    if data.get("answer") == "catalogued" and not _published(data.get("resource_code")):
        return {"resource_code": "没有这个已发布的资源"}
    return {}


@case_summary("data_demand")
def _data_demand(number: str, data: dict) -> Summary:
    demand = db.session.get(DataDemand, data.get("demand_id"))
    if demand is None:
        return None, []
    rows: list[Row] = [
        (_("需求部门"), demand.demander.name, None),
        (_("需求名称"), demand.title, None),
        (_("用途"), demand.purpose, None),
        (_("所需数据项"), demand.fields, None),
        (_("法律依据"), demand.legal_basis, None),
        (_("使用系统"), demand.business_system, None),
    ]
    if demand.holder is not None:
        rows.append((_("掌握数据的部门"), demand.holder.name, None))
    return url_for("sharing.demand", number=number), rows
