// The analyst's modeler: bpmn-js Modeler (from npm) on a draft; saves go to the server as JSON with the
// page's CSRF token; "保存并校验" saves first, then asks for the validation report.
(function () {
  "use strict";
  var box = document.getElementById("modeler");
  if (!box) {
    return;
  }
  var canvasBox = box.querySelector(".modeler-canvas");
  var status = document.getElementById("save-status");
  if (typeof window.BpmnJS !== "function") {
    canvasBox.textContent = box.dataset.missing;
    return;
  }
  var token = document.querySelector("input[name=csrf_token]").value;
  var modeler = new window.BpmnJS({ container: canvasBox, keyboard: { bindTo: document } });

  function save() {
    status.textContent = box.dataset.saving;
    return modeler.saveXML({ format: true }).then(function (result) {
      return fetch(box.dataset.saveUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ xml: result.xml }),
        credentials: "same-origin",
      });
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var fields = (body.error && body.error.fields) || {};
          throw new Error(fields.xml || (body.error && body.error.message) || response.status);
        }
        status.textContent = box.dataset.saved + "（" + body.revisions + "）";
        return body;
      });
    }).catch(function (err) {
      status.textContent = box.dataset.failed + err.message;
      throw err;
    });
  }

  modeler.importXML(box.dataset.xml).then(function () {
    modeler.get("canvas").zoom("fit-viewport");
    box.classList.add("modeler-ready");
  }).catch(function (err) {
    canvasBox.textContent = box.dataset.failed + err.message;
  });
  document.getElementById("save-draft").addEventListener("click", function () { save().catch(function () {}); });
  document.getElementById("check-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    save().then(function () { form.submit(); }).catch(function () {});
  });
})();
