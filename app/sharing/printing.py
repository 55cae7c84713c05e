"""Documents for the file (#31, 办法§13, §24: the application and the authorization are kept): the 共享申请审批表
(the application, each resource's answer and every step's decision and opinion, who and when) and the 授权书
(one authorization: items, bound 管控参数, period, system). Set by app/pdf.py; times in Beijing time."""

from __future__ import annotations

from flask_babel import gettext as _

from app import attachments, clock
from app.access import require
from app.clock import local_date, local_datetime
from app.engine.history import Step, case_steps
from app.org.models import User
from app.pdf import HEADINGS, document, facts, heading
from app.sharing.models import (
    APPLICATION_STATUS_LABELS,
    DECISION_LABELS,
    ROUTE_LABELS,
    Authorization,
    ShareApplication,
)
from app.sharing.services import application_by_number, authorizations_by_line, get_authorization


def _printed(pdf) -> None:
    pdf.ln(3)
    pdf.set_font_size(8)
    pdf.cell(
        text=_(
            "打印时间 %(t)s（北京时间） · 依据《湖北省政务信息资源共享管理办法》 · GovShare",
            t=local_datetime(clock.now()),
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font_size(10)


def approval_sheet_pdf(
    application: ShareApplication, steps: list[Step], authorizations: dict[int, Authorization]
) -> bytes:
    """共享申请审批表 of an application: what was asked, each resource's answer (with its authorization's period
    and bound parameters), then every completed step with who (代 whom), when, decision and opinion."""
    pdf = document(_("政务信息资源共享申请审批表 %(n)s", n=application.number))
    heading(pdf, _("政务信息资源共享申请审批表"), 16)
    files = attachments.of("application", application.id)
    facts(
        pdf,
        [
            (_("业务编号"), application.number),
            (_("状态"), str(APPLICATION_STATUS_LABELS.get(application.status, application.status))),
            (
                _("申请部门"),
                f"{application.applicant_department.name}（{application.applicant.display_name}）",
            ),
            (_("提交时间"), local_datetime(application.submitted_at)),
            (_("用途"), application.purpose),
            (_("申请理由"), application.reason),
            (_("使用系统"), application.business_system),
            (_("使用范围"), application.scope),
            (_("使用期限"), f"{local_date(application.valid_from)} — {local_date(application.valid_to)}"),
            (_("附件"), "、".join(f.filename for f in files) or "—"),
        ],
    )
    pdf.ln(3)
    heading(pdf, _("资源与答复"))
    with pdf.table(col_widths=(44, 26, 26, 22, 30, 42), headings_style=HEADINGS) as table:
        table.row(
            [_("资源与数据项"), _("提供方"), _("授权路径"), _("答复"), _("答复时间"), _("理由、依据与限定")]
        )
        for line in application.lines:
            granted = authorizations.get(line.id)
            notes = [line.decision_reasons or "", f"（{line.decision_basis}）" if line.decision_basis else ""]
            if line.refused_items:
                notes.append(_("不予授权：%(i)s", i="、".join(line.refused_items)))
            if granted is not None:
                notes.append(
                    _(
                        "有效期 %(f)s 至 %(t)s",
                        f=local_date(granted.valid_from),
                        t=local_date(granted.valid_to),
                    )
                )
                for name, values in (granted.bound_parameters or {}).items():
                    notes.append(_("管控参数 %(n)s = %(v)s", n=name, v="、".join(map(str, values))))
            table.row(
                [
                    f"{line.resource.name}（{line.resource.code}）\n" + "、".join(line.items),
                    line.provider.short_name,
                    str(ROUTE_LABELS.get(line.route or "", _("受理后确定"))),
                    str(DECISION_LABELS.get(line.decision, line.decision)),
                    local_datetime(line.decided_at),
                    "\n".join(n for n in notes if n) or "—",
                ]
            )
    pdf.ln(3)
    heading(pdf, _("办理经过与意见"))
    if not steps:
        pdf.cell(text=_("尚无办结的环节。"), new_x="LMARGIN", new_y="NEXT")
    else:
        with pdf.table(col_widths=(30, 34, 30, 28, 68), headings_style=HEADINGS) as table:
            table.row([_("环节"), _("办理部门"), _("办理人"), _("办理时间"), _("结论与意见")])
            for step in steps:
                who = step.actor + (_("（代 %(n)s）", n=step.on_behalf_of) if step.on_behalf_of else "")
                table.row(
                    [
                        step.label,
                        step.department or "—",
                        who,
                        local_datetime(step.at),
                        "\n".join(f"{a.title}：{a.text}" for a in step.answers) or "—",
                    ]
                )
    _printed(pdf)
    return bytes(pdf.output())


def authorization_pdf(authorization: Authorization) -> bytes:
    """授权书 of one authorization (§13, §24): who may use which items of which resource, in which system, for
    what, within which 管控参数 values and period; its state today."""
    line = authorization.line
    pdf = document(_("政务信息资源共享授权书 %(n)s-%(i)d", n=line.application.number, i=authorization.id))
    heading(pdf, _("政务信息资源共享授权书"), 16)
    bound = authorization.bound_parameters or {}
    if authorization.revoked_at is not None:
        state = _(
            "已于 %(t)s 撤销：%(r)s",
            t=local_datetime(authorization.revoked_at),
            r=authorization.revoked_reason or "",
        )
    elif authorization.valid_to < clock.local_now().date():
        state = _("已过期")
    else:
        state = _("有效")
    facts(
        pdf,
        [
            (_("授权编号"), str(authorization.id)),
            (_("申请编号"), line.application.number),
            (_("使用部门"), authorization.applicant_department.name),
            (_("资源"), f"{authorization.resource.name}（{authorization.resource.code}）"),
            (_("提供部门"), authorization.resource.provider.name),
            (_("授权数据项"), "、".join(authorization.items)),
            (
                _("管控参数限定"),
                "；".join(f"{name} = {'、'.join(map(str, values))}" for name, values in bound.items())
                or _("无"),
            ),
            (_("使用系统"), authorization.business_system),
            (_("用途"), authorization.purpose),
            (_("使用范围"), authorization.scope),
            (_("使用条件"), authorization.conditions or _("无")),
            (_("有效期"), f"{local_date(authorization.valid_from)} 至 {local_date(authorization.valid_to)}"),
            (_("授权路径"), str(ROUTE_LABELS.get(line.route or "", "—"))),
            (_("授权时间"), local_datetime(authorization.decided_at)),
            (_("状态"), state),
        ],
    )
    pdf.ln(3)
    pdf.multi_cell(
        w=0,
        text=_(
            "使用部门应当按照授权的用途、范围和业务系统使用共享数据，不得超出授权范围使用，不得向第三方提供"
            "（办法§14、§24）；授权撤销或到期后即停止调用。"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _printed(pdf)
    return bytes(pdf.output())


def application_sheet(actor: User, number: str) -> bytes:
    """The 审批表 of application `number` for a reader who may see the case (the page and the API)."""
    application = application_by_number(actor, number)
    return approval_sheet_pdf(application, case_steps(number), authorizations_by_line(application))


def authorization_certificate(actor: User, authorization_id: int) -> bytes:
    """The 授权书 of an authorization for a reader who may see it (the page and the API)."""
    authorization = get_authorization(authorization_id)
    require(actor, "authorization.view", authorization)
    return authorization_pdf(authorization)
