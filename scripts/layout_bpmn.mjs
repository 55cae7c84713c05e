// Adds a generated diagram layout (BPMN DI) to BPMN files that have none, so bpmn-js can draw them.
// The semantic part of each file is kept byte for byte; only a <bpmndi:BPMNDiagram> section and its
// namespace declarations are added. Run: node scripts/layout_bpmn.mjs bpmn/*.bpmn  (uses bpmn-auto-layout,
// a devDependency in package.json). Files that already have a layout are left alone.
import { readFileSync, writeFileSync } from "node:fs";
import { layoutProcess } from "bpmn-auto-layout";
import BpmnModdle from "bpmn-moddle";

const NAMESPACES = {
  bpmndi: "http://www.omg.org/spec/BPMN/20100524/DI",
  dc: "http://www.omg.org/spec/DD/20100524/DC",
  di: "http://www.omg.org/spec/DD/20100524/DI",
};

// The layout follows each node's incoming/outgoing lists, which hand-written files may leave out (they are
// redundant with the sequence flows' sourceRef/targetRef): fill them in before laying out.
async function withFlowReferences(xml) {
  const moddle = new BpmnModdle();
  const { rootElement } = await moddle.fromXML(xml);
  const link = (container) => {
    const elements = container.flowElements || [];
    for (const element of elements) {
      if (element.$type === "bpmn:SequenceFlow") {
        for (const [node, list] of [[element.sourceRef, "outgoing"], [element.targetRef, "incoming"]]) {
          node.set(list, (node.get(list) || []).filter((flow) => flow !== element).concat([element]));
        }
      }
      if (element.flowElements) {
        link(element);
      }
    }
  };
  rootElement.rootElements.filter((element) => element.$type === "bpmn:Process").forEach(link);
  return (await moddle.toXML(rootElement)).xml;
}

for (const file of process.argv.slice(2)) {
  const source = readFileSync(file, "utf8");
  if (source.includes("BPMNDiagram")) {
    console.log(`${file}: has a layout, left alone`);
    continue;
  }
  const generated = await layoutProcess(await withFlowReferences(source));
  const diagram = generated.match(/<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>/);
  if (!diagram) {
    console.error(`${file}: no layout generated`);
    process.exitCode = 1;
    continue;
  }
  let result = source.replace(/<bpmn:definitions\b([^>]*)>/, (tag, attrs) => {
    const extra = Object.entries(NAMESPACES)
      .filter(([prefix]) => !attrs.includes(`xmlns:${prefix}=`))
      .map(([prefix, uri]) => `\n                  xmlns:${prefix}="${uri}"`)
      .join("");
    return `<bpmn:definitions${attrs}${extra}>`;
  });
  result = result.replace(/<\/bpmn:definitions>\s*$/, `  ${diagram[0]}\n</bpmn:definitions>\n`);
  writeFileSync(file, result);
  console.log(`${file}: layout added`);
}
