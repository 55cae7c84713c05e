// 批量办理: for batches over 20 a progress indicator while the server completes the tasks one by one.
(function () {
  "use strict";
  var form = document.getElementById("batch-form");
  if (!form || Number(form.dataset.count) <= 20) {
    return;
  }
  form.addEventListener("submit", function () {
    form.querySelector(".batch-progress").hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
  });
})();
