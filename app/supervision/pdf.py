"""The 通报 page as a PDF (#17, 办法§26 定期公布, §28 通报): the published monthly figures per department and the
year's scorecard, the reader's department highlighted, set in a CJK font (fpdf2)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from app.errors import ServiceError
from app.supervision.models import MonthlyReport
from app.supervision.reports import Scorecard

OWN_ROW = FontFace(fill_color=(255, 240, 200))
HEADINGS = FontFace(fill_color=(230, 233, 238))  # the one CJK face has no bold: headings are shaded instead


class FontMissing(ServiceError):
    """No CJK font to set a Chinese PDF in."""

    status = 503
    code = "font_missing"


def _font() -> tuple[str, int]:
    for path, index in current_app.config["PDF_FONTS"]:
        if Path(path).is_file():
            return path, index
    raise FontMissing(_("服务器缺少中文字体，无法生成 PDF（请安装 fonts-noto-cjk）"))


def bulletin_pdf(report: MonthlyReport | None, cards: list[Scorecard], year: int, mine: int | None) -> bytes:
    """The 通报 of `report` (or none yet) and the `year` scorecard, rows of department `mine` highlighted."""
    path, index = _font()
    pdf = FPDF(orientation="landscape")
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_font("cjk", size=10)
    pdf.set_title("GovShare 通报")
    pdf.add_page()
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
