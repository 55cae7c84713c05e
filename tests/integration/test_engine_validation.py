"""Analysts' model checks: every problem located as file:line element-id, in words they understand."""

from __future__ import annotations

import pytest

from app.studio.deploy import validate
from tests.conftest import DATA
from tests.integration.test_cli import run

SAMPLE = (DATA / "bpmn" / "engine_sample.bpmn").read_text(encoding="utf-8")


def broken(tmp_path, old: str, new: str, name: str = "broken.bpmn"):
    assert old in SAMPLE, old
    path = tmp_path / name
    path.write_text(SAMPLE.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_sample_model_is_valid(app):
    with app.app_context():
        models = validate([DATA / "bpmn" / "engine_sample.bpmn"], forms_dir=DATA / "forms")
    assert models.problems == []
    assert models.executable == ["engine_sample"]


@pytest.mark.parametrize(
    ("old", "new", "element", "message", "needle"),
    [
        (
            "received_at = now_iso()",
            "received_at = = now_iso()",
            "set_deadline",
            "脚本不是有效的 Python",
            "received_at = =",
        ),
        ("accepted == True", "accepted === True", "f_accept", "网关条件不是有效的 Python", "accepted ==="),
        (
            "deadline(received_at, 3)</bpmn:timeDate>",
            "deadline(received_at, 3</bpmn:timeDate>",
            "check_overdue",
            "定时器表达式不是有效的 Python",
            "deadline(received_at, 3<",
        ),
        ('name="provider_clerk"', 'name="provider_boss"', "lane_provider", "不是已知角色", "provider_boss"),
        (
            'value="sample_decide.json"',
            'value="missing_form.json"',
            "decide",
            "forms/missing_form.json 不存在",
            "missing_form.json",
        ),
        (
            'serviceTaskOperator id="notify" resultVariable="overdue_notice"',
            'serviceTaskOperator id="send_fax" resultVariable="overdue_notice"',
            "mark_overdue",
            "服务操作 'send_fax' 未注册",
            "send_fax",
        ),
        (
            'value="check_overdue"',
            'value="no_such_timer"',
            "check",
            "不是附着在该任务上的边界事件",
            "no_such_timer",
        ),
        (
            'value="platform_operator(applicant_department_id)" />\n        </spiffworkflow:properties>',
            'value="platform_operator(applicant_department_id" />\n        </spiffworkflow:properties>',
            "check",
            "候选部门表达式不是有效的 Python",
            'platform_operator(applicant_department_id"',
        ),
    ],
)
def test_broken_models_name_file_line_and_element(app, tmp_path, old, new, element, message, needle):
    path = broken(tmp_path, old, new)
    with app.app_context():
        problems = validate([path], forms_dir=DATA / "forms").problems
    assert any(
        p.file == "broken.bpmn"
        and p.element_id == element
        and message in p.message
        and p.line == line_of(path, needle)
        for p in problems
    ), [str(p) for p in problems]


@pytest.mark.parametrize(
    ("old", "new", "element", "message", "needle"),
    [
        (
            "<bpmn:script>received_at = now_iso()</bpmn:script>",
            "<bpmn:script>received_at = now_iso()\nimport os\nos.system('id')</bpmn:script>",
            "set_deadline",
            "脚本不允许 import",
            "import os",
        ),
        (
            "accepted == True",
            "__import__('os').system('id') or accepted",
            "f_accept",
            "网关条件不允许使用以下划线开头的名称 '__import__'",
            "__import__",
        ),
        (
            "deadline(received_at, 3)</bpmn:timeDate>",
            "open('/etc/passwd').read()</bpmn:timeDate>",
            "check_overdue",
            "定时器表达式不允许使用 open",
            "/etc/passwd",
        ),
        (
            "<bpmn:script>received_at = now_iso()</bpmn:script>",
            "<bpmn:script>received_at = ().__class__.__base__</bpmn:script>",
            "set_deadline",
            "脚本不允许访问以下划线开头的属性 '__class__'",
            "__class__",
        ),
        (
            "value=\"'规范性检查已超期'\"",
            "value=\"getattr(accepted, 'real')\"",
            "message",
            "服务参数 message 不允许使用 getattr",
            "getattr(accepted",
        ),
    ],
)
def test_what_a_model_never_needs_is_refused_with_file_line_and_element(
    app, tmp_path, old, new, element, message, needle
):
    """What the sandbox refuses is refused at validation: imports, underscore names and attributes, builtins
    that reach the interpreter (docs/MODEL-EXPRESSIONS.md)."""
    path = broken(tmp_path, old, new)
    with app.app_context():
        problems = validate([path], forms_dir=DATA / "forms").problems
    assert any(
        p.element_id == element and message in p.message and p.line == line_of(path, needle) for p in problems
    ), [str(p) for p in problems]


def test_asking_whether_optional_data_exists_is_allowed(app, tmp_path):
    path = broken(tmp_path, "accepted == True", "'accepted' in globals() and accepted == True")
    with app.app_context():
        assert validate([path], forms_dir=DATA / "forms").problems == []


def test_malformed_xml_is_reported_with_its_line(app, tmp_path):
    path = broken(tmp_path, '<bpmn:endEvent id="end_done" name="完成" />', '<bpmn:endEvent id="end_done">')
    with app.app_context():
        (problem,) = validate([path], forms_dir=DATA / "forms").problems
    assert problem.file == "broken.bpmn" and "XML 格式错误" in problem.message and problem.line


def test_schema_violation_is_reported_with_line_and_element(app, tmp_path):
    path = broken(
        tmp_path,
        '<bpmn:userTask id="decide" name="授权">',
        '<bpmn:userTask id="decide" name="授权" color="red">',
    )
    with app.app_context():
        problems = validate([path], forms_dir=DATA / "forms").problems
    assert any(
        p.element_id == "decide"
        and "不符合 BPMN 2.0 规范" in p.message
        and p.line == line_of(path, 'color="red"')
        for p in problems
    ), [str(p) for p in problems]


def test_flow_to_a_missing_node_is_located_at_the_flow_and_names_the_target(app, tmp_path):
    path = broken(
        tmp_path,
        '<bpmn:sequenceFlow id="f5" sourceRef="decide" targetRef="end_done" />',
        '<bpmn:sequenceFlow id="f5" sourceRef="decide" targetRef="nowhere" />',
    )
    with app.app_context():
        problems = validate([path], forms_dir=DATA / "forms").problems
    line = line_of(path, 'targetRef="nowhere"')
    assert [str(p) for p in problems] == [
        f"broken.bpmn:{line} f5: 顺序流的终点 'nowhere' 在流程 engine_sample 中不存在"
    ]


def test_every_problem_of_a_file_is_reported_at_once(app, tmp_path):
    """A missing candidate role no longer hides the broken flow (nor the flow the role)."""
    path = broken(
        tmp_path,
        '<bpmn:sequenceFlow id="f5" sourceRef="decide" targetRef="end_done" />',
        '<bpmn:sequenceFlow id="f5" sourceRef="nowhere" targetRef="end_done" />',
    )
    text = path.read_text(encoding="utf-8").replace('name="provider_clerk"', 'name="provider_boss"', 1)
    path.write_text(text, encoding="utf-8")
    with app.app_context():
        problems = validate([path], forms_dir=DATA / "forms").problems
    assert {p.element_id for p in problems} == {"lane_provider", "decide", "f5"}
    assert all(p.line for p in problems)


def test_invalid_form_schema_is_reported(app, tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    for form in (DATA / "forms").iterdir():
        (forms / form.name).write_text(form.read_text(encoding="utf-8"), encoding="utf-8")
    (forms / "sample_decide.json").write_text('{"type": "objekt"}', encoding="utf-8")
    with app.app_context():
        problems = validate([DATA / "bpmn" / "engine_sample.bpmn"], forms_dir=forms).problems
    assert any(p.element_id == "decide" and "不是有效的 JSON Schema" in p.message for p in problems)


def test_missing_call_activity_target_and_message_are_reported(app, tmp_path):
    path = broken(
        tmp_path,
        '<bpmn:endEvent id="end_rejected" name="不予受理" />',
        '<bpmn:callActivity id="call_x" calledElement="no_such_process" />'
        '<bpmn:endEvent id="end_rejected" name="不予受理"><bpmn:messageEventDefinition id="m1" messageRef="ghost" />'
        "</bpmn:endEvent>",
    )
    with app.app_context():
        problems = [str(p) for p in validate([path], forms_dir=DATA / "forms").problems]
    assert any("call_x" in p and "no_such_process" in p for p in problems), problems
    assert any("end_rejected" in p and "消息 'ghost' 未定义" in p for p in problems), problems


def test_cli_validate_prints_problems_and_fails(app, tmp_path):
    path = broken(tmp_path, "accepted == True", "accepted === True")
    result = run(app, "bpmn", "validate", str(path))
    assert result.exit_code == 1
    assert f"broken.bpmn:{line_of(path, 'accepted ===')} f_accept: 网关条件不是有效的 Python" in result.output


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("deadline(received_at, 七)", "'七' 既不是函数"),
        ('deadline(received_at, 3, "sevn")', "未知的起算规则 'sevn'"),
        ('deadline(received_at, "3")', "工作日数应为整数"),
        ("deadline(received_at, 0)", "工作日数应在 1–366 之间"),
        ("deadline(received_at)", "deadline() 的参数应为"),
        ('"2026-10-10T00:00:00"', "没有时区"),
        ("dedline(received_at, 3)", "'dedline' 既不是函数"),
    ],
)
def test_a_timer_that_could_not_give_a_deadline_is_refused(app, tmp_path, expression, message):
    """Evaluated on sample data at validation: a timer that would fail at run time leaves its task without a
    statutory deadline, so it never deploys."""
    path = broken(tmp_path, "deadline(received_at, 3)</bpmn:timeDate>", f"{expression}</bpmn:timeDate>")
    with app.app_context():
        problems = validate([path], forms_dir=DATA / "forms").problems
    (problem,) = problems
    assert problem.element_id == "check_overdue" and problem.line == line_of(path, expression)
    assert problem.message.startswith("定时器表达式") and message in problem.message


def test_timers_of_every_shipped_procedure_pass_on_sample_data(app):
    with app.app_context():
        assert validate().problems == []
