"""The 通报 page as a PDF (#17, 办法§26 定期公布, §28 通报): the published monthly figures per department and the
year's scorecard, the reader's department highlighted (app/pdf.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from fpdf.fonts import FontFace

from app.pdf import HEADINGS, document
from app.supervision.models import MonthlyReport
from app.supervision.reports import Scorecard

OWN_ROW = FontFace(fill_color=(255, 240, 200))


def bulletin_pdf(report: MonthlyReport | None, cards: list[Scorecard], year: int, mine: int | None) -> bytes:
    """The 通报 of `report` (or none yet) and the `year` scorecard, rows of department `mine` highlighted."""
    pdf = document("GovShare 通报", landscape=True)
    pdf.set_font_size(16)
    pdf.cell(
        text=_("政务信息资源共享 通报") + (f" {report.period}" if report else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font_size(10)
    if report is None:
        pdf.cell(text=_("尚未发布月度报告。"), new_x="LMARGIN", new_y="NEXT")
    else:
        f = report.figures
        pdf.cell(
            text=_(
                "收到申请 %(r)d 件，受理 %(a)d 件，不予受理 %(n)d 件；月末未办结的超期事项 %(o)d 件。",
                r=f["received"],
                a=f["accepted"],
                n=f["not_accepted"],
                o=f["overdue_open"],
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)
        with pdf.table(
            col_widths=(60, 50, 25, 25, 25, 40), text_align="CENTER", headings_style=HEADINGS
        ) as table:
            table.row([_("部门"), _("环节"), _("办结数"), _("按时"), _("超期"), _("平均用时（工作日）")])
            for row in f.get("departments", []):
                days = "—" if row["average_days"] is None else f"{row['average_days']:.1f}"
                table.row(
                    [
                        row["name"],
                        row["step"],
                        str(row["finished"]),
                        str(row["on_time"]),
                        str(row["late"]),
                        days,
                    ],
                    style=OWN_ROW if row["department_id"] == mine else None,
                )
    pdf.ln(4)
    pdf.set_font_size(13)
    pdf.cell(text=_("%(y)d 年度考核情况（§28）", y=year), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(9)
    with pdf.table(
        col_widths=(60, 25, 25, 25, 20, 20, 20, 30), text_align="CENTER", headings_style=HEADINGS
    ) as table:
        table.row(
            [
                _("部门"),
                _("办结"),
                _("按时率"),
                _("超期未办"),
                _("异议"),
                _("分歧"),
                _("整改"),
                _("超授权调用"),
            ]
        )
        for card in cards:
            rate = "—" if card.on_time_rate is None else f"{card.on_time_rate * 100:.0f}%"
            table.row(
                [
                    card.department.short_name,
                    str(card.finished),
                    rate,
                    str(card.overdue_open),
                    str(card.objections),
                    str(card.disputes),
                    str(card.rectifications),
                    str(card.flagged_calls),
                ],
                style=OWN_ROW if card.department.id == mine else None,
            )
    return bytes(pdf.output())
