"""Chinese names of audit actions and of the data they carry, for timelines, the audit viewer and exports."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from app.clock import SHANGHAI
from app.org.roles import role_label

ACTION_LABELS = {
    "application.submitted": "提交申请",
    "application.checked": "规范性检查",
    "application.decided": "作出授权决定",
    "application.withdrawn": "撤回申请",
    "application.completed": "补正申请",
    "application.revised": "补正修改资源和附件",
    "authorization.revoked": "撤销授权",
    "calendar.version_created": "工作日历新版本",
    "calls.ingested": "报送数据调用",
    "catalog.created": "新建目录",
    "catalog.edited": "修改目录",
    "catalog.submitted": "提交目录审核",
    "catalog.published": "目录发布",
    "catalog.returned": "目录退回修改",
    "catalog.withdrawn": "目录撤回",
    "catalog.service_registered": "登记数据服务",
    "clock.set": "调整系统时钟",
    "dispute.raised": "提出协调",
    "dispute.position": "陈述意见",
    "dispute.negotiated": "协商",
    "dispute.decided": "协调决定",
    "incident.created": "流程故障",
    "incident.retried": "故障重试",
    "instance.started": "流程启动",
    "instance.cancelled": "流程取消",
    "instance.migrated": "案件迁移到新版本",
    "gateway.credential_created": "签发交换网关凭证",
    "authorization.expiry_notified": "提醒授权即将到期",
    "application.transferred": "转办",
    "task.urged": "催办",
    "services.freshness_reported": "报送数据更新时间",
    "catalog.duty_change": "登记法律或职能变化",
    "catalog.duty_change_closed": "目录更新时限结束",
    "delegation.created": "设置委托",
    "user.notices_set": "设置通知方式",
    "delegation.cancelled": "取消委托",
    "gateway.credential_revoked": "吊销交换网关凭证",
    "message.delivered": "流程消息",
    "models.uploaded": "上传流程模型",
    "model_draft.opened": "在线编辑流程（新草稿）",
    "model_draft.saved": "保存流程草稿",
    "model_draft.discarded": "放弃流程草稿",
    "model_draft.restored": "恢复流程草稿的较早保存",
    "monthly_report.generated": "生成月度报告",
    "national.queued": "待提交国家平台",
    "national.forward_failed": "转国家平台失败",
    "objection.raised": "提出异议",
    "objection.answered": "异议校核答复",
    "objection.reviewed": "异议复核",
    "offline.requested": "申请线下交换",
    "offline.decided": "线下交换审批",
    "process.deployed": "部署流程",
    "scheduler.run_now": "立即执行定时任务",
    "resource.rated": "共享评价",
    "catalog.lead_set": "设置牵头部门",
    "assessment.plan_set": "设置考核指标",
    "assessment.published": "发布考核得分",
    "catalog.lead_removed": "取消牵头部门",
    "application.assessed": "共享安全评估",
    "demand.raised": "提出数据需求",
    "matter.imported": "导入政务服务事项",
    "matter.material_changed": "修改事项材料",
    "demand.routed": "分派数据需求",
    "demand.answered": "答复数据需求",
    "demand.fulfilled": "关联编目资源",
    "audit.key_rotated": "启用新的审计密钥",
    "quality.raised": "数据质量问题",
    "quality.responded": "质量问题答复",
    "quality.resolved": "质量问题办结",
    "rectification.ordered": "通知整改",
    "rectification.reported": "报告整改情况",
    "rectification.verified": "核实整改情况",
    "rectification.escalated": "逾期未整改，上报领导小组",
    "task.created": "待办生成",
    "task.claimed": "认领",
    "task.unclaimed": "退回待认领",
    "task.reassigned": "改派",
    "task.draft_saved": "暂存草稿",
    "task.completed": "办结",
    "task.submitted": "提交（未办结：流程故障）",
    "timer.fired": "期限事件",
    "timer.rearmed": "期限重算",
    "token.created": "创建接口令牌",
    "token.revoked": "撤销接口令牌",
    "user.roles_changed": "分配用户角色",
    "user.created": "新建用户",
    "user.updated": "修改用户",
    "user.signed_in": "登录",
    "user.signed_out": "退出登录",
    "user.sign_in_failed": "登录失败",
    "user.locked": "账户临时锁定",
    "user.password_changed": "修改密码",
    "user.password_change_failed": "修改密码未成功",
    "user.reset_requested": "签发启用码（重置密码）",
    "user.reset_refused": "签发启用码被拒绝",
    "user.reset_approved": "批准启用码",
    "user.reset_rejected": "驳回启用码",
    "user.reset_decision_refused": "审批启用码被拒绝",
    "user.enrolled": "使用启用码设置密码",
    "user.enrol_failed": "启用码无效",
    "user.second_factor_enrolled": "启用动态口令",
    "user.second_factor_failed": "动态口令错误",
    "user.recovery_code_used": "使用恢复码",
}

DATA_LABELS = {
    "accepted": "受理",
    "actor": "操作人",
    "basis": "依据",
    "business_key": "案件",
    "changed": "变更流程",
    "comment": "说明",
    "count": "条数",
    "decision": "决定",
    "description": "内容",
    "due": "期限",
    "error": "错误",
    "fields": "字段",
    "fired_at": "触发时间",
    "flagged": "超授权",
    "form": "表单",
    "from": "原值",
    "granted": "授权",
    "label": "事项",
    "message": "消息",
    "name": "名称",
    "outcome": "结论",
    "party": "当事方",
    "payload": "内容",
    "period": "月份",
    "position": "意见",
    "problems": "问题数",
    "process_id": "流程",
    "reason": "原因",
    "reasons": "理由",
    "resource": "资源",
    "source": "来源",
    "text": "内容",
    "timer": "定时器",
    "to": "新值",
    "topic": "事项",
    "version": "版本",
    "role": "角色",
    "roles": "角色",
    "candidate_role": "办理角色",
    "candidate_department": "办理部门",
    "due_at": "期限",
    "due_date": "期限",
    "assignee": "办理人",
    "user": "用户",
    "username": "用户名",
    "department": "部门",
    "items": "数据项",
    "refused_items": "不予共享的数据项",
    "valid_from": "起始日期",
    "valid_to": "截止日期",
    "business_system": "业务系统",
    "system": "业务系统",
    "number": "编号",
    "code": "代码",
    "status": "状态",
    "step": "环节",
    "task": "待办",
    "instance": "流程实例",
    "at": "时间",
    "deputy": "受托人",
    "principal": "委托人",
    "start": "开始",
    "end": "结束",
    "key_id": "密钥",
    "duplicates": "重复报送",
    "applicant": "申请方",
    "provider": "提供方",
    "purpose": "用途",
    "scope": "范围",
    "clock": "计时规则",
    "by": "操作人",
    "share_type": "共享类型",
    "spec_name": "环节",
    "department_id": "部门编号",
    "hash": "文件摘要",
    "hashes": "文件摘要",
    "files": "文件",
    "added": "增加",
    "resources": "资源",
    "service": "数据服务",
    "removed": "移除",
    "files_added": "增加的文件",
    "files_removed": "移除的文件",
    "completion": "补正说明",
    "effective_on": "施行日期",
    "changes": "修改",
    "revisions": "修订次数",
    "revision_id": "修订",
}

# what an audit row is about, in Chinese (the audit viewer's 对象 column)
OBJECT_LABELS = {
    "api_token": "接口令牌",
    "application": "申请",
    "authorization": "授权",
    "calendar_version": "工作日历版本",
    "delegation": "委托",
    "demand": "数据需求",
    "assessment": "加权考核",
    "matter": "政务服务事项",
    "department": "部门",
    "dispute": "协调",
    "duty_change": "职能变化",
    "enrolment_code": "启用码",
    "gateway_credential": "交换网关凭证",
    "incident": "流程故障",
    "instance": "流程实例",
    "job": "定时任务",
    "model_draft": "流程草稿",
    "model_upload": "流程模型上传",
    "monthly_report": "月度报告",
    "objection": "异议",
    "offline_exchange": "线下交换",
    "process_version": "流程版本",
    "quality_issue": "数据质量问题",
    "rectification": "整改",
    "resource": "资源",
    "task": "待办",
    "timer": "期限事件",
    "user": "用户",
}

_ROLE_KEYS = {"role", "roles", "candidate_role"}
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def action_label(action: str) -> str:
    """The Chinese name of an audit action (the code itself when none is known)."""
    return ACTION_LABELS.get(action, action)


_PROCESS_KEYS = {"process_id", "process"}
_HASH_KEYS = {"hash", "hashes", "sha256"}


def _text(value: Any, key: str = "", processes: dict[str, str] | None = None, short: bool = False) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(
            f"{DATA_LABELS.get(k, k)}：{_text(v, k, processes, short)}"
            for k, v in value.items()
            if v not in (None, "", [], {}) and not (short and k in _HASH_KEYS)  # digests: export, title
        )
    if isinstance(value, list):
        return "、".join(_text(v, key, processes, short) for v in value)
    if isinstance(value, str) and key in _ROLE_KEYS:
        return role_label(value)
    if isinstance(value, str) and key in _PROCESS_KEYS and processes and value in processes:
        return f"{processes[value]}（{value}）" if not short else processes[value]
    if isinstance(value, str) and _MOMENT.match(value):  # stored in UTC, read in Beijing time
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            .astimezone(SHANGHAI)
            .strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, str | int | float) or value is None:
        return "" if value is None else str(value)
    return json.dumps(value, ensure_ascii=False)


def object_text(
    object_type: str | None,
    object_id: str | None,
    users: dict[int, str] | None = None,
    *,
    short_ids: bool = True,
) -> str:
    """What an audit row is about as people read it: 申请 SQ-2026-000123, 用户 省民政厅经办人 (the name, when
    `users` knows the id), 待办 51ce9fe7 (a task's id shortened on the page; `short_ids=False` for exports)."""
    if not object_type and not object_id:
        return ""
    label, ident = OBJECT_LABELS.get(object_type or "", object_type or ""), object_id or ""
    if object_type == "user" and users and ident.isdigit() and int(ident) in users:
        ident = users[int(ident)]
    elif object_type == "task" and short_ids and len(ident) > 12:
        ident = ident[:8]
    return f"{label} {ident}".strip()


def data_text(
    data: dict | None, limit: int = 2000, *, processes: dict[str, str] | None = None, short: bool = False
) -> str:
    """An audit row's data as people read it: 理由：…；依据：…, nested forms included; cut at `limit`.
    `processes`: process names by id (a procedure is named, its id kept in the export); `short`: without file
    digests (the page, which shows them in the cell's title; the export keeps them)."""
    text = _text(data or {}, "", processes, short)
    return text if len(text) <= limit else text[: limit - 1] + "…"
