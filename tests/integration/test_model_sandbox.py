"""No model can run code on the server (#26): every expression and script of a BPMN or DMN file runs in the
sandbox — when a case runs and when the studio validates, shows 期限试算 or 路径试运行. Attacks of the
well-known families are placed in each kind of expression, uploaded, viewed, deployed and run."""

from __future__ import annotations

import ast
import io
import os
from datetime import datetime
from pathlib import Path

import pytest

from app import clock
from app.engine import runtime, sandbox
from app.engine.models import HumanTask, Incident, InstanceStatus, ProcessInstance
from app.extensions import db
from app.org.models import Department
from app.studio import simulation
from app.studio.deploy import deploy
from app.studio.validation import check_models
from tests.conftest import DATA, csrf_token, login, user

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (DATA / "bpmn" / "engine_sample.bpmn").read_text(encoding="utf-8")
SECRET = "govshare-sandbox-canary-7Qx"

# --- attack families -------------------------------------------------------------------------------------
# Each is an expression that, under SpiffWorkflow's own eval, would reach the interpreter (a module, a file,
# an environment variable) or hang the worker.
REFUSED_AT_VALIDATION = {
    "import": "__import__('os').environ",
    "generator frame walk": "[x for x in (y for y in [1]).gi_frame.f_back.f_globals]",
    "coroutine frame": "(lambda: 0).__code__",
    "traceback frame": "[e for e in [1]][0].tb_frame",
    "subclasses walk": "().__class__.__base__.__subclasses__()",
    "str.format attribute": "'{0.__class__.__mro__}'.format(1)",
    "format_map": "'{a.__class__}'.format_map({'a': 1})",
    "getattr in disguise": "getattr(1, '__cl' + 'ass__')",
    "vars": "vars()",
    "dir": "dir()",
    "type": "type(1).mro()",
    "open": "open('/etc/passwd').read()",
    "eval": "eval('1')",
    "dynamic f-string width": "f'{1:{10**9}}'",
    "huge f-string width": "f'{1:>999999999}'",
}
REFUSED_WHEN_RUN = {
    "builtins through globals()": "globals()['__builtins__']",
    "attribute of a type": "str.maketrans('a', 'b')",
    "method of an exception": "ValueError('x').with_traceback(None)",
    "dict.get on a type": "dict.get(globals(), '_getattr_')",
    "exponent tower": "10 ** 10 ** 8",
    "a list of 10^9 items": "[0] * 10 ** 9",
    "range of 10^9": "list(range(10 ** 9))",
    "string amplification": "''.join(['x' * 1000000] * 1000)",
    "repr amplification": "str(['x' * 1000000] * 1000)",
    "percent width": "'%*d' % (10 ** 9, 1)",
    "left shift": "1 << 10 ** 9",
    "exponential lambda recursion": "(lambda f: f(f, 40))(lambda f, n: n and (f(f, n - 1), f(f, n - 1)))",
    "nested comprehension": "len([1 for a in range(1000) for b in range(1000) for c in range(1000)])",
}
SCRIPTS_REFUSED_WHEN_RUN = {
    "endless loop": "while True:\n    pass",
    "doubling": "s = 'a'\nfor i in range(100):\n    s = s + s",
    "fork bomb": "def f(n):\n    if n == 0:\n        return 0\n    return f(n - 1) + f(n - 1)\nx = f(40)",
    "list growth": "items = [1]\nwhile True:\n    items.extend(items)",
}
SCRIPTS_REFUSED_AT_VALIDATION = {
    "try around the budget": "while True:\n    try:\n        x = 1\n    except BaseException:\n        pass",
    "class with metaclass": "class A:\n    pass",
    "decorator reaching globals": "@(lambda f: f.__globals__)\ndef g():\n    pass",
    "global statement": "global os",
    "with statement": "with x:\n    pass",
    "generator function": "def g():\n    yield 1",
}


@pytest.fixture(autouse=True)
def canary(monkeypatch):
    """A secret in the environment no model may read."""
    monkeypatch.setenv("GOVSHARE_CANARY", SECRET)


@pytest.mark.parametrize("expression", REFUSED_AT_VALIDATION.values(), ids=REFUSED_AT_VALIDATION.keys())
def test_attacks_are_refused_before_they_run(expression):
    problems = sandbox.violations(expression, "eval")
    assert problems and all(p.message for p in problems)
    with pytest.raises(sandbox.ModelCodeError):
        sandbox.evaluate(expression, {})


