"""A change to a process model in words (the analyst studio's 版本对比): what an analyst, a clerk or the
leadership office needs to know about a new version, not an XML diff.

"「提供部门授权」办理期限 10 → 7 个工作日", "新增用户任务「…」", "「…」候选角色 平台审核员 → 提供部门审核人".
Elements are matched by their BPMN id; the diagram layout (DI) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from app.engine.language import (
    ASSIGNEE_PROPERTY,
    BPMN,
    DEADLINE_TIMER_PROPERTY,
    DEPARTMENT_PROPERTY,
    FORM_PROPERTY,
    NS,
    ROLE_PROPERTY,
    deadline_of,
    is_reminder,
    lane_names,
    moment_word,
    property_values,
)
from app.org.roles import role_label

SPIFF = NS["spiffworkflow"]

KINDS = {
    "userTask": "用户任务",
    "serviceTask": "服务任务",
    "scriptTask": "脚本任务",
    "manualTask": "人工任务",
    "businessRuleTask": "业务规则任务",
    "callActivity": "调用流程",
    "subProcess": "子流程",
    "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关",
    "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关",
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件",
    "task": "任务",
    "sendTask": "发送任务",
    "receiveTask": "接收任务",
}
PROPERTY_WORDS = {
    ROLE_PROPERTY: "候选角色",
    DEPARTMENT_PROPERTY: "候选部门",
    ASSIGNEE_PROPERTY: "指定办理人",
    FORM_PROPERTY: "表单",
    DEADLINE_TIMER_PROPERTY: "期限定时器",
}


@dataclass(frozen=True)
class Change:
    """One change, in words; `element_id` lets the page point at the element."""

    kind: str  # added / removed / changed
    element_id: str
    text: str


def _tree(source: str):
    return etree.fromstring(source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))


def _local(tag: str) -> str:
    return etree.QName(tag).localname


@dataclass
class _Node:
    kind: str
    name: str
    lane: str | None
    properties: dict[str, str]
    documentation: str
    timer: str | None
    attached_to: str | None
    operation: tuple[str, dict[str, str]] | None
    script: str | None
    called: str | None
    default: str | None
    decision: str | None


def _nodes(root) -> dict[str, _Node]:
    lanes = lane_names(root)
    nodes = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        for element in process.iter():
            if not isinstance(element.tag, str) or element.get("id") is None:
                continue
            kind = _local(element.tag)
            if kind not in KINDS:
                continue
            props = property_values(element)
            timer = next(
                (
                    t.text or ""
                    for t in element.iter()
                    if _local(str(t.tag)) in {"timeDate", "timeDuration", "timeCycle"}
                ),
                None,
            )
            operator = element.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
            operation = None
            if operator is not None:
                params = {
                    p.get("id"): p.get("value") or ""
                    for p in operator.findall("spiffworkflow:parameters/spiffworkflow:parameter", NS)
                }
                operation = (operator.get("id") or "", params)
            script = element.find("bpmn:script", NS)
            nodes[element.get("id")] = _Node(
                kind=kind,
                name=(element.get("name") or "").strip(),
                lane=lanes.get(element.get("id")),
                properties=props,
                documentation="".join(
                    (d.text or "") for d in element.findall("bpmn:documentation", NS)
                ).strip(),
                timer=timer.strip() if timer is not None else None,
                attached_to=element.get("attachedToRef"),
                operation=operation,
                script=script.text.strip() if script is not None and script.text else None,
                called=element.get("calledElement"),
                default=element.get("default"),
                decision=element.findtext("bpmn:extensionElements/spiffworkflow:calledDecisionId", None, NS),
            )
    return nodes


def _flows(root) -> dict[str, tuple[str, str, str, str]]:
    flows = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        condition = flow.find("bpmn:conditionExpression", NS)
        flows[flow.get("id")] = (
            flow.get("sourceRef") or "",
            flow.get("targetRef") or "",
            (flow.get("name") or "").strip(),
            (condition.text or "").strip() if condition is not None else "",
        )
    return flows


def _title(nodes: dict[str, _Node], element_id: str) -> str:
    node = nodes.get(element_id)
    return f"「{node.name or element_id}」" if node else f"「{element_id}」"


def _timer_text(nodes: dict[str, _Node], element_id: str, old: _Node, new: _Node) -> str:
    before, after = deadline_of(old.timer), deadline_of(new.timer)
    task = nodes.get(new.attached_to or "")
    label = _title(nodes, element_id)
    if before and after and task is not None:
        owner = _title(nodes, new.attached_to or "")
        if is_reminder(new.timer):
            return f"{owner}的提醒{label}随期限 {before[1]} → {after[1]} 个工作日"
        what = (
            "办理期限"
            if task.properties.get(DEADLINE_TIMER_PROPERTY) in (None, element_id)
            else f"{label}期限"
        )
        return f"{owner}{what} {before[1]} → {after[1]} 个工作日（自{moment_word(after[0])}起）"
    return f"{label}定时 {old.timer} → {new.timer}"


def describe(old_source: str, new_source: str) -> list[Change]:
    """What changed from `old_source` to `new_source` (one BPMN file), in words, in document order."""
    old_root, new_root = _tree(old_source), _tree(new_source)
    old, new = _nodes(old_root), _nodes(new_root)
    changes: list[Change] = []
    for element_id, node in new.items():
        if element_id not in old:
            where = f"（附在{_title(new, node.attached_to)}上）" if node.attached_to else ""
            extra = ""
            if node.kind == "boundaryEvent" and (rule := deadline_of(node.timer)):
                field, days = rule
                extra = f"，{days} 个工作日（自{moment_word(field)}起）"
            changes.append(
                Change(
                    "added", element_id, f"新增{KINDS[node.kind]}「{node.name or element_id}」{where}{extra}"
                )
            )
    for element_id, node in old.items():
        if element_id not in new:
            changes.append(
                Change("removed", element_id, f"删除{KINDS[node.kind]}「{node.name or element_id}」")
            )
    for element_id, before in old.items():
        after = new.get(element_id)
        if after is None:
            continue
        label = _title(new, element_id)
        if before.kind != after.kind:
            changes.append(
                Change("changed", element_id, f"{label}类型 {KINDS[before.kind]} → {KINDS[after.kind]}")
            )
        if before.name != after.name:
            changes.append(
                Change("changed", element_id, f"「{before.name or element_id}」改名为「{after.name}」")
            )
        if before.timer != after.timer:
            changes.append(Change("changed", element_id, _timer_text(new, element_id, before, after)))
        role_before = before.properties.get(ROLE_PROPERTY) or before.lane
        role_after = after.properties.get(ROLE_PROPERTY) or after.lane
        if after.kind == "userTask" and role_before != role_after:
            changes.append(
                Change(
                    "changed",
                    element_id,
                    f"{label}候选角色 {role_label(role_before)} → {role_label(role_after)}",
                )
            )
        for key, word in PROPERTY_WORDS.items():
            if key == ROLE_PROPERTY:
                continue
            a, b = before.properties.get(key), after.properties.get(key)
            if a != b:
                changes.append(Change("changed", element_id, f"{label}{word} {a or '—'} → {b or '—'}"))
        if before.operation != after.operation:
            changes.append(
                Change("changed", element_id, _operation_text(label, before.operation, after.operation))
            )
        if before.script != after.script:
            changes.append(Change("changed", element_id, f"{label}脚本已修改"))
        if before.called != after.called:
            changes.append(
                Change("changed", element_id, f"{label}调用的流程 {before.called} → {after.called}")
            )
        if before.decision != after.decision:
            changes.append(
                Change(
                    "changed", element_id, f"{label}决策表 {before.decision or '—'} → {after.decision or '—'}"
                )
            )
        if before.documentation != after.documentation:
            changes.append(
                Change("changed", element_id, f"{label}说明（依据）已修改：{after.documentation[:80]}")
            )
        if before.default != after.default:
            changes.append(
                Change(
                    "changed", element_id, f"{label}默认路径 {before.default or '—'} → {after.default or '—'}"
                )
            )
    changes.extend(_flow_changes(_flows(old_root), _flows(new_root), old, new))
    return changes


def _operation_text(label: str, before, after) -> str:
    if before is None or after is None or before[0] != after[0]:
        return f"{label}服务操作 {before[0] if before else '—'} → {after[0] if after else '—'}"
    changed = [
        f"{key} {before[1].get(key, '—')} → {after[1].get(key, '—')}"
        for key in sorted(set(before[1]) | set(after[1]))
        if before[1].get(key) != after[1].get(key)
    ]
    return f"{label}服务操作 {after[0]} 参数：{'；'.join(changed)}"


def _flow_changes(old_flows, new_flows, old_nodes, new_nodes) -> list[Change]:
    changes = []
    for flow_id, (source, target, name, condition) in new_flows.items():
        text = f"「{name}」" if name else ""
        if flow_id not in old_flows:
            changes.append(
                Change(
                    "added",
                    flow_id,
                    f"新增连线{text}{_title(new_nodes, source)} → {_title(new_nodes, target)}",
                )
            )
            continue
        o_source, o_target, o_name, o_condition = old_flows[flow_id]
        if (o_source, o_target) != (source, target):
            changes.append(
                Change(
                    "changed",
                    flow_id,
                    f"连线{text or flow_id}改为 {_title(new_nodes, source)} → {_title(new_nodes, target)}",
                )
            )
        if o_condition != condition:
            changes.append(
                Change(
                    "changed", flow_id, f"连线{text or flow_id}条件 {o_condition or '—'} → {condition or '—'}"
                )
            )
        if o_name != name:
            changes.append(Change("changed", flow_id, f"连线「{o_name or flow_id}」改名为「{name}」"))
    for flow_id, (source, target, name, _condition) in old_flows.items():
        if flow_id not in new_flows:
            text = f"「{name}」" if name else ""
            changes.append(
                Change(
                    "removed",
                    flow_id,
                    f"删除连线{text}{_title(old_nodes, source)} → {_title(old_nodes, target)}",
                )
            )
    return changes


def describe_form(old: dict | None, new: dict) -> list[Change]:
    """A form's changes in words: fields added, removed, retitled, made required or optional, options changed."""
    if old is None:
        return [Change("added", "", "新表单")]
    before, after = old.get("properties", {}), new.get("properties", {})
    required_before, required_after = set(old.get("required", [])), set(new.get("required", []))
    changes = []

    def title(schema: dict, key: str) -> str:
        return f"「{schema.get(key, {}).get('title') or key}」"

    for key in after:
        if key not in before:
            changes.append(
                Change(
                    "added",
                    key,
                    f"新增字段{title(after, key)}" + ("（必填）" if key in required_after else ""),
                )
            )
    for key in before:
        if key not in after:
            changes.append(Change("removed", key, f"删除字段{title(before, key)}"))
    for key in before.keys() & after.keys():
        old_field, new_field = before[key], after[key]
        if old_field.get("title") != new_field.get("title"):
            changes.append(Change("changed", key, f"字段{title(before, key)}改名为{title(after, key)}"))
        if (key in required_before) != (key in required_after):
            word = "改为必填" if key in required_after else "改为选填"
            changes.append(Change("changed", key, f"字段{title(after, key)}{word}"))
        if old_field.get("enum") != new_field.get("enum") or old_field.get("oneOf") != new_field.get("oneOf"):
            changes.append(Change("changed", key, f"字段{title(after, key)}的选项已修改"))
        if old_field.get("type") != new_field.get("type"):
            changes.append(
                Change(
                    "changed",
                    key,
                    f"字段{title(after, key)}类型 {old_field.get('type')} → {new_field.get('type')}",
                )
            )
    if (
        old.get("allOf") != new.get("allOf")
        or old.get("if") != new.get("if")
        or old.get("then") != new.get("then")
    ):
        changes.append(Change("changed", "", "条件必填规则已修改"))
    return changes


