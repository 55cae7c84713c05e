"""Decision tables (DMN) of deployed versions, evaluated outside a running case: the routing oracle test and
the benchmark ask a table what it decides for given inputs, exactly as a business rule task would."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from lxml import etree

from app.engine.registry import latest_version, parsed
from app.engine.scripting import SCRIPT_ENGINE


class DecisionNotFound(LookupError):
    """No business rule task of the process calls this decision."""


def _table_id(files: dict[str, str], decision_id: str) -> str | None:
    for name, source in files.items():
        if not name.endswith(".dmn"):
            continue
        root = etree.fromstring(
            source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
        )
        dmn = {"dmn": etree.QName(root).namespace}
        for decision in root.iterfind("dmn:decision", dmn):
            table = decision.find("dmn:decisionTable", dmn)
            if decision.get("id") == decision_id and table is not None:
                return table.get("id")
    return None


def decision_engine(process_id: str, decision_id: str):
    """SpiffWorkflow's DMN engine for `decision_id` as the latest version of `process_id` runs it."""
    version = latest_version(process_id)
    table_id = _table_id(version.files, decision_id)
    specs = parsed(version)
    for spec in [specs.spec, *specs.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            engine = getattr(task_spec, "dmnEngine", None)
            if engine is not None and engine.decision_table.id == table_id:
                return engine
    raise DecisionNotFound(decision_id)


def decide(engine, data: dict[str, Any]) -> dict[str, Any]:
    """The outputs of the first matching rule for `data` (what a business rule task merges into its data)."""
    task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=SCRIPT_ENGINE))
    return engine.result(task)
