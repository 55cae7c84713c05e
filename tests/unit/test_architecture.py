"""Imports run one way: entry points (pages, API, CLI, scheduler) → areas (catalog, sharing, supervision,
inbox) → engine → foundation (org, calendar, audit, auth, the shared modules). No import hides inside a
function. docs/ARCHITECTURE.md says why; this test keeps the circle from coming back."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
AREAS = ("catalog", "sharing", "supervision", "inbox")
RANK = {"foundation": 0, "engine": 1, "notices": 2, "studio": 3, "area": 3, "entry": 4}


def layer(module: str) -> str:
    """The layer of a module (dotted name under app)."""
    parts = module.split(".")
    leaf = parts[-1]
    if module in ("app", "app.cli", "app.scheduler", "app.templating", "app.demo") or parts[1:2] in (
        ["api"],
        ["main"],
        ["ops"],  # logs, metrics and the 定时任务 page: they see every layer, as the scheduler does
    ):
        return "entry"
    if (
        leaf in ("views", "cli", "demo") or module == "app.auth.forms"
    ):  # pages, commands, demo data, web forms
        return "entry"
    if len(parts) > 1 and parts[1] in AREAS:
        return "area"
    if len(parts) > 1 and parts[1] == "engine":
        return "engine"
    if (
        len(parts) > 1 and parts[1] == "notices"
    ):  # notifications and mail: use the engine's rows, never used by it
        return "notices"
    if len(parts) > 1 and parts[1] == "studio":  # authoring models: may use the engine, never the other way
        return "studio"
    return "foundation"


def _is_module(name: str) -> bool:
    path = APP.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _module_name(path: Path) -> str:
    relative = path.relative_to(APP.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def problems_in(module: str, source: str) -> list[str]:
    """Imports of `module` (given its source) that break the rules."""
    found = []
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from app.sharing import services` imports a module; `from app.auth.forms import EmptyForm` a name
            targets = [
                f"{node.module}.{a.name}" if _is_module(f"{node.module}.{a.name}") else node.module
                for a in node.names
            ]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        targets = [t for t in targets if t == "app" or t.startswith("app.")]
        if not targets:
            continue
        if id(node) not in top_level and module != "app":  # create_app is the composition root
            found.append(f"{module}:{node.lineno} imports {targets[0]} inside a function")
        for imported in dict.fromkeys(targets):
            if RANK[layer(imported)] > RANK[layer(module)]:
                found.append(
                    f"{module}:{node.lineno} ({layer(module)}) imports {imported} ({layer(imported)})"
                )
    return found


def all_problems() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        found += problems_in(_module_name(path), path.read_text(encoding="utf-8"))
    return found


def test_imports_run_one_way_and_at_the_top():
    assert all_problems() == []


def test_the_engine_may_not_know_an_area():
    """The check itself: what issue #16 removed is caught if it comes back."""
    assert problems_in("app.engine.runtime", "from app.sharing import services\n") == [
        "app.engine.runtime:1 (engine) imports app.sharing.services (area)"
    ]
    assert problems_in(
        "app.engine.operations", "def f():\n    from app.sharing.services import record_check\n"
    ) == [
        "app.engine.operations:2 imports app.sharing.services inside a function",
        "app.engine.operations:2 (engine) imports app.sharing.services (area)",
    ]
    assert problems_in("app.calendar.services", "from app.engine.models import HumanTask\n")
    assert problems_in("app.org.services", "from app.auth.forms import EmptyForm\n")  # a page's form
    assert problems_in("app.sharing.views", "from app.engine.runtime import start_instance\n") == []


def test_the_engine_may_not_know_the_studio():
    assert problems_in("app.engine.store", "from app.studio.validation import check_models\n") == [
        "app.engine.store:1 (engine) imports app.studio.validation (studio)"
    ]
    assert problems_in("app.studio.trial", "from app.engine.scripting import bpmn_reminder\n") == []


def test_layers_are_named_as_the_architecture_says():
    assert [
        layer(m)
        for m in (
            "app.engine.runtime",
            "app.engine.views",
            "app.sharing.services",
            "app.api.tasks",
            "app.calendar.services",
            "app.org.models",
            "app.scheduler",
        )
    ] == ["engine", "entry", "area", "entry", "foundation", "foundation", "entry"]


def test_the_model_language_is_read_in_one_module():
    """#29 (first step): the namespaces, the task properties and the timer language live in
    app/engine/language.py, read by the engine and the studio alike."""
    literals = (
        '"formJsonSchemaFilename"',
        '"candidateRole"',
        '"deadlineTimer"',
        '"http://www.omg.org/spec/BPMN/20100524/MODEL"',
    )
    elsewhere = [
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if path.name != "language.py" and any(lit in path.read_text(encoding="utf-8") for lit in literals)
    ]
    assert elsewhere == []
    # the engine cannot import the studio at all (the layer rule); the studio's previews read the language too
    for module in ("app.studio.simulation", "app.studio.trial", "app.studio.compare"):
        path = APP.parent.joinpath(*module.split(".")).with_suffix(".py")
        imported = {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom)
        }
        assert "app.studio.validation" not in imported and "app.engine.language" in imported, module


UNIT_OF_WORK = {"unit_of_work", "view_in_unit_of_work", "command_in_unit_of_work"}


def transaction_problems(module: str, source: str) -> list[str]:
    """Where `module` ends a transaction or opens a unit of work although it is no entry point (#29: the page,
    API call, command or scheduler job commits; services and the engine only add, change and flush)."""
    if layer(module) == "entry" or module == "app.transactions":
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
            found.append(f"{module}:{node.lineno} commits")
        if isinstance(node, ast.Name) and node.id in UNIT_OF_WORK:
            found.append(f"{module}:{node.lineno} opens a unit of work")
    return found


def test_only_entry_points_commit():
    found = []
    for path in sorted(APP.rglob("*.py")):
        found += transaction_problems(_module_name(path), path.read_text(encoding="utf-8"))
    assert found == []


def test_a_service_that_commits_is_caught():
    assert transaction_problems("app.sharing.services", "def f():\n    db.session.commit()\n") == [
        "app.sharing.services:2 commits"
    ]
    assert transaction_problems(
        "app.engine.runtime", "def f():\n    with unit_of_work():\n        g()\n"
    ) == ["app.engine.runtime:2 opens a unit of work"]
    assert transaction_problems("app.sharing.views", "def f():\n    db.session.commit()\n") == []
    assert transaction_problems("app.scheduler", "with unit_of_work():\n    pass\n") == []


def test_formatting_is_never_skipped_without_a_reason():
    """`ruff format` formats all of app/: at most five `fmt: skip`, each with its reason on the line."""
    skips = [
        f"{path.relative_to(APP)}:{n}"
        for path in APP.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "fmt: skip" in line or "fmt: off" in line
    ]
    assert len(skips) <= 5, skips