Rule = tuple[str, str, list[str]]  # (rule id, description, the texts of its input and output cells)


def _decision_rows(source: str) -> dict[str, tuple[str, list[str], list[Rule]]]:
    """{decision id: (name, column labels, rules)} of a DMN file."""
    root = _tree(source)
    dmn = {"dmn": etree.QName(root).namespace}
    found: dict[str, tuple[str, list[str], list[Rule]]] = {}
    for decision in root.iterfind("dmn:decision", dmn):
        table = decision.find("dmn:decisionTable", dmn)
        if table is None:
            continue
        labels = [i.get("label") or i.get("id") for i in table.findall("dmn:input", dmn)]
        labels += [f"→{o.get('label') or o.get('name')}" for o in table.findall("dmn:output", dmn)]
        rules: list[Rule] = []
        for rule in table.findall("dmn:rule", dmn):
            cells = [(e.findtext("dmn:text", "", dmn) or "").strip() or "-" for e in rule]
            cells = [
                c
                for c, e in zip(cells, rule, strict=True)
                if _local(str(e.tag)) in ("inputEntry", "outputEntry")
            ]
            rules.append(
                (rule.get("id") or "", (rule.findtext("dmn:description", "", dmn) or "").strip(), cells)
            )
        decision_id = decision.get("id") or ""
        found[decision_id] = (decision.get("name") or decision_id, labels, rules)
    return found


