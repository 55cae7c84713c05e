// Draws each .bpmn-diagram with bpmn-js (installed from npm, served under /vendor/) and marks its steps.
(function () {
  "use strict";
  var MARKERS = { done: "gs-done", active: "gs-active", overdue: "gs-overdue" };

  function draw(box) {
    var canvasBox = box.querySelector(".bpmn-canvas");
    if (typeof window.BpmnJS !== "function") {
      canvasBox.textContent = box.dataset.missing;
      return;
    }
    var state = JSON.parse(box.dataset.state);
    var viewer = new window.BpmnJS({ container: canvasBox });
    viewer.importXML(box.dataset.xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      Object.keys(MARKERS).forEach(function (kind) {
        state[kind].forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, MARKERS[kind]);
          }
        });
      });
      box.classList.add("bpmn-ready");
    }).catch(function (err) {
      canvasBox.textContent = box.dataset.failed + " " + err.message;
    });
  }

  document.querySelectorAll(".bpmn-diagram").forEach(draw);
})();
