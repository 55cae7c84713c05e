"""What `govshare bpmn validate` checks, reported as `file:line element-id: message` for analysts.

1. XML well-formed; valid against the BPMN 2.0 and spiffworkflow XSDs.
2. Every script, gateway condition, timer expression, service parameter and property expression parses as
   Python (SpiffWorkflow only finds these at run time).
3. Every referenced form exists and is a valid JSON Schema.
4. Every lane and candidate role is a known role; every user task has one.
5. Call-activity targets, message references and service operations resolve.
6. SpiffWorkflow can build an executable spec from the files together.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.engine import sandbox
from app.engine.language import (
    ASSIGNEE_PROPERTY,
    BPMN,
    DEADLINE_TIMER_PROPERTY,
    DEPARTMENT_PROPERTY,
    FORM_PROPERTY,
    LABEL_SUFFIX_PROPERTY,
    NS,
    ROLE_PROPERTY,
    SPIFF,
    element_properties,
    timer_problem,
)
from app.engine.operations import known_operations
from app.org.roles import ROLE_VALUES


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a model, located for the analyst."""

    file: str
    line: int | None
    element_id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or '?'} {self.element_id or '-'}: {self.message}"


@dataclass
class ModelSet:
    """Parsed, checked models: which file defines which process, and which forms each file uses."""

    trees: dict[str, etree._ElementTree] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    process_files: dict[str, str] = field(default_factory=dict)  # process id → file name
    process_names: dict[str, str] = field(default_factory=dict)
    executable: list[str] = field(default_factory=list)
    calls: dict[str, set[str]] = field(default_factory=dict)  # process id → called process ids
    decisions: dict[str, str] = field(default_factory=dict)  # DMN decision id → file name
    decision_calls: dict[str, set[str]] = field(default_factory=dict)  # process id → called decision ids
    dmn_trees: dict[str, etree._ElementTree] = field(default_factory=dict)
    forms_by_file: dict[str, set[str]] = field(default_factory=dict)
    forms: dict[str, dict] = field(default_factory=dict)  # form file name → schema
    problems: list[Problem] = field(default_factory=list)
    # files whose flows point at elements that do not exist: SpiffWorkflow would only repeat them, unlocated
    broken_graphs: set[str] = field(default_factory=set)


def _element_id(element) -> str | None:
    """The id of the nearest element an analyst sees in the diagram (an event, not its event definition)."""
    node = element
    while node is not None:
        if isinstance(node.tag, str) and node.get("id") and not node.tag.endswith("EventDefinition"):
            return node.get("id")
        node = node.getparent()
    return None


def _element_at_line(tree, line: int) -> str | None:
    best = None
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.sourceline == line and element.get("id"):
            return element.get("id")
        if element.sourceline and element.sourceline <= line and element.get("id"):
            best = element.get("id")
    return best


def _check_python(
    problems: list[Problem], file: str, element, code: str | None, mode: str, what: str
) -> None:
    """Every construct the sandbox refuses in a script or expression of `element`, each located at its line
    (a script's line N is N-1 lines below the element's own line)."""
    if code is None or not code.strip():
        if mode == "eval":
            problems.append(Problem(file, element.sourceline, _element_id(element), f"{what}为空"))
        return
    for violation in sandbox.violations(code, mode):
        offset = violation.line - 1 if mode == "exec" else 0
        problems.append(
            Problem(
                file,
                (element.sourceline or 0) + offset,
                _element_id(element),
                f"{what}{violation.message}（{code.strip().splitlines()[0][:60]!r}）",
            )
        )


def load_form(forms_dir: Path, name: str) -> tuple[dict | None, str | None]:
    """A form's JSON Schema, or the reason it cannot be used."""
    path = forms_dir / name
    if not path.is_file():
        return None, f"表单文件 forms/{name} 不存在"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"表单文件 forms/{name} 不是有效的 JSON：{err}"
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return None, f"表单文件 forms/{name} 不是有效的 JSON Schema：{err.message}"
    return schema, None


