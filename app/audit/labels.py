"""Chinese names of audit actions for timelines."""

from __future__ import annotations

ACTION_LABELS = {
    "application.submitted": "提交申请",
    "application.checked": "规范性检查",
    "application.decided": "作出授权决定",
    "task.created": "待办生成",
    "task.claimed": "认领",
    "task.completed": "办结",
    "task.submitted": "提交（未办结：流程故障）",
    "timer.fired": "期限事件",
    "instance.started": "流程启动",
    "rectification.ordered": "通知整改",
    "rectification.reported": "报告整改情况",
    "rectification.verified": "核实整改情况",
    "rectification.escalated": "逾期未整改，上报领导小组",
}
