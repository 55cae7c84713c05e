"""Every package the code imports is declared (#32): the app's in pyproject's dependencies, the tests' there or in
the dev extra — none arrives only because something else happens to need it — and every declared one is in the
hashed locks that `make` installs from."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OWN = {"app", "config", "tests", "migrations", *(p.stem for p in (ROOT / "bench").glob("*.py"))}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _imported(folder: str) -> set[str]:
    """Top-level modules imported anywhere under `folder` (in functions too)."""
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in OWN and m not in sys.stdlib_module_names}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    owners = packages_distributions()
    return {m: {_name(d) for d in owners.get(m, [])} for m in modules}


RUNTIME = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
DEV = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}


def test_every_package_the_app_imports_is_a_declared_dependency():
    missing = {m: d for m, d in _distributions(_imported("app")).items() if not d & RUNTIME}
    assert missing == {}


def test_every_package_the_tests_and_benchmarks_import_is_declared():
    modules = _imported("tests") | _imported("bench")
    missing = {m: d for m, d in _distributions(modules).items() if not d & (RUNTIME | DEV)}
    assert missing == {}


def test_the_locks_pin_every_declared_package_with_hashes():
    for lock, declared in (("runtime.lock", RUNTIME), ("dev.lock", RUNTIME | DEV)):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        pinned = {_name(m) for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, flags=re.M)}
        assert declared - pinned == set(), lock
        blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 2)[2])
        assert all("--hash=sha256:" in block for block in blocks if "==" in block), lock


def test_the_environment_file_template_explains_every_setting():
    """deploy/govshare.env lists every variable the app reads (less the test suite's and a checkout's)."""
    sources = [ROOT / "config.py", *(ROOT / "app").rglob("*.py")]
    read = {
        name
        for path in sources
        for name in re.findall(r'os\.environ\.get\("([A-Z_]+)"', path.read_text(encoding="utf-8"))
    }
    template = (ROOT / "deploy" / "govshare.env").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z_]+)=", template, flags=re.M))
    assert read - listed == {"TEST_DATABASE_URL", "GOVSHARE_NODE_MODULES"}