def _check_file(models: ModelSet, file: str, tree, forms_dir: Path) -> None:
    problems = models.problems
    root = tree.getroot()
    message_ids = {m.get("id") for m in root.iter(f"{{{BPMN}}}message")}
    models.forms_by_file[file] = set()
    for process in root.iter(f"{{{BPMN}}}process"):
        pid = process.get("id")
        if pid in models.process_files:
            problems.append(
                Problem(
                    file, process.sourceline, pid, f"流程 id {pid} 已在 {models.process_files[pid]} 中定义"
                )
            )
            continue
        models.process_files[pid] = file
        models.process_names[pid] = process.get("name") or pid
        if process.get("isExecutable") == "true":
            models.executable.append(pid)
        models.calls[pid] = {c.get("calledElement") for c in process.iter(f"{{{BPMN}}}callActivity")}
        models.decision_calls[pid] = set()
        for rule_task in process.iter(f"{{{BPMN}}}businessRuleTask"):
            called = rule_task.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
            decision = (called.text or "").strip() if called is not None else ""
            if decision:
                models.decision_calls[pid].add(decision)
            else:
                problems.append(
                    Problem(
                        file,
                        rule_task.sourceline,
                        rule_task.get("id"),
                        "业务规则任务没有指定决策表（spiffworkflow:calledDecisionId）",
                    )
                )
        lanes: dict[str, str] = {}
        for lane in process.iter(f"{{{BPMN}}}lane"):
            name = (lane.get("name") or "").strip()
            if name not in ROLE_VALUES:
                problems.append(
                    Problem(
                        file,
                        lane.sourceline,
                        lane.get("id"),
                        f"泳道名称 {name!r} 不是已知角色（{', '.join(ROLE_VALUES)}）",
                    )
                )
            for ref in lane.findall("bpmn:flowNodeRef", NS):
                lanes[(ref.text or "").strip()] = name
        _check_flows(models, file, process)
        boundary: dict[str, list[str]] = {}
        for event in process.iter(f"{{{BPMN}}}boundaryEvent"):
            boundary.setdefault(event.get("attachedToRef"), []).append(event.get("id"))
        for task in process.iter(f"{{{BPMN}}}userTask"):
            props = element_properties(task)
            role = props.get(ROLE_PROPERTY, (None, None))[0] or lanes.get(task.get("id"))
            if role is None:
                problems.append(
                    Problem(
                        file,
                        task.sourceline,
                        task.get("id"),
                        "用户任务没有候选角色（放入角色泳道或设置 candidateRole 属性）",
                    )
                )
            elif role not in ROLE_VALUES:
                problems.append(
                    Problem(file, task.sourceline, task.get("id"), f"候选角色 {role!r} 不是已知角色")
                )
            if FORM_PROPERTY in props:
                name, element = props[FORM_PROPERTY]
                schema, error = load_form(forms_dir, name)
                if error or schema is None:
                    problems.append(Problem(file, element.sourceline, task.get("id"), error or name))
                else:
                    models.forms[name] = schema
                    models.forms_by_file[file].add(name)
            if DEPARTMENT_PROPERTY in props:
                value, element = props[DEPARTMENT_PROPERTY]
                _check_python(problems, file, element, value, "eval", "候选部门表达式")
            if ASSIGNEE_PROPERTY in props:
                value, element = props[ASSIGNEE_PROPERTY]
                _check_python(problems, file, element, value, "eval", "指定办理人表达式")
            if LABEL_SUFFIX_PROPERTY in props:
                value, element = props[LABEL_SUFFIX_PROPERTY]
                _check_python(problems, file, element, value, "eval", "任务名称后缀表达式")
            if DEADLINE_TIMER_PROPERTY in props:
                value, element = props[DEADLINE_TIMER_PROPERTY]
                if value not in boundary.get(task.get("id"), []):
                    problems.append(
                        Problem(
                            file,
                            element.sourceline,
                            task.get("id"),
                            f"deadlineTimer {value!r} 不是附着在该任务上的边界事件",
                        )
                    )
    for script in root.iter(f"{{{BPMN}}}script"):
        _check_python(problems, file, script, script.text, "exec", "脚本")
    for condition in root.iter(f"{{{BPMN}}}conditionExpression"):
        _check_python(problems, file, condition, condition.text, "eval", "网关条件")
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for timer in root.iter(f"{{{BPMN}}}{tag}"):
            before = len(problems)
            _check_python(problems, file, timer, timer.text, "eval", "定时器表达式")
            if len(problems) == before and tag == "timeDate":
                problem = timer_problem(timer.text)
                if problem:
                    problems.append(
                        Problem(file, timer.sourceline, _element_id(timer), f"定时器表达式{problem}")
                    )
    for tag in ("preScript", "postScript"):
        for script in root.iter(f"{{{SPIFF}}}{tag}"):
            _check_python(problems, file, script, script.text, "exec", "前置/后置脚本")
    element_ids = {
        e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.tag.startswith(f"{{{BPMN}}}")
    }
    for operator in root.iter(f"{{{SPIFF}}}serviceTaskOperator"):
        if operator.get("id") in element_ids:
            problems.append(
                Problem(
                    file,
                    operator.sourceline,
                    _element_id(operator.getparent()),
                    f"服务操作名 {operator.get('id')!r} 与某个流程元素的 id 相同，请给元素换一个 id",
                )
            )
        if operator.get("id") not in known_operations():
            problems.append(
                Problem(
                    file,
                    operator.sourceline,
                    _element_id(operator.getparent()),
                    f"服务操作 {operator.get('id')!r} 未注册（可用：{', '.join(known_operations())}）",
                )
            )
        for param in operator.iter(f"{{{SPIFF}}}parameter"):
            _check_python(problems, file, param, param.get("value"), "eval", f"服务参数 {param.get('id')} ")
    for element in root.iter():
        ref = element.get("messageRef") if isinstance(element.tag, str) else None
        if ref and ref not in message_ids:
            problems.append(
                Problem(
                    file,
                    element.sourceline,
                    _element_id(element),
                    f"消息 {ref!r} 未定义（缺少 bpmn:message）",
                )
            )


