"""Share application use cases: submit (§13, §18), the normative check's result (§19), per-resource decisions
(§20, §21), authorization records and their revocation (§24)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from app import attachments, clock
from app.access import require
from app.audit.writer import record
from app.calendar.services import Taken, active_calendar, deadline, time_taken
from app.catalog.models import Resource, ResourceStatus
from app.catalog.rules import requestable_items
from app.catalog.services import has_controlled_parameters, resource_by_code
from app.db_types import row_id
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion, TaskStatus
from app.engine.queries import case_tasks
from app.engine.runtime import cancel_case, complete_task, start_instance
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db, rows_changed, stored
from app.notices.notifications import send
from app.numbering import next_in_sequence
from app.org.models import Department, Level, User
from app.sharing.models import ApplicationLine, ApplicationStatus, Authorization, Decision, ShareApplication
from app.texts import TEXT_LIMIT, required_texts, too_long

PROCESS = "share_application"
GRADE_ORDER = ("general", "important", "core")
MAX_PERIOD_DAYS = 5 * 366


def next_number() -> str:
    """The next case number of this year: SQ-2026-000001."""
    return next_in_sequence(ShareApplication.number, f"SQ-{clock.local_now().year}-")


ROUTES = ("national", "direct", "provider")


def _via_upper(resource: Resource, applicant: User) -> bool:
    """Does the line go through the upper platform first (§12)? A resource held above the applicant's platform
    does; national resources (§18) go through the provincial platform from a city. (Who authorizes is the
    decision table's business: bpmn/share_route.dmn.)"""
    provider_platform = resource.provider.platform
    applicant_platform = applicant.department.platform
    if provider_platform.level == Level.NATIONAL:
        return (
            applicant_platform.parent_id is not None and applicant_platform.parent_id != provider_platform.id
        )
    return provider_platform.id != applicant_platform.id


def forwarding_operator_id(line: ApplicationLine) -> int | None:
    """The operator department that handles a line beyond the applicant's platform: the operator of the
    platform holding the resource, or, for national resources, of the provincial platform (§12, §18)."""
    platform = line.provider.platform
    if platform.level == Level.NATIONAL:
        platform = line.application.applicant_department.platform
        while platform.parent is not None and platform.parent.level != Level.NATIONAL:
            platform = platform.parent
    operator = platform.operator
    return operator.id if operator else None


def _parse_date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors[field] = "日期格式应为 YYYY-MM-DD"
        return None


# The texts of an application (§13): field, title, longest length.
TEXT_FIELDS = (
    ("purpose", "用途", 2000),
    ("reason", "申请理由", TEXT_LIMIT),
    ("business_system", "使用数据的业务系统", 200),
    ("scope", "使用范围", 2000),
)


def validate_application(
    actor: User, data: dict[str, Any]
) -> tuple[dict[str, str], list[tuple[Resource, list[str]]]]:
    """Per-field problems and the (resource, items) requested. Only online (§18); 不予共享 resources and items
    cannot be requested (§8(一)); the period must be sensible."""
    errors: dict[str, str] = {}
    errors.update(required_texts(data, TEXT_FIELDS))
    start = _parse_date(data.get("valid_from"), "valid_from", errors)
    end = _parse_date(data.get("valid_to"), "valid_to", errors)
    errors.update(period_problems(start, end))
    requested: list[tuple[Resource, list[str]]] = []
    lines = data.get("resources") or []
    if not isinstance(lines, list) or not lines:
        errors["resources"] = "至少申请一个资源"
        lines = []
    seen = set()
    for index, line in enumerate(lines):
        where = f"resources[{index}]"
        code = (line or {}).get("code") if isinstance(line, dict) else None
        try:
            resource = resource_by_code(code or "")
        except NotFound:
            errors[where] = f"资源 {code} 不存在"
            continue
        if resource.status != ResourceStatus.PUBLISHED:
            errors[where] = f"资源“{resource.name}”未发布或已撤销，不能申请"
            continue
        if resource.id in seen:
            errors[where] = f"资源“{resource.name}”重复申请"
            continue
        seen.add(resource.id)
        if resource.provider_department_id == actor.department_id:
            errors[where] = f"资源“{resource.name}”是本部门的资源，无需申请"
            continue
        version = resource.current_version
        if version is None:  # a published resource always has one
            errors[where] = f"资源“{resource.name}”没有已发布的版本"
            continue
        allowed = {
            i["name"]
            for i in requestable_items(
                version.share_type or "",
                [{"name": i.name, "share_type": i.share_type} for i in version.items],
            )
        }
        if not allowed:
            errors[where] = f"资源“{resource.name}”不予共享（办法§8(一)），不能申请"
            continue
        wanted = line.get("items") or sorted(allowed)
        refused = [name for name in wanted if name not in allowed]
        if refused:
            errors[f"{where}.items"] = f"信息项“{'、'.join(refused)}”不予共享或不存在，不能申请"
            continue
        requested.append((resource, list(wanted)))
    guarded = [
        i.name
        for resource, wanted in requested
        for i in (resource.current_version.items if resource.current_version else [])
        if i.name in wanted and i.guarded
    ]
    necessity = str(data.get("necessity") or "").strip()
    if guarded and not necessity:
        errors["necessity"] = (
            f"申请的“{'、'.join(guarded[:5])}”属于重要、核心数据或敏感个人信息，请说明申请的必要性"
        )
    elif problem := too_long(necessity, "必要性说明", 2000):
        errors["necessity"] = problem
    return errors, requested


def submit_application(
    actor: User, data: dict[str, Any], uploads: list | None = None, kept: list | None = None
) -> ShareApplication:
    """The applicant clerk submits an application online (§13, §18), with its supporting documents (new
    `uploads`, and files `kept` from an earlier try of the form); the share_application process starts and the
    platform of the applicant's region checks it (§19)."""
    require(actor, "sharing.apply")
    errors, requested = validate_application(actor, data)
    errors.update(attachments.check(uploads or [], existing=len(kept or [])))
    if errors:
        raise ValidationFailed(_("申请填写有误"), fields=errors)
    now = clock.now()
    application = ShareApplication(
        number=next_number(),
        applicant_department_id=actor.department_id,
        applicant_user_id=actor.id,
        purpose=data["purpose"].strip(),
        reason=data["reason"].strip(),
        business_system=data["business_system"].strip(),
        scope=data["scope"].strip(),
        necessity=str(data.get("necessity") or "").strip() or None,
        valid_from=date.fromisoformat(str(data["valid_from"])),
        valid_to=date.fromisoformat(str(data["valid_to"])),
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
    )
    for resource, items in requested:
        application.lines.append(_new_line(resource, items, actor))
    db.session.add(application)
    db.session.flush()
    attachments.adopt(kept or [], "application", application.id)
    attachments.store("application", application.id, uploads or [], actor.id)
    record(
        "application.submitted",
        actor=actor,
        object_type="application",
        object_id=application.number,
        data={"resources": [r.code for r, _i in requested]},
    )
    start_instance(PROCESS, business_key=application.number, data=process_data(application), actor=actor)
    return application


def guarded_items(line: ApplicationLine) -> list[str]:
    """The requested items of a line that are 重要/核心 data or 敏感个人信息 (#34)."""
    asked = set(line.items)
    return [i.name for i in line.resource_version.items if i.name in asked and i.guarded]


def _new_line(resource: Resource, items: list[str], applicant: User) -> ApplicationLine:
    """A line asking for `items` of the resource's version in force (an application, or one its 补正 adds)."""
    return ApplicationLine(
        resource_id=resource.id,
        resource_version_id=resource.published_version.id,
        items=items,
        via_upper_platform=_via_upper(resource, applicant),
        provider_department_id=resource.provider_department_id,
    )


def process_data(application: ShareApplication) -> dict[str, Any]:
    """The small values the procedure needs (ids, not documents)."""
    return {
        "application_id": application.id,
        "application_number": application.number,
        "applicant_department_id": application.applicant_department_id,
        "applicant_user_id": application.applicant_user_id,  # 补正 goes back to the clerk who applied
        "received_at": application.submitted_at.isoformat(),
        "resource_requests": [
            {
                "line_id": line.id,
                "resource_code": line.resource.code,
                "resource_name": line.resource.name,
                "provider_department_id": line.provider_department_id,
                # the inputs of the decision table share_route.dmn (who authorizes: §12, §18, §20, §21)
                "provider_level": str(line.provider.platform.level),
                "resource_class": line.resource.resource_class,
                "share_type": line.resource_version.share_type or "",
                "controlled_parameters": has_controlled_parameters(line.resource),
                "via_upper": line.via_upper_platform,
                # §21: the platform holding the resource authorizes directly; §12: its operator checks forwards.
                "resource_platform_operator_id": forwarding_operator_id(line),
                # 重要/核心 or sensitive items asked for: a 共享安全评估 comes first (#34, resource_authorization.bpmn)
                "guarded": guarded_items(line),
            }
            for line in application.lines
        ],
    }


# --- called by the procedure (service operations) ------------------------------------------------------------


def record_route(line_id: int, route: str) -> ApplicationLine:
    """Who authorizes this line, as the procedure's decision table decided (share_route.dmn)."""
    line = db.session.get(ApplicationLine, int(line_id))
    if line is None:
        raise LookupError(f"application line {line_id} does not exist")
    if route not in ROUTES:
        raise ValueError(
            f"决策表 share_route 给出的授权路径 {route!r} 无效（应为 {' / '.join(ROUTES)} 之一）"
        )
    line.route = route
    return line


def record_transfer(
    line_id: int, actor_id: int | None, to_department_id: int, reason: str, clock_rule: str
) -> ApplicationLine:
    """转办 (#15): the line's authorization goes to the department that really holds the resource. The old
    provider is told to correct the catalog if its entry names the wrong provider (§6)."""
    line = db.session.get(ApplicationLine, int(line_id))
    if line is None:
        raise LookupError(f"application line {line_id} does not exist")
    target = db.session.get(Department, int(to_department_id))
    if target is None or not target.active or target.id == line.provider_department_id:
        raise ValueError(f"转办的目标部门无效：{to_department_id}")
    previous = line.provider
    actor = db.session.get(User, actor_id) if actor_id else None
    entry = {
        "from": previous.id,
        "from_name": previous.short_name,
        "to": target.id,
        "to_name": target.short_name,
        "reason": reason,
        "by": actor.display_name if actor else None,
        "at": clock.now().isoformat(),
        "clock": clock_rule,
    }
    line.transfers = [*(line.transfers or []), entry]
    line.transferred_at = clock.now()
    line.provider_department_id = target.id
    record(
        "application.transferred",
        actor=actor,
        object_type="application",
        object_id=line.application.number,
        data={
            "resource": line.resource.code,
            "from": previous.short_name,
            "to": target.short_name,
            "reason": reason,
            "clock": clock_rule,
        },
    )
    send(
        message=_(
            "已将申请%(n)s的资源“%(r)s”转办给%(t)s。如目录中该资源的提供部门有误，请及时更正目录（办法§6）",
            n=line.application.number,
            r=line.resource.name,
            t=target.short_name,
        ),
        role="provider_clerk",
        department_id=previous.id,
        link=f"/catalog/resources/{line.resource.code}",
    )
    return line


def record_check(
    application_id: int, checker_id: int | None, accepted: bool, reasons: str | None, returned: bool = False
) -> ShareApplication:
    """The normative check's result (§19): accepted; returned for completion (退回补正) with what to complete;
    or not accepted with reasons."""
    application = db.session.get(ShareApplication, int(application_id))
    if application is None:
        raise LookupError(f"application {application_id} does not exist")
    if application.status != ApplicationStatus.SUBMITTED:
        raise RuntimeError(f"application {application.number} was already checked")
    application.checked_at = clock.now()
    application.checked_by_id = checker_id
    application.check_reasons = reasons
    if accepted:
        application.status = ApplicationStatus.IN_PROGRESS
    elif returned:
        application.status = ApplicationStatus.RETURNED
    else:
        application.status = ApplicationStatus.NOT_ACCEPTED
        application.decided_at = clock.now()
        for line in application.lines:
            line.decision = Decision.NOT_ACCEPTED
            line.decided_at = clock.now()
            line.decision_reasons = reasons
    checker = db.session.get(User, checker_id) if checker_id else None
    record(
        "application.checked",
        actor=checker,
        object_type="application",
        object_id=application.number,
        data={"accepted": accepted, "returned": bool(returned) and not accepted, "reasons": reasons},
    )
    return application


def period_problems(start: date | None, end: date | None) -> dict[str, str]:
    """What is wrong with a period of use (§13): the end before the start, or longer than five years."""
    if start and end:
        if end < start:
            return {"valid_to": "使用期限的结束日期早于开始日期"}
        if (end - start).days > MAX_PERIOD_DAYS:
            return {"valid_to": "使用期限最长5年"}
    return {}


def record_completion(application_id: int, user_id: int | None, data: dict[str, Any]) -> ShareApplication:
    """The applicant completed a returned application (called by share_application.bpmn): the texts given
    replace the earlier ones, and the application waits for a new normative check (§19, a new 3 working days)."""
    application = db.session.get(ShareApplication, int(application_id))
    if application is None or application.status != ApplicationStatus.RETURNED:
        raise RuntimeError(f"application {application_id} is not returned for completion")
    changed = {}
    for field, _title, limit in TEXT_FIELDS:
        value = (data.get(field) or "").strip()
        if value and value != getattr(application, field):
            changed[field] = {"from": getattr(application, field), "to": value[:limit]}
            setattr(application, field, value[:limit])
    # the period, as the form's check let it through (period_problems): each date given replaces the old one
    for field in ("valid_from", "valid_to"):
        value = data.get(field)
        if value and date.fromisoformat(str(value)) != getattr(application, field):
            changed[field] = {"from": getattr(application, field).isoformat(), "to": str(value)}
            setattr(application, field, date.fromisoformat(str(value)))
    application.status = ApplicationStatus.SUBMITTED
    author = db.session.get(User, user_id) if user_id else None
    record(
        "application.completed",
        actor=author,
        object_type="application",
        object_id=application.number,
        data={"completion": data.get("completion"), "changes": changed},
    )
    return application


def resource_requests(application: ShareApplication) -> list[dict[str, Any]]:
    """The resources the procedure authorizes, as they stand (after a 补正 changed them)."""
    return process_data(application)["resource_requests"]


REVISABLE_TEXTS = tuple(field for field, _title, _limit in TEXT_FIELDS)
# what the 补正 step's form takes (forms/share_completion.json)
COMPLETION_FIELDS = ("completion", *REVISABLE_TEXTS, "valid_from", "valid_to")
COMPLETION_FORM = "share_completion.json"


def completion_step(application: ShareApplication) -> HumanTask:
    """The open 补正 step of a returned application (share_application.bpmn, complete_application)."""
    step = next(
        (
            t
            for t in case_tasks(application.number)
            if t.status == TaskStatus.OPEN and t.form == COMPLETION_FORM
        ),
        None,
    )
    if step is None:
        raise NotFound(_("申请 %(n)s 没有待补正的环节", n=application.number))
    return step


def complete_revision(
    actor: User,
    application: ShareApplication,
    task_id: str,
    data: dict[str, Any],
    uploads: list | None = None,
    keep: list[int] | None = None,
    held: list | None = None,
) -> HumanTask:
    """The whole 补正 from the application form: resources, items and files revised, then the 补正 step
    completed with the explanation, texts and period (its record_completion hands the procedure the new
    resources). Not committed here."""
    revise_application(actor, application, data, uploads, keep, held)
    return complete_task(task_id, actor, {key: data.get(key) for key in COMPLETION_FIELDS})


CORRECTED_RESOURCES = "completion_result.get('resource_requests'"  # share_application.bpmn's recheck script


def _takes_corrected_resources(application: ShareApplication) -> bool:
    """Does the version the case runs under authorize the lines as a 补正 left them? (Cases started before the
    recheck script took them keep the lines they started with.)"""
    version = db.session.scalar(
        select(ProcessVersion)
        .join(ProcessInstance, ProcessInstance.process_version_id == ProcessVersion.id)
        .where(ProcessInstance.business_key == application.number, ProcessVersion.process_id == PROCESS)
    )
    return version is not None and any(CORRECTED_RESOURCES in text for text in version.files.values())


def revise_application(
    actor: User,
    application: ShareApplication,
    data: dict[str, Any],
    uploads: list | None = None,
    keep: list[int] | None = None,
    held: list | None = None,
) -> dict[str, Any]:
    """补正 of what the step's form cannot carry (§19): the resources, their items and the attachments of a
    returned application, checked as a new application is. `keep`: ids of its files that stay (the others
    leave the case file); `uploads`/`held`: new files. The texts and the period go through the 补正 step itself
    (record_completion); the procedure takes the new resources from record_completion's result. Not committed
    here."""
    require(actor, "application.revise", application)
    errors, requested = validate_application(actor, data)
    if not str(data.get("completion") or "").strip():
        errors["completion"] = "请填写补正说明"
    files = attachments.of("application", application.id)
    kept = [f for f in files if f.id in set(keep or [])]
    errors.update(attachments.check(uploads or [], existing=len(kept) + len(held or [])))
    if errors:
        raise ValidationFailed(_("补正填写有误"), fields=errors)
    lines = {line.resource_id: line for line in application.lines}
    changes: dict[str, Any] = {}
    necessity = str(data.get("necessity") or "").strip() or None
    if necessity != application.necessity:
        changes["necessity"] = necessity
        application.necessity = necessity
    for resource, items in requested:
        line = lines.pop(resource.id, None)
        if line is None:
            application.lines.append(_new_line(resource, items, actor))
            changes.setdefault("added", []).append(resource.code)
        elif list(line.items) != items or line.resource_version_id != resource.published_version.id:
            changes.setdefault("items", {})[resource.code] = {"from": list(line.items), "to": items}
            line.items = items
            line.resource_version_id = resource.published_version.id  # checked against the version in force
    if (changes.get("added") or lines) and not _takes_corrected_resources(application):
        message = _("本案件按旧版流程办理，补正时不能增减资源；可修改信息项、内容和附件，或撤回后重新申请")
        raise ValidationFailed(message, fields={"resources": message})
    for line in lines.values():  # no longer requested; a returned application has no decision on it yet
        changes.setdefault("removed", []).append(line.resource.code)
        application.lines.remove(line)
        db.session.delete(line)
    for gone in (f for f in files if f not in kept):
        changes.setdefault("files_removed", []).append(gone.filename)
        attachments.retire(gone)
    attachments.adopt(held or [], "application", application.id)
    added = attachments.store("application", application.id, uploads or [], actor.id)
    if held or added:
        changes["files_added"] = [f.filename for f in [*(held or []), *added]]
    db.session.flush()  # the new lines' ids, for the procedure (process_data)
    if changes:
        record(
            "application.revised",
            actor=actor,
            object_type="application",
            object_id=application.number,
            data=changes,
        )
    return changes


def record_assessment(
    line_id: int, actor_id: int | None, passed: bool, opinion: str | None
) -> ApplicationLine:
    """The 共享安全评估 of a line (#34): who, when, passed or not, with the opinion; audited."""
    line = db.session.get(ApplicationLine, int(line_id))
    if line is None:
        raise LookupError(f"application line {line_id} does not exist")
    actor = db.session.get(User, actor_id) if actor_id else None
    line.assessment = {
        "passed": passed,
        "opinion": opinion,
        "by": actor.display_name if actor else None,
        "at": clock.now().isoformat(),
        "items": guarded_items(line),
    }
    record(
        "application.assessed",
        actor=actor,
        object_type="application",
        object_id=line.application.number,
        data={"resource": line.resource.code, "passed": passed, "opinion": opinion},
    )
    return line


def record_decision(
    line_id: int,
    decider_id: int | None,
    decision: str,
    reasons: str | None = None,
    basis: str | None = None,
    refused_items: list[str] | None = None,
    bound_parameters: dict[str, list[str]] | None = None,
) -> ApplicationLine:
    """One resource's decision (§20, §21); a grant creates the authorization record (§13, §24) for the requested
    items less those refused (a partial grant, whose refused items carry the line's reasons and basis)."""
    line = db.session.get(ApplicationLine, int(line_id))
    if line is None:
        raise LookupError(f"application line {line_id} does not exist")
    if line.decision != Decision.PENDING:
        raise RuntimeError(f"line {line_id} already decided: {line.decision}")
    refused = (
        [item for item in line.items if item in set(refused_items or [])]
        if decision == Decision.GRANTED
        else []
    )
    unknown = set(refused_items or []) - set(line.items)
    if unknown or (refused and len(refused) == len(line.items)):
        raise ValueError(
            f"部分授权的数据项有误：{sorted(unknown) or '全部数据项均不予授权，应作不予授权决定'}"
        )
    now = clock.now()
    line.decision, line.decided_at, line.decided_by_id = decision, now, decider_id
    line.decision_reasons, line.decision_basis = reasons, basis
    line.refused_items = refused or None
    application = line.application
    if decision == Decision.GRANTED:
        version = line.resource_version
        granted = [i for i in version.items if i.name in set(line.items) - set(refused)]
        grade = max((i.grade for i in granted), key=GRADE_ORDER.index, default="general")
        if any(i.guarded for i in granted) and not (line.assessment or {}).get("passed"):
            raise ValueError(
                "重要、核心数据或敏感个人信息须经共享安全评估通过后方可授权（办法§14，数据安全法§21）"
            )
        db.session.add(
            Authorization(
                line=line,
                applicant_department_id=application.applicant_department_id,
                resource_id=line.resource_id,
                items=[item for item in line.items if item not in refused],
                bound_parameters=bound_parameters or None,
                purpose=application.purpose,
                business_system=application.business_system,
                scope=application.scope,
                conditions=version.share_conditions,
                valid_from=application.valid_from,
                valid_to=application.valid_to,
                decided_by_id=decider_id,
                decided_at=now,
                grade=grade,
                sensitive=any(i.sensitive for i in granted),
            )
        )
    decider = db.session.get(User, decider_id) if decider_id else None
    record(
        "application.decided",
        actor=decider,
        object_type="application",
        object_id=application.number,
        data={
            "resource": line.resource.code,
            "decision": decision,
            "reasons": reasons,
            "basis": basis,
            "refused_items": refused,
        },
    )
    return line


def parse_bindings(text: str | None) -> dict[str, list[str]]:
    """The 管控参数 values a decision binds, from the form's lines "参数名=取值1,取值2" (the form's pattern has
    checked the shape and the names): {参数名: [取值…]}."""
    bindings: dict[str, list[str]] = {}
    for line in (text or "").splitlines():
        name, _sep, values = line.partition("=")
        if name.strip():
            chosen = [v.strip() for v in values.replace("，", ",").split(",") if v.strip()]
            bindings.setdefault(name.strip(), []).extend(chosen)
    return bindings


NOTIFICATION_DAYS = 1  # 办法§20: the platform tells the applicant within 1 working day after the answer


def notification_due(decided_at: datetime) -> datetime:
    """When the applicant must have been told of an answer given at `decided_at` (§20)."""
    return deadline(decided_at, NOTIFICATION_DAYS).expires_at


def told_taken(decided_at: datetime, told_at: datetime) -> Taken:
    """How long telling the applicant took, against the §20 limit (the §26 figure of that step)."""
    return time_taken(decided_at, told_at, notification_due(decided_at))


def record_applicant_told(line_id: int) -> ApplicationLine:
    """The platform told the applicant the answer (§20: within 1 working day); closes the application when
    every resource is answered."""
    line = stored(ApplicationLine, int(line_id))
    line.applicant_told_at = clock.now()
    if line.decided_at is not None:  # the §26 figure of this step, kept (#30)
        taken = told_taken(line.decided_at, line.applicant_told_at)
        line.told_days, line.told_on_time, line.told_calendar = taken.days, taken.on_time, taken.calendar
    application = line.application
    if all(item.decision != Decision.PENDING for item in application.lines):
        application.status = ApplicationStatus.DECIDED
        application.decided_at = clock.now()
    return line


# --- authorizations ------------------------------------------------------------------------------------------


def withdraw_application(actor: User, application: ShareApplication, reason: str) -> ShareApplication:
    """The applicant withdraws an application no resource of which has been decided: its procedure and open
    steps end, every resource is marked withdrawn. Not committed here."""
    require(actor, "application.withdraw", application)
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写撤回原因"), fields={"reason": _("请填写撤回原因")})
    if problem := too_long(reason, "撤回原因", 2000):
        raise ValidationFailed(problem, fields={"reason": problem})
    cancel_case(application.number, actor, reason.strip())
    application.status = ApplicationStatus.WITHDRAWN
    for line in application.lines:
        line.decision = Decision.WITHDRAWN
    record(
        "application.withdrawn",
        actor=actor,
        object_type="application",
        object_id=application.number,
        data={"reason": reason.strip()},
    )
    return application


def revoke_authorization(actor: User, authorization: Authorization, reason: str) -> Authorization:
    """Revoke an authorization with a reason (provider or platform)."""
    require(actor, "authorization.revoke", authorization)
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写撤销原因"), fields={"reason": _("请填写撤销原因")})
    if problem := too_long(reason, "撤销原因"):
        raise ValidationFailed(problem, fields={"reason": problem})
    if authorization.revoked_at is not None:
        raise Conflict(_("授权已撤销"))
    authorization.revoked_at = clock.now()
    authorization.revoked_by_id = actor.id
    authorization.revoked_reason = reason.strip()
    record(
        "authorization.revoked",
        actor=actor,
        object_type="authorization",
        object_id=authorization.id,
        data={"reason": reason},
    )
    db.session.flush()
    return authorization


def get_authorization(authorization_id: int | str | None) -> Authorization:
    """An authorization by id (as typed in a URL or form); NotFound (404) when there is none."""
    key = row_id(authorization_id)
    authorization = db.session.get(Authorization, key) if key else None
    if authorization is None:
        raise NotFound(_("授权不存在"))
    return authorization


def authorizations_by_line(application: ShareApplication) -> dict[int, Authorization]:
    """The authorizations granted on an application's lines, by line id."""
    return {
        a.line_id: a
        for a in db.session.scalars(
            select(Authorization).where(Authorization.line_id.in_([line.id for line in application.lines]))
        )
    }


def application_by_number(actor: User, number: str) -> ShareApplication:
    """An application its reader may see (application.view), or NotFound / PermissionDenied."""
    application = db.session.scalar(select(ShareApplication).where(ShareApplication.number == number))
    if application is None:
        raise NotFound(_("申请不存在"))
    require(actor, "application.view", application)
    return application


def authorizations_of(department_id: int) -> list[Authorization]:
    """Authorizations held by (or granted on resources of) a department, newest first."""
    return list(
        db.session.scalars(
            select(Authorization)
            .join(Resource, Resource.id == Authorization.resource_id)
            .where(
                (Authorization.applicant_department_id == department_id)
                | (Resource.provider_department_id == department_id)
            )
            .order_by(Authorization.id.desc())
        )
    )


def applications_of(department_id: int) -> list[ShareApplication]:
    """A department's applications, newest first."""
    return list(
        db.session.scalars(
            select(ShareApplication)
            .where(ShareApplication.applicant_department_id == department_id)
            .order_by(ShareApplication.id.desc())
        )
    )


# --- expiry (#14): the applicant is told before an authorization ends, and may renew it -----------------------


def notify_expiring(today: date, notice_days: int) -> int:
    """Tell each applicant department, once, about its authorizations that end within `notice_days` working days
    (not revoked, not yet told); the notice links to the renewal. Safe with several schedulers: each
    authorization is claimed by one conditional UPDATE before its notice is written."""
    calendar = active_calendar()
    horizon = calendar.add_working_days(today, notice_days)
    candidates = db.session.scalars(
        select(Authorization).where(
            Authorization.revoked_at.is_(None),
            Authorization.expiry_notified_at.is_(None),
            Authorization.valid_to >= today,
            Authorization.valid_to <= horizon,
        )
    ).all()
    told = 0
    for authorization in candidates:
        claimed = rows_changed(
            update(Authorization)
            .where(Authorization.id == authorization.id, Authorization.expiry_notified_at.is_(None))
            .values(expiry_notified_at=clock.now())
        )
        if claimed != 1:
            continue
        send(
            message=_(
                "授权即将到期：%(r)s（%(n)s）有效期至 %(d)s，如需继续使用请申请续期",
                r=authorization.resource.name,
                n=authorization.line.application.number,
                d=authorization.valid_to.isoformat(),
            ),
            role="applicant_clerk",
            department_id=authorization.applicant_department_id,
            link=f"/applications/new?renew={authorization.id}",
        )
        record(
            "authorization.expiry_notified",
            object_type="authorization",
            object_id=authorization.id,
            data={"valid_to": authorization.valid_to.isoformat()},
        )
        told += 1
    return told


def renewal_of(actor: User, authorization_id: int) -> Authorization:
    """An authorization of the actor's department to renew (a new application prefilled from it)."""
    authorization = db.session.get(Authorization, authorization_id)
    if authorization is None or authorization.applicant_department_id != actor.department_id:
        raise NotFound(_("授权不存在"))
    return authorization
