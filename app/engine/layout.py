"""A diagram layout for BPMN files that have none (hand-written or generated files carry no BPMNDiagram):
the viewer and the modeler draw only what has a layout, so such a file would show an empty canvas.

Layered left to right: each flow node's column is its longest distance from a start event along sequence
flows (flows that close a loop are not followed), rows in the order met; boundary events sit on the lower edge
of their task; flows are drawn as orthogonal polylines. Files that have a layout are returned unchanged.
"""

from __future__ import annotations

from collections import defaultdict

from lxml import etree

from app.engine.language import BPMN

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess"}  # fmt: skip
COLUMN, ROW, LEFT, TOP = 180, 130, 80, 60


def _size(kind: str) -> tuple[int, int]:
    if kind in EVENTS or kind == "boundaryEvent":
        return 36, 36
    if kind in GATEWAYS:
        return 50, 50
    return 100, 80


def _columns(nodes: list[str], flows: list[tuple[str, str]], starts: list[str]) -> dict[str, int]:
    outgoing = defaultdict(list)
    for source, target in flows:
        outgoing[source].append(target)
    column: dict[str, int] = {}
    on_path: set[str] = set()

    def walk(node: str, depth: int) -> None:
        if node in on_path or column.get(node, -1) >= depth:
            return
        column[node] = depth
        on_path.add(node)
        for target in outgoing[node]:
            walk(target, depth + 1)
        on_path.discard(node)

    for start in starts or nodes[:1]:
        walk(start, 0)
    for node in nodes:  # not reachable from a start (e.g. after a boundary event): after its source
        if node not in column:
            column[node] = 0
    return column


def _layout_process(process, plane) -> None:
    kinds = {}
    for element in process:
        if isinstance(element.tag, str):
            kind = etree.QName(element).localname
            if kind in EVENTS | GATEWAYS | ACTIVITIES:
                kinds[element.get("id")] = kind
    boundaries = [
        e for e in process if isinstance(e.tag, str) and etree.QName(e).localname == "boundaryEvent"
    ]
    flows = [
        (f.get("sourceRef"), f.get("targetRef"), f.get("id")) for f in process.iter(f"{{{BPMN}}}sequenceFlow")
    ]
    nodes = list(kinds)
    boundary_of = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    # a flow out of a boundary event counts from the task it is attached to
    graph = [
        (boundary_of.get(s, s), t) for s, t, _id in flows if boundary_of.get(s, s) in kinds and t in kinds
    ]
    starts = [n for n, k in kinds.items() if k == "startEvent"]
    column = _columns(nodes, graph, starts)
    rows: dict[int, int] = defaultdict(int)
    bounds: dict[str, tuple[float, float, int, int]] = {}
    for node in sorted(nodes, key=lambda n: (column[n], nodes.index(n))):
        width, height = _size(kinds[node])
        x = LEFT + column[node] * COLUMN + (100 - width) / 2
        y = TOP + rows[column[node]] * ROW + (80 - height) / 2
        rows[column[node]] += 1
        bounds[node] = (x, y, width, height)
    attached: dict[str, int] = defaultdict(int)
    for boundary in boundaries:
        task = bounds.get(boundary.get("attachedToRef"))
        if task is None:
            continue
        index = attached[boundary.get("attachedToRef")]
        attached[boundary.get("attachedToRef")] += 1
        bounds[boundary.get("id")] = (task[0] + 10 + index * 42, task[1] + task[3] - 18, 36, 36)
    for element_id, (x, y, width, height) in bounds.items():
        shape = etree.SubElement(
            plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id
        )
        etree.SubElement(
            shape, f"{{{DC}}}Bounds", x=f"{x:g}", y=f"{y:g}", width=str(width), height=str(height)
        )
    for source, target, flow_id in flows:
        if source not in bounds or target not in bounds:
            continue
        sx, sy, sw, sh = bounds[source]
        tx, ty, tw, th = bounds[target]
        if source in boundary_of:  # down from the boundary event, then across
            points = [(sx + sw / 2, sy + sh), (sx + sw / 2, ty + th / 2), (tx, ty + th / 2)]
        else:
            start, end = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
            middle = start[0] + (end[0] - start[0]) / 2 if end[0] > start[0] else start[0] + 20
            points = [start, (middle, start[1]), (middle, end[1]), end]
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        for px, py in points:
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=f"{px:g}", y=f"{py:g}")


def ensure_layout(source: str) -> tuple[str, bool]:
    """(source with a layout, whether one was added). Unreadable text and files with a layout: unchanged."""
    try:
        root = etree.fromstring(
            source.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        return source, False
    processes = root.findall(f"{{{BPMN}}}process")
    if root.find(f"{{{BPMNDI}}}BPMNDiagram") is not None or not processes:
        return source, False
    if root.find(f"{{{BPMN}}}collaboration") is not None:
        return source, False  # pools need a layout of their own; left to the modeler
    for process in processes:
        diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"{process.get('id')}_diagram")
        plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"{process.get('id')}_plane",
                                 bpmnElement=process.get("id"))  # fmt: skip
        _layout_process(process, plane)
    etree.cleanup_namespaces(root, top_nsmap={"bpmndi": BPMNDI, "dc": DC, "di": DI})
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text, True