def decision_tables(source: str) -> list[dict]:
    """The decision tables of a DMN file as rows to show: name, column labels, and each rule's cells."""
    return [
        {
            "id": decision_id,
            "name": name,
            "labels": labels,
            "rules": [{"id": rule_id, "description": text, "cells": cells} for rule_id, text, cells in rules],
        }
        for decision_id, (name, labels, rules) in _decision_rows(source).items()
    ]


def describe_decisions(old_source: str | None, new_source: str) -> list[Change]:
    """A decision table's changes in words: rules added, removed, reordered, and each changed cell."""
    if old_source is None:
        return [Change("added", "", "新决策表文件")]
    old, new = _decision_rows(old_source), _decision_rows(new_source)
    changes = []
    for decision_id, (name, labels, rules) in new.items():
        if decision_id not in old:
            changes.append(Change("added", decision_id, f"新增决策表「{name}」"))
            continue
        _old_name, old_labels, old_rules = old[decision_id]
        if old_labels != labels:
            changes.append(
                Change(
                    "changed",
                    decision_id,
                    f"决策表「{name}」的列 {'、'.join(old_labels)} → {'、'.join(labels)}",
                )
            )
        before = {rule_id: (text, cells) for rule_id, text, cells in old_rules}
        for number, (rule_id, text, cells) in enumerate(rules, start=1):
            title = f"决策表「{name}」第 {number} 条规则" + (f"（{text}）" if text else "")
            if rule_id not in before:
                row = "；".join(
                    f"{label} {cell}" for label, cell in zip(labels, cells, strict=False) if cell != "-"
                )
                changes.append(Change("added", rule_id, f"{title}：新增，{row}"))
                continue
            old_cells = before[rule_id][1]
            for label, a, b in zip(labels, old_cells, cells, strict=False):
                if a != b:
                    changes.append(Change("changed", rule_id, f"{title}：{label} {a} → {b}"))
        for number, (rule_id, text, _cells) in enumerate(old_rules, start=1):
            if rule_id not in {r[0] for r in rules}:
                changes.append(
                    Change(
                        "removed",
                        rule_id,
                        f"决策表「{name}」删除原第 {number} 条规则" + (f"（{text}）" if text else ""),
                    )
                )
        kept_old = [r[0] for r in old_rules if r[0] in {x[0] for x in rules}]
        kept_new = [r[0] for r in rules if r[0] in before]
        if kept_old != kept_new:
            changes.append(
                Change(
                    "changed", decision_id, f"决策表「{name}」规则顺序已调整（自上而下第一条符合的规则生效）"
                )
            )
    for decision_id, (name, _labels, _rules) in old.items():
        if decision_id not in new:
            changes.append(Change("removed", decision_id, f"删除决策表「{name}」"))
    return changes
