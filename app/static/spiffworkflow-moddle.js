// GovShare's description of the spiffworkflow: extension elements our diagrams use (properties, service task
// operator with parameters, called decision, pre/post scripts, instructions), so the modeler reads and writes them as typed objects instead of raw XML.
window.GovShareSpiffModdle = {
  name: "SpiffWorkflow",
  uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
  prefix: "spiffworkflow",
  xml: { tagAlias: "lowerCase" },
  types: [
    { name: "Properties", superClass: ["Element"],
      properties: [{ name: "properties", type: "Property", isMany: true }] },
    { name: "Property", superClass: ["Element"],
      properties: [{ name: "name", type: "String", isAttr: true }, { name: "value", type: "String", isAttr: true }] },
    { name: "ServiceTaskOperator", superClass: ["Element"],
      properties: [{ name: "id", type: "String", isAttr: true }, { name: "resultVariable", type: "String", isAttr: true },
                   { name: "parameterList", type: "Parameters" }] },
    { name: "Parameters", superClass: ["Element"],
      properties: [{ name: "parameters", type: "Parameter", isMany: true }] },
    { name: "CalledDecisionId", superClass: ["Element"], properties: [{ name: "body", type: "String", isBody: true }] },
    { name: "PreScript", superClass: ["Element"], properties: [{ name: "body", type: "String", isBody: true }] },
    { name: "PostScript", superClass: ["Element"], properties: [{ name: "body", type: "String", isBody: true }] },
    { name: "InstructionsForEndUser", superClass: ["Element"], properties: [{ name: "body", type: "String", isBody: true }] },
    { name: "Parameter", superClass: ["Element"],
      properties: [{ name: "id", type: "String", isAttr: true }, { name: "type", type: "String", isAttr: true },
                   { name: "value", type: "String", isAttr: true }] }
  ]
};
