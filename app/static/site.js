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
  // A table wider than the screen scrolls inside its box: the box takes the keyboard focus (arrow keys scroll
  // it) and is named after the section it sits in (WCAG 2.1.1).
  function scrollables() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        var section = box.closest("section, .card");
        var title = section && section.querySelector("h1, h2, h3");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", title ? title.textContent.trim() : document.title);
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  scrollables();
  window.addEventListener("resize", scrollables);
  // Work that takes more than a moment (路径试运行, upload, deploy, migration) says so while it runs: a status
  // line read out by screen readers, and its buttons disabled once the browser has taken the form's values.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var note = form.querySelector(".busy") || document.createElement("p");
      note.className = "busy small-text";
      note.setAttribute("role", "status");
      note.textContent = form.dataset.busy;
      form.appendChild(note);
      form.setAttribute("aria-busy", "true");
      setTimeout(function () {
        form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      }, 0);
    });
  });
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // Each error links to its field: following the link puts the cursor in the field (or its first choice).
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        var field = target && (target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea"));
        if (field) {
          event.preventDefault();
          field.focus();
        }
      });
    });
  }
})();