@pytest.mark.parametrize("expression", REFUSED_WHEN_RUN.values(), ids=REFUSED_WHEN_RUN.keys())
def test_attacks_that_compile_are_stopped_when_they_run(expression):
    with pytest.raises(sandbox.SandboxError) as refused:
        sandbox.evaluate(expression, {"accepted": True})
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize("script", SCRIPTS_REFUSED_WHEN_RUN.values(), ids=SCRIPTS_REFUSED_WHEN_RUN.keys())
def test_scripts_that_exhaust_the_budget_are_stopped(script):
    data = {"x": 1}
    with pytest.raises(sandbox.BudgetExceeded):
        sandbox.execute(script, data)
    assert data == {"x": 1}  # nothing written back from a stopped script


@pytest.mark.parametrize(
    "script", SCRIPTS_REFUSED_AT_VALIDATION.values(), ids=SCRIPTS_REFUSED_AT_VALIDATION.keys()
)
def test_statements_the_sandbox_refuses(script):
    assert sandbox.violations(script, "exec")


def test_every_problem_of_an_expression_is_named_at_once_in_chinese():
    problems = sandbox.violations("x.__class__ + y._private + getattr(z, 'a')", "eval")
    messages = [p.message for p in problems]
    assert "不允许访问以下划线开头的属性 '__class__'" in messages
    assert "不允许访问以下划线开头的属性 '_private'" in messages
    assert "不允许使用 getattr" in messages


def test_what_models_need_still_works():
    data = {
        "reasons": "材料不全",
        "application_number": "A-1",
        "granted": True,
        "line_result": {"decision": "granted", "refused_items": ["身份证号", "住址"]},
    }
    assert sandbox.evaluate("reasons if 'reasons' in globals() else None", data) == "材料不全"
    assert sandbox.evaluate("comment if 'comment' in globals() else None", data) is None
    assert (
        sandbox.evaluate(
            "f'申请{application_number}：' + {'granted': '同意授权'}[line_result['decision']]"
            " + '（不予授权：' + '、'.join(line_result['refused_items']) + '）'",
            data,
        )
        == "申请A-1：同意授权（不予授权：身份证号、住址）"
    )
    assert sandbox.evaluate("sorted([3, 1, 2], key=lambda v: -v)[0] + len('ab') * 2 ** 3", {}) == 19
    script = "total = 0\nfor n in range(5):\n    total += n\nnames = [n.upper() for n in ['a']]\ndel reasons"
    scope = dict(data)
    sandbox.execute(script, scope)
    assert scope["total"] == 10 and scope["names"] == ["A"] and "reasons" not in scope


def test_no_model_text_is_evaluated_outside_the_sandbox():
    """eval, exec and compile appear in app/ only in the sandbox: everything else goes through it."""
    found = []
    for path in (ROOT / "app").rglob("*.py"):
        if path.name == "sandbox.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
            if name in ("eval", "exec", "compile", "__import__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert found == []


# --- every kind of expression in a model ---------------------------------------------------------------

KINDS = {
    "gateway condition": ("accepted == True", "{attack} or accepted == True", "f_accept"),
    "script": ("received_at = now_iso()", "received_at = now_iso()\nleak = {attack}", "set_deadline"),
    "timer": ("deadline(received_at, 3)</bpmn:timeDate>", "{attack}</bpmn:timeDate>", "check_overdue"),
    "service parameter": ("value=\"'规范性检查已超期'\"", 'value="{attack}"', "message"),
    "candidate department": ('value="applicant_department_id"', 'value="{attack}"', "submit"),
}


def _model_with(kind: str, attack: str) -> str:
    old, new, _element = KINDS[kind]
    replacement = new.format(attack=attack.replace('"', "&quot;") if "value=" in new else attack)
    assert old in SAMPLE, old
    return SAMPLE.replace(old, replacement.replace("<", "&lt;") if "</" not in new else replacement, 1)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "attack",
    ["__import__('os').environ", "().__class__.__base__.__subclasses__()", "'{0.__class__}'.format(1)"],
)
def test_validation_names_the_refused_construct_with_file_line_and_element(app, tmp_path, kind, attack):
    path = tmp_path / "engine_sample.bpmn"
    path.write_text(_model_with(kind, attack), encoding="utf-8")
    with app.app_context():
        problems = check_models([path], DATA / "forms").problems
    element = KINDS[kind][2]
    located = [p for p in problems if p.element_id == element and p.line and "不允许" in p.message]
    assert located, [str(p) for p in problems]
    assert all(p.file == "engine_sample.bpmn" for p in located)
    with app.app_context():
        refused = deploy([path], forms_dir=DATA / "forms")
    assert refused.problems and refused.created == []


