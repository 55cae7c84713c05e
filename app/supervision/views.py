"""Supervision pages (办法§26–§31): dashboard and statistics, data calls and availability, the §26 overdue and
interruption report with rectification orders, rectifications, monthly reports, scorecards, the audit viewer."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import clock
from app.access import can, require, visible_department_ids
from app.audit.labels import ACTION_LABELS, action_label, data_text, object_text
from app.audit.models import AuditEvent
from app.auth.forms import EmptyForm
from app.calendar.deadlines import end_of_day, start_of_day
from app.calendar.services import status_of
from app.clock import SHANGHAI, local_datetime
from app.db_types import page_number, row_id
from app.engine.models import HumanTask
from app.engine.queries import case_tasks
from app.engine.registry import latest_versions
from app.engine.timeline import case_timeline
from app.errors import ServiceError, ValidationFailed
from app.extensions import db
from app.org.models import Department, Platform, User
from app.sharing import reuse
from app.supervision import assessment, calls, reports, stats
from app.supervision.export import table_response
from app.supervision.models import CALL_FLAG_LABELS, FAILINGS, RECTIFICATION_STATUS_LABELS, MonthlyReport
from app.supervision.pdf import bulletin_pdf
from app.supervision.rectification import get_rectification, order_rectification, rectifications_for

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.app_context_processor
def _rectification_vocabulary() -> dict:
    """Status names for the rectification badge (supervision pages and the department page)."""
    return {"rectification_status_labels": RECTIFICATION_STATUS_LABELS}


def _department_names(figures: stats.Statistics) -> dict[int | None, str]:
    """Short names of the departments in the step table and the overdue list."""
    return stats.department_names(
        [f.department_id for f in figures.by_department]
        + [t.candidate_department_id for t in figures.overdue_open]
    )


def _date_arg(name: str, default: date | None) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_("日期格式有误"), fields={name: _("应为 YYYY-MM-DD")}) from None
    if not 1900 <= value.year <= 2100:  # also keeps end_of_day() of the last date in range
        raise ValidationFailed(_("日期超出范围"), fields={name: _("应在 1900–2100 年之间")})
    return value


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationFailed(_("参数有误"), fields={name: _("应为编号")})
    return int(raw)


def _scope() -> stats.Scope:
    return stats.scope_for(
        current_user,
        _date_arg("from", None),
        _date_arg("to", None),
        _int_arg("platform"),
        _int_arg("department"),
    )


def _filters() -> dict:
    """The platforms and departments the scope form offers: only those the user may choose (a city data
    bureau's supervisor its own platform and departments, §9, §26)."""
    platforms = select(Platform).order_by(Platform.id)
    departments = (
        select(Department)
        .where(Department.active.is_(True))
        .order_by(Department.platform_id, Department.name)
    )
    visible = visible_department_ids(current_user)
    if visible is not None:
        platforms = platforms.where(Platform.id == current_user.department.platform_id)
        departments = departments.where(Department.id.in_(visible))
    return {
        "platforms": list(db.session.scalars(platforms)),
        "departments": list(db.session.scalars(departments)),
    }


@bp.route("/")
@login_required
def dashboard():
    """§26 statistics for a period, platform or department, with charts and exports."""
    require(current_user, "supervision.view")
    scope = _scope()
    figures = stats.compute(scope)
    names = _department_names(figures)
    by_department = stats.on_time_by_department(figures)
    trend = stats.overdue_trend(scope)
    covered = stats.scope_department_ids(scope)  # within what the user may see (scope_for)
    call_rows = calls.call_figures(scope.start, scope.end, by="resource", department_ids=covered, limit=15)
    availability = calls.availability(scope.start, scope.end, covered)
    charts = {
        "ontime": {
            "labels": [names.get(d, "—") for d, _f, _o in by_department],
            "values": [round(o / f * 100, 1) if f else None for _d, f, o in by_department],
        },
        "trend": {"labels": [d.isoformat() for d, _c in trend], "values": [c for _d, c in trend]},
        "calls": {
            "labels": [r.key for r in call_rows],
            "calls": [r.calls for r in call_rows],
            "failures": [r.failures for r in call_rows],
        },
        "availability": {
            "labels": [a.service.name for a in availability],
            "values": [round(a.rate * 100, 1) if a.rate is not None else None for a in availability],
        },
    }
    return render_template(
        "supervision/dashboard.html",
        scope=scope,
        stats=figures,
        names=names,
        charts=charts,
        step_rows=reports.step_rows(list(figures.steps.values())),
        headers=reports.STEP_HEADERS,
        department_rows=reports.step_rows(figures.by_department, names),
        percent=reports.percent,
        availability=availability,
        args=request.args,
        **_filters(),
    )


def _overdue_rows(tasks: list[HumanTask], names: dict[int | None, str]) -> list[list]:
    return [
        [
            t.business_key,
            t.label,
            names.get(t.candidate_department_id, "—"),
            t.due_date.isoformat() if t.due_date else "",
            status_of(t.due_date).text if t.due_date else "",
        ]
        for t in tasks
    ]


CALL_ROWS = 100  # groups per page of the data calls table (the export has them all)


@bp.route("/export/<table>.<fmt>")
@login_required
def export(table: str, fmt: str):
    """Any statistics table as CSV or Excel, for the same filters as the page."""
    require(current_user, "supervision.view")
    scope = _scope()
    visible = stats.scope_department_ids(scope)  # within what the user may see (scope_for)
    period = f"{scope.start.isoformat()}_{scope.end.isoformat()}"
    if table in ("steps", "departments", "overdue"):
        figures = stats.compute(scope)
        names = _department_names(figures)
        if table == "steps":
            return table_response(
                f"授权办理统计_{period}",
                reports.STEP_HEADERS,
                reports.step_rows(list(figures.steps.values())),
                fmt,
            )
        if table == "departments":
            return table_response(
                f"分部门统计_{period}",
                ["部门", *reports.STEP_HEADERS],
                reports.step_rows(figures.by_department, names),
                fmt,
            )
        overdue = stats.overdue_tasks(scope)  # all of them (the page lists the longest overdue)
        return table_response(
            f"当前超期事项_{period}",
            ["案件", "环节", "办理部门", "期限", "状态"],
            _overdue_rows(overdue, stats.department_names(t.candidate_department_id for t in overdue)),
            fmt,
        )
    if table == "report":
        issues = reports.overdue_report(department_ids=visible)
        rows = [
            [
                e.department.name,
                t.business_key,
                t.label,
                t.due_date.isoformat() if t.due_date else "",
                late,
                "",
            ]
            for e in issues
            for t, late in e.overdue
        ]
        rows += [
            [e.department.name, "", a.service.name, "", "", a.longest_outage_minutes(clock.now())]
            for e in issues
            for a, _m in e.outages
        ]
        return table_response(
            "超期与中断报告",
            ["部门", "案件", "环节/数据服务", "期限", "超期（工作日）", "最长中断（分钟）"],
            rows,
            fmt,
        )
    if table == "rectifications":
        rows = [
            [
                r.number,
                r.department.name,
                FAILINGS[r.failing],
                r.description,
                r.ordered_at.astimezone(SHANGHAI).date().isoformat(),
                r.due_date.isoformat() if r.due_date else "",
                RECTIFICATION_STATUS_LABELS[r.status],
            ]
            for r in rectifications_for(current_user)
        ]
        return table_response(
            "整改通知", ["编号", "部门", "事项", "存在的问题", "通知日期", "整改期限", "状态"], rows, fmt
        )
    if table == "calls":
        rows = [
            [r.key, r.calls, r.failures, reports.percent(r.failure_rate), r.flagged]
            for r in calls.call_figures(
                scope.start, scope.end, by=request.args.get("by", "authorization"), department_ids=visible
            )
        ]
        return table_response(
            f"数据调用统计_{period}", ["授权/资源", "调用次数", "失败", "失败率", "超授权调用"], rows, fmt
        )
    if table == "flagged":
        rows = [
            [
                c.called_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
                c.caller_uscc,
                c.resource_code,
                c.authorization_id or "",
                CALL_FLAG_LABELS.get(c.flag or "", ""),
            ]
            for c in calls.flagged_calls(scope.start, scope.end, limit=100_000, department_ids=visible)
        ]
        return table_response(
            f"超出授权的调用_{period}", ["时间", "调用方", "资源代码", "授权编号", "问题"], rows, fmt
        )
    if table == "availability":
        now = clock.now()
        rows = [
            [
                a.service.name,
                a.service.resource.code,
                a.probes,
                a.up,
                reports.percent(a.rate),
                len(a.outages),
                a.longest_outage_minutes(now),
            ]
            for a in calls.availability(scope.start, scope.end, visible)
        ]
        return table_response(
            f"数据可用性_{period}",
            ["数据服务", "资源代码", "探测次数", "正常", "可用率", "中断次数", "最长中断（分钟）"],
            rows,
            fmt,
        )
    abort(404)


# --- data calls ----------------------------------------------------------------------------------------------


@bp.route("/calls", methods=["GET", "POST"])
@login_required
def data_calls():
    """Calls per authorization and service, failure rates, calls outside their authorization; CSV import."""
    require(current_user, "supervision.view")
    scope = _scope()
    form = EmptyForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        require(current_user, "calls.ingest")
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationFailed(_("请选择文件"), fields={"file": _("请选择 CSV 文件")})
            raw = upload.read(20_000_001)
            if len(raw) > 20_000_000:
                raise ValidationFailed(_("文件过大"), fields={"file": _("CSV 不能超过 20 MB")})
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationFailed(_("文件编码有误"), fields={"file": _("CSV 应为 UTF-8 编码")}) from None
            rows = calls.parse_csv(text)
            stored = []
            for begin in range(0, len(rows), calls.MAX_BATCH):
                stored += calls.ingest(current_user, rows[begin : begin + calls.MAX_BATCH], source="csv")
        except ServiceError as exc:
            errors = exc.fields or {"file": exc.message}
        else:
            kept = [r for r in stored if r is not None]
            flagged = sum(1 for r in kept if r.flag)
            flash(
                _(
                    "已导入 %(n)d 条调用记录，其中 %(f)d 条超出授权；%(d)d 条此前已报送，未重复记录",
                    n=len(kept),
                    f=flagged,
                    d=len(stored) - len(kept),
                ),
                "success",
            )
            return redirect(url_for("supervision.data_calls", **request.args))
    by = request.args.get("by", "authorization")
    visible = stats.scope_department_ids(scope)  # within what the user may see (scope_for)
    page = page_number(request.args.get("page"))
    rows = calls.call_figures(
        scope.start,
        scope.end,
        by=by,
        department_ids=visible,
        limit=CALL_ROWS + 1,
        offset=(page - 1) * CALL_ROWS,
    )
    return render_template(
        "supervision/calls.html",
        scope=scope,
        by=by,
        rows=rows[:CALL_ROWS],
        page=page,
        has_next=len(rows) > CALL_ROWS,
        flagged=calls.flagged_calls(scope.start, scope.end, department_ids=visible),
        flag_labels=CALL_FLAG_LABELS,
        availability=calls.availability(scope.start, scope.end, visible),
        now=clock.now(),
        percent=reports.percent,
        form=form,
        errors=errors,
        args=request.args,
    ), 422 if errors else 200


# --- §26 report and rectification ----------------------------------------------------------------------------


@bp.route("/report")
@login_required
def overdue_report():
    """Authorizations overdue beyond the threshold and long service interruptions, by department (§26)."""
    require(current_user, "supervision.view")
    return render_template(
        "supervision/report.html",
        issues=reports.overdue_report(department_ids=visible_department_ids(current_user)),
        overdue_days=current_app.config["SUPERVISION_OVERDUE_DAYS"],
        outage_minutes=current_app.config["SUPERVISION_OUTAGE_MINUTES"],
        now=clock.now(),
        can_order=can(current_user, "rectification.order"),
    )


REUSE_HEADERS = ["部门", "事项编码", "事项名称", "材料", "可共享获取的资源", "资源代码", "信息项"]


@bp.route("/reuse")
@bp.route("/reuse.<fmt>")
@login_required
def reuse_report(fmt: str | None = None):
    """复用核验 (#33): 事项 still asking people for materials that sharing supplies (鄂政办电〔2018〕89号), by
    department; exported like the other §26 tables."""
    require(current_user, "supervision.view")
    found = reuse.still_asked(visible_department_ids(current_user))
    rows = [
        [
            m.department.name,
            m.code,
            m.name,
            k.name,
            k.resource.name,
            k.resource.code,
            "、".join(k.items or []),
        ]
        for m, k in found
    ]
    if fmt in ("csv", "xlsx"):
        return table_response("复用核验", REUSE_HEADERS, rows, fmt)
    if fmt:
        abort(404)
    return render_template("supervision/reuse.html", rows=rows, headers=REUSE_HEADERS)


@bp.route("/rectifications", methods=["GET", "POST"])
@login_required
def rectifications():
    """Rectification notices; the leadership office orders one (POST)."""
    form = EmptyForm()
    errors: dict[str, str] = {}
    values = request.form
    if request.method == "POST" and form.validate_on_submit():
        require(current_user, "rectification.order")
        department_id = row_id(values.get("department_id"))
        department = db.session.get(Department, department_id) if department_id else None
        days = values.get("deadline_days", "")
        try:
            if department is None:
                raise ValidationFailed(_("请选择部门"), fields={"department_id": _("请选择被通知整改的部门")})
            item = order_rectification(
                current_user,
                department,
                values.get("failing", ""),
                values.get("description", ""),
                int(days) if days.isdigit() and len(days) < 4 else -1,
                basis={"from": values.get("basis", "")} if values.get("basis") else None,
            )
        except ServiceError as exc:
            errors = exc.fields or {"description": exc.message}
        else:
            flash(_("已通知整改：%(n)s", n=item.number), "success")
            return redirect(url_for("supervision.rectification", number=item.number))
    department_id = _int_arg("department")
    return render_template(
        "supervision/rectifications.html",
        items=rectifications_for(current_user, department_id),
        failings=FAILINGS,
        form=form,
        errors=errors,
        values=values,
        departments=_filters()["departments"],
        can_order=can(current_user, "rectification.order"),
        prefill=request.args,
    ), 422 if errors else 200


@bp.route("/rectifications/<number>")
@login_required
def rectification(number: str):
    """One rectification: the notice, the deadline, the report, the verification, the timeline."""
    item = get_rectification(current_user, number)
    return render_template(
        "supervision/rectification.html",
        item=item,
        failings=FAILINGS,
        events=case_timeline(number),
        tasks=case_tasks(number),
        labels=ACTION_LABELS,
    )


# --- monthly reports and scorecards --------------------------------------------------------------------------


@bp.route("/monthly", methods=["GET", "POST"])
@login_required
def monthly():
    """Kept monthly reports (province-wide, §26); the province's 大数据管理机构 can generate one for a month now."""
    require(current_user, "supervision.publish")
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        period = request.form.get("period", "")
        try:
            start, _end = reports.month_bounds(period)
        except ValueError:
            flash(_("月份格式应为 YYYY-MM"), "error")
        else:
            if start > clock.local_now().date():
                flash(_("不能生成未来月份的报告"), "error")
            else:
                item = reports.generate_monthly(period, replace=True, actor=current_user)
                return redirect(url_for("supervision.monthly_report", period=item.period))
    return render_template("supervision/monthly.html", items=_published()[0], form=form)


def _kept_report(period: str) -> Response:
    """A kept monthly report exactly as published."""
    item = db.session.scalar(select(MonthlyReport).where(MonthlyReport.period == period))
    if item is None:
        abort(404)
    return Response(item.html, mimetype="text/html")


def _published() -> tuple[list[MonthlyReport], MonthlyReport | None]:
    """The kept monthly reports, newest first, and the one asked for (`?period=`, else the newest)."""
    items = list(db.session.scalars(select(MonthlyReport).order_by(MonthlyReport.period.desc())))
    chosen = next((i for i in items if i.period == request.args.get("period")), items[0] if items else None)
    return items, chosen


@bp.route("/monthly/<period>")
@login_required
def monthly_report(period: str):
    """A kept report as published (printable)."""
    require(current_user, "supervision.publish")
    return _kept_report(period)


@bp.route("/bulletin")
@login_required
def bulletin():
    """通报 (#17): the published monthly reports and this year's §28 scorecard, for every department, its own rows
    highlighted."""
    require(current_user, "bulletin.view")
    items, chosen = _published()
    year = clock.local_now().year
    return render_template(
        "supervision/bulletin.html",
        items=items,
        chosen=chosen,
        year=year,
        cards=reports.scorecards(year, None),
        mine=current_user.department_id,
        assessed=assessment.plan_for(year),
        indicator_names=assessment.INDICATORS,
    )


@bp.route("/bulletin.pdf")
@login_required
def bulletin_export():
    """The 通报 as a PDF (printable, for circulation)."""
    require(current_user, "bulletin.view")
    items, chosen = _published()
    year = clock.local_now().year
    body = bulletin_pdf(chosen, reports.scorecards(year, None), year, current_user.department_id)
    name = f"bulletin-{chosen.period if chosen else year}.pdf"
    return Response(
        body, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"}
    )


@bp.route("/bulletin/<period>")
@login_required
def bulletin_report(period: str):
    """A published monthly report, as kept (printable), for every department."""
    require(current_user, "bulletin.view")
    return _kept_report(period)


@bp.route("/scorecard")
@bp.route("/scorecard.<fmt>")
@login_required
def scorecard(fmt: str | None = None):
    """§28: each department's year for the target-responsibility assessment."""
    require(current_user, "supervision.view")
    year = _int_arg("year") or clock.local_now().year
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年份有误"), fields={"year": _("应在 2000–2100 之间")})
    cards = reports.scorecards(year, visible_department_ids(current_user))
    rows = reports.scorecard_rows(cards)
    if fmt:
        return table_response(f"共享工作考核_{year}", reports.SCORECARD_HEADERS, rows, fmt)
    return render_template(
        "supervision/scorecard.html", year=year, headers=reports.SCORECARD_HEADERS, rows=rows
    )


@bp.route("/assessment", methods=["GET", "POST"])
@bp.route("/assessment.<fmt>")
@login_required
def assessment_page(fmt: str | None = None):
    """The weighted §28 assessment (#34): the year's weights and targets (set by the data bureau), every
    department's score with its breakdown, publication for the 通报; CSV/Excel."""
    require(current_user, "supervision.view")
    year = _int_arg("year") or clock.local_now().year
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年份有误"), fields={"year": _("应在 2000–2100 之间")})
    errors: dict[str, str] = {}
    if request.method == "POST" and EmptyForm().validate_on_submit():
        try:
            if request.form.get("action") == "publish":
                assessment.publish(current_user, year)
                flash(_("已发布 %(y)d 年度考核得分", y=year), "success")
            else:
                assessment.set_plan(current_user, year, request.form.to_dict())
                flash(_("已保存考核指标"), "success")
        except ValidationFailed as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            return redirect(url_for("supervision.assessment_page", year=year))
    results = assessment.scores(year, visible_department_ids(current_user))
    keys = list(assessment.indicators_for(year))
    headers = ["部门", "得分", *(f"{assessment.INDICATORS[k][0]}（值/得分）" for k in keys)]
    rows = [
        [
            s.department,
            s.total,
            *(
                f"{'—' if s.parts[k]['value'] is None else format(s.parts[k]['value'], '.1%')} / {s.parts[k]['points']}"
                for k in keys
            ),
        ]
        for s in results
    ]
    if fmt in ("csv", "xlsx"):
        return table_response(f"共享工作加权考核_{year}", headers, rows, fmt)
    if fmt:
        abort(404)
    return render_template(
        "supervision/assessment.html",
        year=year,
        indicators=assessment.indicators_for(year),
        names=assessment.INDICATORS,
        headers=headers,
        rows=rows,
        plan=assessment.plan_for(year),
        errors=errors,
        values=request.form if errors else {},
    ), (422 if errors else 200)


# --- audit viewer --------------------------------------------------------------------------------------------


AUDIT_HEADERS = ["序号", "时间", "操作人", "部门", "动作", "对象", "流程实例", "数据", "哈希"]


def _audit_query():
    query = select(AuditEvent)
    args = request.args
    if args.get("case"):
        query = query.where(AuditEvent.object_id == args["case"].strip())
    if args.get("user"):
        query = query.where(AuditEvent.actor_name == args["user"].strip())
    if args.get("action"):
        query = query.where(AuditEvent.action.startswith(args["action"].strip()))
    department = _int_arg("department")
    if department is not None:
        query = query.where(AuditEvent.department_id == department)
    visible = visible_department_ids(current_user)
    if visible is not None:  # a city's data bureau reads the trail of its own platform's departments
        query = query.where(AuditEvent.department_id.in_(visible))
    if args.get("from"):
        query = query.where(AuditEvent.at >= start_of_day(_date_arg("from", date.min)))
    if args.get("to"):
        query = query.where(AuditEvent.at < end_of_day(_date_arg("to", date.max)))
    return query


def _user_names(events: list[AuditEvent]) -> dict[int, str]:
    """Display names of the users the events are about (object_type "user"), in one query."""
    ids = {
        int(e.object_id or "") for e in events if e.object_type == "user" and (e.object_id or "").isdigit()
    }
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _process_names() -> dict[str, str]:
    """Each deployed procedure's name by its id (the audit data names procedures, not ids)."""
    return {version.process_id: version.name for version in latest_versions()}


def _audit_row(
    e: AuditEvent, names: dict[int | None, str], users: dict[int, str], processes: dict[str, str]
) -> list:
    return [
        e.seq,
        local_datetime(e.at, "%Y-%m-%d %H:%M:%S"),
        e.actor_name,
        names.get(e.department_id, ""),
        action_label(e.action),
        object_text(e.object_type, e.object_id, users, short_ids=False),
        e.instance_id or "",
        data_text(e.data, processes=processes),
        (e.hash or "")[:16],
    ]


@bp.route("/audit")
@bp.route("/audit.<fmt>")
@login_required
def audit(fmt: str | None = None):
    """The audit trail with filters (case, user, department, action, period), newest first; CSV/Excel export."""
    require(current_user, "audit.view")
    query = _audit_query()
    if fmt:
        events = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(100_000)))
        names, users = stats.department_names(e.department_id for e in events), _user_names(events)
        processes = _process_names()
        rows = [_audit_row(e, names, users, processes) for e in events]
        return table_response("审计日志", AUDIT_HEADERS, rows, fmt)
    # Keyset pages (#30): `before` an id (older), or `after` one (newer); the cost of a page does not grow with
    # how far back it is.
    before, after = _int_arg("before"), _int_arg("after")
    if after is not None:
        newer = list(db.session.scalars(query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(51)))
        events = newer[:50][::-1]
        has_newer, has_older = len(newer) > 50, True
    else:
        if before is not None:
            query = query.where(AuditEvent.id < before)
        older = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(51)))
        events, has_newer, has_older = older[:50], before is not None, len(older) > 50
    names = stats.department_names(e.department_id for e in events)
    return render_template(
        "supervision/audit.html",
        events=events,
        has_older=has_older and bool(events),
        has_newer=has_newer and bool(events),
        names=names,
        users=_user_names(events),
        action_label=action_label,
        data_text=data_text,
        processes=_process_names(),
        object_text=object_text,
        args=request.args,
        departments=_filters()["departments"],
    )