def _check_flows(models: ModelSet, file: str, process) -> None:
    """Every sequence flow joins two elements of the process, and every boundary event sits on one: located
    at the flow itself (SpiffWorkflow says only "found two items", without a line)."""
    ids = {e.get("id") for e in process.iter() if isinstance(e.tag, str) and e.get("id")}
    broken = []
    for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
        for end, label in (("sourceRef", "起点"), ("targetRef", "终点")):
            ref = flow.get(end)
            if ref not in ids:
                broken.append(
                    Problem(
                        file,
                        flow.sourceline,
                        flow.get("id"),
                        f"顺序流的{label} {ref!r} 在流程 {process.get('id')} 中不存在",
                    )
                )
    for event in process.iter(f"{{{BPMN}}}boundaryEvent"):
        if event.get("attachedToRef") not in ids:
            broken.append(
                Problem(
                    file,
                    event.sourceline,
                    event.get("id"),
                    f"边界事件附着的任务 {event.get('attachedToRef')!r} 不存在",
                )
            )
    if broken:
        models.problems.extend(broken)
        models.broken_graphs.add(file)


def check_models(paths: list[Path], forms_dir: Path) -> ModelSet:
    """Run every check over `paths` together (call activities may cross files)."""
    models = ModelSet()
    for path in paths:
        file = path.name
        if path.suffix == ".dmn":
            _load_decisions(models, path)
            continue
        try:
            data = path.read_bytes()
            tree = etree.ElementTree(
                etree.fromstring(
                    data, etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True)
                )
            )
        except OSError as err:
            models.problems.append(Problem(file, None, None, f"无法读取文件：{err.strerror}"))
            continue
        except etree.XMLSyntaxError as err:
            models.problems.append(Problem(file, err.lineno, None, f"XML 格式错误：{err.msg}"))
            continue
        schema = VALIDATOR.validator
        if not schema.validate(tree):
            for error in schema.error_log:
                models.problems.append(
                    Problem(
                        file,
                        error.line,
                        _element_at_line(tree, error.line),
                        f"不符合 BPMN 2.0 规范：{error.message}",
                    )
                )
            # Our own checks still run, so that one schema error does not hide the file's other problems;
            # SpiffWorkflow does not build it.
            models.broken_graphs.add(file)
        models.trees[file] = tree
        models.sources[file] = data.decode("utf-8")
        _check_file(models, file, tree, forms_dir)

    for pid, called in models.calls.items():
        for target in called:
            if target not in models.process_files:
                file = models.process_files[pid]
                tree = models.trees[file]
                element = next(
                    (
                        c
                        for c in tree.getroot().iter(f"{{{BPMN}}}callActivity")
                        if c.get("calledElement") == target
                    ),
                    None,
                )
                models.problems.append(
                    Problem(
                        file,
                        element.sourceline if element is not None else None,
                        element.get("id") if element is not None else pid,
                        f"调用活动的目标流程 {target!r} 不存在",
                    )
                )
    for pid, decisions in models.decision_calls.items():
        for decision in sorted(decisions - set(models.decisions)):
            file = models.process_files[pid]
            element = next(
                (
                    t
                    for t in models.trees[file].getroot().iter(f"{{{BPMN}}}businessRuleTask")
                    if t.findtext("bpmn:extensionElements/spiffworkflow:calledDecisionId", "", NS).strip()
                    == decision
                ),
                None,
            )
            models.problems.append(
                Problem(
                    file,
                    element.sourceline if element is not None else None,
                    element.get("id") if element is not None else pid,
                    f"业务规则任务调用的决策表 {decision!r} 不存在（缺少定义它的 .dmn 文件？）",
                )
            )
    # SpiffWorkflow builds every process whose files are readable, so its findings come in the same report
    # as the problems above (all at once, not one layer at a time).
    unbuildable = {pid for pid, called in models.calls.items() if called - set(models.process_files)}
    readable = {
        d for d, file in models.decisions.items() if file in models.dmn_trees
    }  # tables without problems
    unbuildable |= {pid for pid, called in models.decision_calls.items() if called - readable}
    unbuildable |= {pid for pid, file in models.process_files.items() if file in models.broken_graphs}
    parser = SpiffBpmnParser()
    for file, tree in models.dmn_trees.items():
        try:
            parser.add_dmn_xml(tree.getroot(), filename=file)
        except ValidationException as err:
            models.problems.append(_spiff_problem(err, file))
    for file, tree in models.trees.items():
        if file in models.broken_graphs:
            continue
        try:
            parser.add_bpmn_xml(tree, filename=file)
        except ValidationException as err:
            models.problems.append(_spiff_problem(err, file))
            unbuildable |= {pid for pid, f in models.process_files.items() if f == file}
    for pid in models.executable:
        if closure(models, pid) & unbuildable:
            continue
        try:
            parser.get_spec(pid)
            parser.get_subprocess_specs(pid)
        except ValidationException as err:
            models.problems.append(_spiff_problem(err, models.process_files[pid]))
        except Exception as err:  # SpiffWorkflow raises assorted errors for broken graphs
            models.problems.append(Problem(models.process_files[pid], None, pid, f"流程无法构建：{err}"))
    return models


