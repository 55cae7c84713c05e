"""A BPMN file without a diagram layout gets one, so the viewer and the modeler can draw it."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from app.engine.language import BPMN
from app.engine.layout import BPMNDI, ensure_layout
from app.studio.compare import describe

ROOT = Path(__file__).resolve().parent.parent


def strip_layout(source: str) -> str:
    return re.sub(r"\s*<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", source, flags=re.S)


def test_every_flow_node_and_flow_gets_a_shape_and_an_edge():
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        bare = strip_layout(path.read_text(encoding="utf-8"))
        assert "BPMNDiagram" not in bare
        laid, added = ensure_layout(bare)
        assert added, path.name
        root = etree.fromstring(laid.encode())
        drawn = {e.get("bpmnElement") for e in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")}
        process = root.find(f"{{{BPMN}}}process")
        wanted = {e.get("id") for e in process if isinstance(e.tag, str) and e.get("id")
                  and etree.QName(e).localname not in ("laneSet", "documentation", "extensionElements")}  # fmt: skip
        assert wanted <= drawn, (path.name, wanted - drawn)
        assert describe(bare, laid) == []  # only the layout was added
        shapes = [b for b in root.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds")]
        assert all(float(b.get("x")) >= 0 and float(b.get("y")) >= 0 for b in shapes)


def test_a_file_with_a_layout_is_left_alone():
    source = (ROOT / "bpmn" / "objection.bpmn").read_text(encoding="utf-8")
    assert ensure_layout(source) == (source, False)
    assert ensure_layout("<not xml") == ("<not xml", False)