def test_decision_table_cells_are_checked_by_the_sandbox(app, tmp_path):
    source = (ROOT / "bpmn" / "share_route.dmn").read_text(encoding="utf-8")
    first = source.index("<text>", source.index("<outputEntry"))
    changed = (
        source[:first] + "<text>().__class__.__bases__</text>" + source[source.index("</text>", first) + 7 :]
    )
    path = tmp_path / "share_route.dmn"
    path.write_text(changed, encoding="utf-8")
    with app.app_context():
        problems = check_models([path], DATA / "forms").problems
    assert any("不允许访问以下划线开头的属性" in p.message and p.line for p in problems), problems


# --- through the studio: upload, report, 期限试算, 路径试运行 -----------------------------------------------


def _upload(client, name: str, content: str):
    token = csrf_token(client, "/admin/processes/upload")
    data = {"csrf_token": token, "files": [(io.BytesIO(content.encode()), name)]}
    return client.post("/admin/processes/upload", data=data, content_type="multipart/form-data")


def test_an_uploaded_attack_is_reported_and_never_run_by_the_report_the_trial_or_the_test_run(
    app, client, demo_content, tmp_path
):
    canary_file = tmp_path / "pwned"
    source = (ROOT / "bpmn" / "resource_authorization.bpmn").read_text(encoding="utf-8")
    attack = f"__import__('os').system('touch {canary_file}')"
    changed = source.replace("deadline(forwarded_at, 10)", attack, 1)
    assert changed != source
    login(client, "analyst")
    response = _upload(client, "resource_authorization.bpmn", changed)
    assert response.status_code == 302
    url = response.headers["Location"]
    for query in ("", "?trial=2026-09-30", "?run=1"):
        page = client.get(url + query)
        assert page.status_code in (200, 422)
        assert "不允许使用以下划线开头的名称 &#39;__import__&#39;" in page.get_data(as_text=True)
    assert not canary_file.exists()


def test_a_condition_that_compiles_but_is_refused_when_run_fails_its_test_run_path_with_the_reason(
    app, client, demo_content
):
    """The issue's attack: an expression with no forbidden name passes validation; 路径试运行 runs it in the
    sandbox, which stops it and names why, and the page answers."""
    source = (ROOT / "bpmn" / "share_application.bpmn").read_text(encoding="utf-8")
    condition = "accepted == True"
    assert condition in source
    changed = source.replace(condition, "(globals()['__builtins__'] or accepted) == True", 1)
    with app.app_context():
        from app.demo import seed_content

        clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
        seed_content()  # cases of share_application to test-run from
        db.session.commit()
    login(client, "analyst")
    response = _upload(client, "share_application.bpmn", changed)
    assert response.status_code == 302
    page = client.get(response.headers["Location"] + "?run=1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "不允许读取以下划线开头的键" in text
    assert SECRET not in text


def test_the_system_administrator_can_neither_upload_nor_deploy_nor_migrate(client, demo_content):
    """三员分立: models are the 流程分析员's; the 系统管理员 manages accounts."""
    login(client, "admin")
    assert client.get("/admin/processes/upload").status_code == 403
    assert client.get("/admin/processes/share_application/migrate").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "analyst")
    assert client.get("/admin/processes/upload").status_code == 200


# --- a deployed model: the case gets an incident, the worker goes on -------------------------------------


@pytest.mark.parametrize(
    "script",
    [SCRIPTS_REFUSED_WHEN_RUN["endless loop"], "leak = str.maketrans('a', 'b')"],
    ids=["loop", "attr"],
)
def test_a_deployed_script_past_the_sandbox_becomes_an_incident_with_a_clear_message(
    engine_ready, tmp_path, script
):
    model = tmp_path / "engine_sample.bpmn"
    body = script.replace("\n", "&#10;")
    model.write_text(SAMPLE.replace("received_at = now_iso()", f"received_at = now_iso()&#10;{body}", 1))
    assert deploy([model], forms_dir=DATA / "forms").problems == []
    row = runtime.start_instance(
        "engine_sample",
        business_key="GS-SBX-1",
        data={
            "applicant_department_id": user("rst_applicant").department_id,
            "provider_department_id": user("gat_provider").department_id,
        },
        actor=user("rst_applicant"),
    )
    submit = db.session.scalars(db.select(HumanTask).where(HumanTask.instance_id == row.id)).one()
    runtime.complete_task(submit.id, user("rst_applicant"), {"purpose": "x"})  # the script runs next
    incident = db.session.scalars(db.select(Incident).where(Incident.instance_id == row.id)).one()
    assert "运行超出限制" in incident.message or "不允许访问" in incident.message
    assert db.session.get(ProcessInstance, row.id).status == InstanceStatus.INCIDENT
    assert os.environ["GOVSHARE_CANARY"] not in incident.message