DMN_NAMESPACES = {
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
}


def _entry_problem(text: str) -> str | None:
    """Why a decision table cell cannot be evaluated (SpiffWorkflow reads a cell as a Python expression,
    compared with the input, or as an operator and operand such as `> 5` or `in ("a", "b")`), or None."""
    text = text.strip()
    if text in ("", "-"):
        return None
    for candidate in (text, f"v {text}"):
        try:
            ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        refused = sandbox.violations(candidate, "eval")
        return "；".join(v.message for v in refused) if refused else None
    return "不是有效的表达式"


_NO_LITERAL = object()


def _literal(text: str):
    """A decision cell's value when it is a literal (a quoted text, a number, True/False), else a marker."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return _NO_LITERAL


def _allowed_values(text: str) -> list | None:
    """The values a decision output may take (DMN outputValues: `"a","b"`), or None when unreadable."""
    value = _literal(f"[{text}]")
    return value if isinstance(value, list) and value else None


def _load_decisions(models: ModelSet, path: Path) -> None:
    """A .dmn file: readable XML in a DMN namespace; every decision has one table whose cells parse."""
    file = path.name
    try:
        data = path.read_bytes()
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except OSError as err:
        models.problems.append(Problem(file, None, None, f"无法读取文件：{err.strerror}"))
        return
    except etree.XMLSyntaxError as err:
        models.problems.append(Problem(file, err.lineno, None, f"XML 格式错误：{err.msg}"))
        return
    namespace = etree.QName(root).namespace
    if namespace not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        models.problems.append(
            Problem(file, root.sourceline, None, "不是 DMN 1.2/1.3 文件（根元素应为 dmn:definitions）")
        )
        return
    dmn = {"dmn": namespace}
    before = len(models.problems)
    for decision in root.iterfind("dmn:decision", dmn):
        decision_id = decision.get("id")
        if decision_id in models.decisions:
            models.problems.append(
                Problem(
                    file,
                    decision.sourceline,
                    decision_id,
                    f"决策 id {decision_id} 已在 {models.decisions[decision_id]} 中定义",
                )
            )
            continue
        tables = decision.findall("dmn:decisionTable", dmn)
        if len(tables) != 1:
            models.problems.append(
                Problem(file, decision.sourceline, decision_id, "决策应有且只有一个决策表")
            )
            continue
        table = tables[0]
        inputs = [
            (i.get("label") or i.get("id"), i.findtext("dmn:inputExpression/dmn:text", "", dmn))
            for i in table.findall("dmn:input", dmn)
        ]
        outputs = table.findall("dmn:output", dmn)
        for label, expression in inputs:
            problem = _entry_problem(expression) if expression.strip() else "不是有效的表达式"
            if problem:
                models.problems.append(
                    Problem(
                        file,
                        table.sourceline,
                        decision_id,
                        f"输入「{label}」的表达式 {expression!r} {problem}",
                    )
                )
        allowed: dict[int, list | None] = {}
        for output in outputs:
            if not (output.get("name") or "").strip():
                models.problems.append(
                    Problem(
                        file,
                        output.sourceline,
                        output.get("id"),
                        "输出列没有名称（name）：结果存入哪个流程数据？",
                    )
                )
            values = output.findtext("dmn:outputValues/dmn:text", None, dmn)
            allowed[id(output)] = _allowed_values(values) if values is not None else None
            if values is not None and allowed[id(output)] is None:
                models.problems.append(
                    Problem(
                        file,
                        output.sourceline,
                        output.get("id"),
                        f'输出列的允许取值 {values!r} 应为逗号分隔的带引号文字，如 "a","b"',
                    )
                )
        for number, rule in enumerate(table.findall("dmn:rule", dmn), start=1):
            entries = rule.findall("dmn:inputEntry", dmn)
            results = rule.findall("dmn:outputEntry", dmn)
            if len(entries) != len(inputs) or len(results) != len(outputs):
                models.problems.append(
                    Problem(file, rule.sourceline, rule.get("id"), f"第 {number} 条规则的列数与表头不符")
                )
                continue
            for (label, _expr), entry in zip(inputs, entries, strict=True):
                problem = _entry_problem(entry.findtext("dmn:text", "", dmn))
                if problem:
                    models.problems.append(
                        Problem(
                            file,
                            entry.sourceline,
                            rule.get("id"),
                            f"第 {number} 条规则「{label}」的条件{problem}",
                        )
                    )
            for output, entry in zip(outputs, results, strict=True):
                text = entry.findtext("dmn:text", "", dmn).strip()
                label = output.get("label") or output.get("name")
                refused = sandbox.violations(text, "eval") if text else []
                if refused and refused[0].message.startswith("不是有效的 Python"):
                    models.problems.append(
                        Problem(
                            file,
                            entry.sourceline,
                            rule.get("id"),
                            f"第 {number} 条规则的结果「{label}」 {text!r} 不是有效的表达式（文字要加引号）",
                        )
                    )
                elif refused:
                    models.problems.append(
                        Problem(
                            file,
                            entry.sourceline,
                            rule.get("id"),
                            f"第 {number} 条规则的结果「{label}」{'；'.join(v.message for v in refused)}",
                        )
                    )
                elif (values := allowed.get(id(output))) is not None and _literal(text) not in values:
                    choices = "、".join(repr(v) for v in values)
                    models.problems.append(
                        Problem(
                            file,
                            entry.sourceline,
                            rule.get("id"),
                            f"第 {number} 条规则的结果「{label}」 {text!r} 不是允许的取值（{choices}）",
                        )
                    )
        models.decisions[decision_id] = file
    models.sources[file] = data.decode("utf-8")
    if len(models.problems) == before:
        models.dmn_trees[file] = etree.ElementTree(root)


def decision_files(models: ModelSet, pids: set[str]) -> set[str]:
    """The .dmn files the processes `pids` call decisions from."""
    return {
        models.decisions[d]
        for pid in pids
        for d in models.decision_calls.get(pid, ())
        if d in models.decisions
    }


def closure(models: ModelSet, pid: str) -> set[str]:
    """The process and every process it calls, directly or not."""
    seen, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(models.calls.get(current, ()))
    return seen


def _spiff_problem(err: ValidationException, file: str) -> Problem:
    message = str(err).split("\n")[0]
    if "found two items" in message or "could not find" in message.lower():
        message = f"流程连接指向不存在的元素（{message}）"
    else:
        message = f"流程无法解析：{message}"
    return Problem(err.file_name or file, err.line_number or None, err.id or None, message)
