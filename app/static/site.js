// Every page: the phone menu opens and closes; a form returned with errors puts the keyboard on its summary.
(function () {
  "use strict";
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      document.querySelector(".topbar").classList.toggle("open", open);
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
