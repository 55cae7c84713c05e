// Lays out a BPMN diagram that has no layout (DI), in the browser, with bpmn-auto-layout (from npm; an ES
// module found through the page's import map). A diagram with a layout is returned as the analyst left it.
// bpmn-auto-layout follows each node's <incoming>/<outgoing> references, which hand-written files often leave
// out (they are optional in BPMN 2.0): they are added from the sequence flows first.
(function () {
  "use strict";
  var BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";

  function withFlowReferences(xml) {
    var doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) {
      return xml; // left for the importer to report
    }
    var byId = {};
    Array.prototype.forEach.call(doc.getElementsByTagNameNS(BPMN, "*"), function (el) {
      if (el.getAttribute("id")) { byId[el.getAttribute("id")] = el; }
    });
    function refer(node, kind, flowId) {
      if (!node) { return; }
      var present = Array.prototype.some.call(node.getElementsByTagNameNS(BPMN, kind), function (ref) {
        return ref.parentNode === node && ref.textContent.trim() === flowId;
      });
      if (!present) {
        var ref = doc.createElementNS(BPMN, node.prefix ? node.prefix + ":" + kind : kind);
        ref.textContent = flowId;
        node.appendChild(ref);
      }
    }
    Array.prototype.forEach.call(doc.getElementsByTagNameNS(BPMN, "sequenceFlow"), function (flow) {
      var id = flow.getAttribute("id");
      refer(byId[flow.getAttribute("sourceRef")], "outgoing", id);
      refer(byId[flow.getAttribute("targetRef")], "incoming", id);
    });
    return new XMLSerializer().serializeToString(doc);
  }

  window.govshareLaidOut = function (xml) {
    if (/BPMNShape/.test(xml)) {
      return Promise.resolve(xml);
    }
    return import("bpmn-auto-layout").then(function (module) {
      return module.layoutProcess(withFlowReferences(xml));
    });
  };
})();
