"""The PDF stack of the documents GovShare prints for the file (fpdf2, one CJK font from the server): the
通报 (app/supervision/pdf.py), the 共享申请审批表 and the 授权书 (app/sharing/printing.py)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from app.errors import ServiceError

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


def document(title: str, *, landscape: bool = False) -> FPDF:
    """A new PDF set in the CJK font at 10 pt, titled `title`, its first page added (FontMissing without one)."""
    path, index = _font()
    pdf = FPDF(orientation="landscape" if landscape else "portrait")
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_font("cjk", size=10)
    pdf.set_title(title)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    return pdf


def heading(pdf: FPDF, text: str, size: int = 13) -> None:
    """A line of larger text, then back to 10 pt."""
    pdf.set_font_size(size)
    pdf.cell(text=text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(10)


def facts(pdf: FPDF, rows: list[tuple[str, str]], label_width: int = 38) -> None:
    """Label / value rows as a two-column table (values wrap)."""
    with pdf.table(col_widths=(label_width, pdf.epw - label_width), first_row_as_headings=False) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=HEADINGS)
            row.cell(value or "—")
