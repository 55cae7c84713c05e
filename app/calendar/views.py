"""Calendar pages: a year as twelve month grids; admins enter or correct a year."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from app import clock
from app.access import require
from app.calendar.services import active_calendar, import_arrangement, list_versions, year_arrangement
from app.errors import NotFound, ValidationFailed

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@dataclass(frozen=True)
class DayCell:
    """One day in a month grid."""

    day: date | None
    working: bool = False
    label: str = ""
    kind: str = ""  # "rest" (放假), "work" (调休上班 班), "weekend", "workday"


def month_grids(year: int) -> list[tuple[int, list[list[DayCell]]]]:
    """The year as (month, weeks of DayCells), weeks starting on Monday."""
    cal = active_calendar()
    rest = dict(cal.holidays(year))
    work = dict(cal.working_weekends(year))
    grids = []
    for month in range(1, 13):
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row = []
            for day in week:
                if day.month != month:
                    row.append(DayCell(None))
                elif day in work:
                    row.append(DayCell(day, True, work[day], "work"))
                elif day in rest:
                    row.append(DayCell(day, False, rest[day], "rest"))
                elif day.weekday() >= 5:
                    row.append(DayCell(day, False, "", "weekend"))
                else:
                    row.append(DayCell(day, True, "", "workday"))
            weeks.append(row)
        grids.append((month, weeks))
    return grids


class YearForm(FlaskForm):
    """Enter or correct a year: one holiday block per line, one make-up working day per line."""

    title = StringField(_l("通知标题"), validators=[Optional(), Length(max=200)])
    number = StringField(_l("文号"), validators=[Optional(), Length(max=100)])
    notice_date = StringField(_l("发布日期"), validators=[Optional(), Length(max=10)])
    url = StringField(_l("来源网址"), validators=[Optional(), Length(max=500)])
    # A year has a dozen lines: a few thousand characters is plenty, and bounds what one request may make us parse.
    holidays = TextAreaField(_l("放假安排（每行：名称,开始日期,结束日期）"), validators=[Length(max=10_000)])
    working_days = TextAreaField(_l("调休上班日（每行：日期,名称）"), validators=[Length(max=10_000)])
    comment = StringField(_l("修改说明"), validators=[Optional(), Length(max=500)])


def _form_to_document(year: int, form: YearForm) -> dict:
    holidays, working, problems = [], [], []
    for n, line in enumerate((form.holidays.data or "").splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not any(parts):
            continue
        if len(parts) not in (2, 3):
            problems.append(_("放假安排第%(n)d行应为：名称,开始日期,结束日期", n=n))
            continue
        holidays.append({"name": parts[0], "start": parts[1], "end": parts[-1]})
    for line in (form.working_days.data or "").splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not any(parts):
            continue
        working.append({"date": parts[0], "name": parts[1] if len(parts) > 1 else "调休上班"})
    if problems:
        raise ValidationFailed(_("放假安排数据有误"), fields={"arrangement": "；".join(problems)})
    return {
        "year": year,
        "notice": {
            "title": form.title.data or None,
            "number": form.number.data or None,
            "date": form.notice_date.data or None,
            "url": form.url.data or None,
        },
        "holidays": holidays,
        "working_days": working,
    }


@bp.route("/")
@login_required
def index():
    """This year's calendar."""
    return redirect(url_for("calendar.year", year=clock.local_now().year))


@bp.route("/<int:year>")
@login_required
def year(year: int):
    """A year as twelve month grids, with its notice and whether it is provisional."""
    require(current_user, "calendar.view")
    arrangement = year_arrangement(year)
    return render_template(
        "calendar/year.html",
        year=year,
        arrangement=arrangement,
        grids=month_grids(year),
        versions=list_versions()[:10],
        version=active_calendar().version,
    )


@bp.route("/<int:year>/edit", methods=["GET", "POST"])
@login_required
def edit(year: int):
    """Admins enter a new year's arrangement or correct one; the change becomes a new calendar version."""
    require(current_user, "calendar.manage")
    if not 2004 <= year <= 2099:
        raise NotFound(_("年份超出范围"))
    arrangement = year_arrangement(year)
    form = YearForm()
    errors: dict[str, str] = {}
    if request.method == "GET":
        doc = arrangement.to_document()
        notice = doc["notice"] if not arrangement.provisional else {}
        form.title.data = notice.get("title") or f"国务院办公厅关于{year}年部分节假日安排的通知"
        form.number.data = notice.get("number") or ""
        form.notice_date.data = notice.get("date") or ""
        form.url.data = notice.get("url") or ""
        form.holidays.data = "\n".join(f"{b['name']},{b['start']},{b['end']}" for b in doc["holidays"])
        form.working_days.data = "\n".join(f"{w['date']},{w['name']}" for w in doc["working_days"])
    elif form.validate_on_submit():
        try:
            result = import_arrangement(
                _form_to_document(year, form),
                actor=current_user,
                comment=form.comment.data or "",
                expected_year=year,
            )
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            if result.version is None:
                flash(_("数据没有变化，未生成新版本"), "info")
            else:
                flash(
                    _(
                        "已保存为日历版本 %(v)d；重新计算了 %(n)d 个预计期限",
                        v=result.version.id,
                        n=len(result.recomputed),
                    ),
                    "success",
                )
            return redirect(url_for("calendar.year", year=year))
    status = 422 if (errors or form.errors) else 200
    return render_template(
        "calendar/edit.html",
        year=year,
        form=form,
        problems=[p for message in errors.values() for p in message.split("；")],
        arrangement=arrangement,
    ), status
