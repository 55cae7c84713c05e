"""A model change in words (版本对比): what an analyst reads before deploying."""

from __future__ import annotations

import json
from pathlib import Path

from app.studio.compare import describe, describe_form

ROOT = Path(__file__).resolve().parents[2]
AUTHORIZATION = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")


def texts(old: str, new: str) -> list[str]:
    return [change.text for change in describe(old, new)]


def test_a_deadline_change_reads_as_working_days_of_the_step():
    changed = AUTHORIZATION.replace("deadline(forwarded_at, 10)", "deadline(forwarded_at, 7)")
    assert texts(AUTHORIZATION, changed) == [
        "「提供部门授权」的提醒「到期前一个工作日提醒」随期限 10 → 7 个工作日",
        "「提供部门授权」办理期限 10 → 7 个工作日（自转交之日起）",
    ]


def test_layout_alone_is_no_change():
    moved = AUTHORIZATION.replace('<dc:Bounds x="', '<dc:Bounds x="1')
    assert moved != AUTHORIZATION and texts(AUTHORIZATION, moved) == []


def test_added_and_removed_steps_roles_conditions_and_operations():
    changed = (
        AUTHORIZATION.replace(
            '<spiffworkflow:property name="candidateDepartment" value="provider_department_id" />',
            '<spiffworkflow:property name="candidateDepartment" value="provider_department_id" />\n'
            '<spiffworkflow:property name="candidateRole" value="platform_operator" />',
        )
        .replace('route == "national"', 'route in ("national", "abroad")')
        .replace(
            '<bpmn:endEvent id="upper_check_remind_end" />',
            '<bpmn:endEvent id="upper_check_remind_end" />\n<bpmn:userTask id="extra_review" name="复核" />',
        )
        .replace(
            '<spiffworkflow:parameter id="role" type="str" value="\'platform_operator\'" />',
            '<spiffworkflow:parameter id="role" type="str" value="\'supervisor\'" />',
            1,
        )
    )
    result = texts(AUTHORIZATION, changed)
    assert "新增用户任务「复核」" in result
    assert "「提供部门授权」候选角色 提供部门审核人 → 平台审核员" in result
    assert any(t.startswith("连线「跨省：国家共享平台（§18）」条件") and "abroad" in t for t in result)
    assert any("服务操作 notify 参数：role 'platform_operator' → 'supervisor'" in t for t in result)
    removed = texts(changed, AUTHORIZATION)
    assert "删除用户任务「复核」" in removed


def test_form_changes_name_the_fields_by_their_titles():
    old = json.loads((ROOT / "forms" / "share_authorization.json").read_text(encoding="utf-8"))
    new = json.loads(json.dumps(old))
    new["properties"]["note"] = {"type": "string", "title": "备注"}
    new["required"] = [*new["required"], "note"]
    title = old["properties"]["granted"]["title"]
    new["properties"]["granted"]["title"] = "是否同意"
    result = [c.text for c in describe_form(old, new)]
    assert "新增字段「备注」（必填）" in result and f"字段「{title}」改名为「是否同意」" in result
    assert [c.text for c in describe_form(None, new)] == ["新表单"]


def test_a_lost_decision_reference_is_a_change():
    lost = AUTHORIZATION.replace(
        "<spiffworkflow:calledDecisionId>share_route</spiffworkflow:calledDecisionId>", ""
    )
    assert texts(AUTHORIZATION, lost) == ["「决定授权路径」决策表 share_route → —"]