# --- every path of every shipped procedure runs under the sandbox ---------------------------------------


def _start_data() -> dict[str, dict]:
    """Start data of each top-level procedure in bpmn/, as its service starts it (ids of the demo's units)."""

    def dept(short: str) -> int:
        return db.session.scalar(db.select(Department.id).where(Department.name.contains(short)))

    rst, gat, bureau, office = (
        dept("人力资源和社会保障厅"),
        dept("公安厅"),
        dept("省数据局"),
        dept("领导小组"),
    )
    at = "2026-11-02T10:00:00+08:00"
    share = db.session.scalars(
        db.select(ProcessInstance).where(ProcessInstance.process_id == "share_application")
    ).first()
    from app.engine import store

    return {
        "share_application": store.start_data(share),
        "catalog_review": {
            "resource_id": 1,
            "version_id": 1,
            "resource_code": "X",
            "resource_name": "R",
            "provider_department_id": gat,
            "submitted_at": at,
        },
        "catalog_upkeep": {
            "change_id": 1,
            "change_number": "C-1",
            "department_id": gat,
            "department_name": "公安厅",
            "recorded_at": at,
        },
        "rectification": {
            "rectification_id": 1,
            "rectification_number": "Z-1",
            "department_id": gat,
            "failing": "overdue",
            "failing_label": "未按时授权",
            "deadline_days": 10,
            "ordered_at": at,
            "reporter_role": "provider_clerk",
            "verifier_department_id": bureau,
        },
        "dispute": {
            "dispute_id": 1,
            "dispute_number": "D-1",
            "topic_label": "授权结果",
            "resource_name": "R",
            "applicant_department_id": rst,
            "provider_department_id": gat,
            "platform_operator_id": bureau,
            "leadership_office_id": office,
            "raised_at": at,
        },
        "quality_issue": {
            "issue_id": 1,
            "issue_number": "Q-1",
            "resource_name": "R",
            "provider_department_id": gat,
            "joint": False,
            "other_provider_department_id": None,
            "operator_department_id": bureau,
            "raised_at": at,
        },
        "offline_exchange": {
            "exchange_id": 1,
            "exchange_number": "O-1",
            "resource_name": "R",
            "provider_department_id": gat,
            "requested_at": at,
        },
        "objection": {
            "objection_id": 1,
            "objection_number": "Y-1",
            "resource_name": "R",
            "applicant_department_id": rst,
            "provider_department_id": gat,
            "raised_at": at,
        },
        "data_demand": {
            "demand_id": 1,
            "demand_number": "XQ-1",
            "demand_title": "D",
            "demander_department_id": rst,
            "submitted_at": at,
        },
    }


def test_every_path_of_every_shipped_procedure_runs_under_the_sandbox(app, seeded):
    assert isinstance(simulation.SIMULATION_ENGINE.environment, type(runtime.store.SCRIPT_ENGINE.environment))
    assert type(simulation.SIMULATION_ENGINE.environment).__name__ == "_SandboxEnvironment"
    clock.freeze(datetime.fromisoformat("2026-11-02T10:00:00+08:00"))
    with app.app_context():
        from app.demo import seed_content

        seed_content()
        starts = _start_data()
        models = sorted((ROOT / "bpmn").glob("*.bpmn")) + sorted((ROOT / "bpmn").glob("*.dmn"))
        executable = {p.stem for p in (ROOT / "bpmn").glob("*.bpmn")} - {"resource_authorization"}
        assert executable == set(starts)  # resource_authorization runs inside share_application
        explored = {}
        for process_id, data in sorted(starts.items()):
            paths, complete = simulation.run_paths(
                models, ROOT / "forms", process_id, data, datetime.fromisoformat("2026-09-30T10:00:00+08:00")
            )
            failed = [p.outcome for p in paths if not p.ok]
            assert failed == [], (process_id, failed)
            explored[process_id] = len(paths)
        assert all(count >= 1 for count in explored.values()) and explored["share_application"] >= 3, explored
