"""Supervision operations that BPMN service tasks call (rectification.bpmn, 办法§26, §31), registered with the engine."""

from __future__ import annotations

from app.engine.operations import operation
from app.engine.scripting import current_run
from app.supervision.rectification import escalate, record_report, record_verification


@operation("rectification_report")
def rectification_report(task, rectification_id: int, measures: str) -> dict:
    """Record the department's rectification report (rectification.bpmn, 办法§31)."""
    return {"status": record_report(rectification_id, current_run().actor_id, measures).status}


@operation("rectification_verified")
def rectification_verified(task, rectification_id: int, rectified: bool, verification: str) -> dict:
    """Record the 大数据管理机构's verification (rectification.bpmn)."""
    item = record_verification(rectification_id, current_run().actor_id, bool(rectified), verification)
    return {"status": item.status}


@operation("rectification_escalate")
def rectification_escalate(task, rectification_id: int) -> dict:
    """Not rectified in time: report to the leadership group (rectification.bpmn, 办法§31)."""
    return {"status": escalate(rectification_id).status}
