"""The engine's own service operations, for any process: in-app notifications, the national platform call."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from flask import current_app

from app.audit.writer import record
from app.engine.notifications import send
from app.engine.operations import operation
from app.engine.scripting import current_run


@operation("notify")
def notify(task, message: str, user_id: int | None = None, role: str | None = None,
           department_id: int | None = None, link: str | None = None) -> dict:  # fmt: skip
    """An in-app notification to a user, a role, or a role within a department."""
    run = current_run()
    note = send(
        message=message,
        user_id=user_id,
        role=role,
        department_id=department_id,
        link=link or (f"/cases/{run.business_key}" if run.business_key else None),
        instance_id=run.instance_id,
    )
    return {"notification_id": note.id}


@operation(
    "national_forward", sample={"decision": "pending", "reasons": None, "basis": None, "reference": None}
)
def national_forward(
    task, line_id: int, application_number: str, resource_code: str, resource_name: str
) -> dict:
    """Forward one line to the 国家共享平台 (办法§18) when NATIONAL_PLATFORM_ENDPOINT is configured.

    The endpoint receives the application line as JSON and answers {"decision": "granted" | "refused" |
    "pending", "reasons", "basis", "reference"}. Without an endpoint, on "pending", or when the call fails,
    the answer is {"decision": "manual"} and the platform operator carries the request by hand.
    """

    endpoint = current_app.config.get("NATIONAL_PLATFORM_ENDPOINT") or ""
    if not endpoint:
        return {"decision": "manual", "note": "未配置国家共享平台接口"}
    body = json.dumps({"application": application_number, "line": line_id, "resource_code": resource_code,
                        "resource_name": resource_name}, ensure_ascii=False).encode()  # fmt: skip
    request = urllib.request.Request(
        endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(
            request, timeout=current_app.config.get("NATIONAL_PLATFORM_TIMEOUT", 10)
        ) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as err:
        record("national.forward_failed", object_type="application", object_id=application_number,
               instance_id=current_run().instance_id, data={"line": line_id, "error": f"{type(err).__name__}: {err}"})  # fmt: skip
        return {"decision": "manual", "note": f"国家共享平台接口调用失败：{type(err).__name__}"}
    decision = answer.get("decision") if isinstance(answer, dict) else None
    if decision not in ("granted", "refused"):
        return {
            "decision": "manual",
            "note": "国家共享平台尚未答复",
            "reference": (answer or {}).get("reference"),
        }
    return {"decision": decision, "reasons": answer.get("reasons"), "basis": answer.get("basis"),
            "reference": answer.get("reference")}  # fmt: skip
