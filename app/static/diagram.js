// Draws each .bpmn-diagram with bpmn-js (installed from npm, served under /vendor/) and marks its steps.
// Large procedures are not shrunk below a readable zoom: the view starts at the current (or overdue) step,
// and the buttons zoom in, out and back to the whole diagram; the diagram can be dragged and ctrl+wheel zoomed.
(function () {
  "use strict";
  var MARKERS = { done: "gs-done", active: "gs-active", overdue: "gs-overdue" };
  var READABLE = 0.75; // below this zoom the labels of a task can no longer be read

  function button(label, title, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.textContent = label;
    b.title = title;
    // The accessible name starts with the visible text (WCAG 2.5.3); a symbol is named by its title alone.
    b.setAttribute("aria-label", /^[+−]$/.test(label) ? title : label + "（" + title + "）");
    b.addEventListener("click", onClick);
    return b;
  }

  function controls(box, canvas, focus) {
    var bar = document.createElement("div");
    bar.className = "bpmn-zoom";
    bar.appendChild(button("+", box.dataset.zoomIn, function () { canvas.zoom(canvas.zoom() * 1.25); }));
    bar.appendChild(button("−", box.dataset.zoomOut, function () { canvas.zoom(canvas.zoom() / 1.25); }));
    bar.appendChild(button(box.dataset.fitLabel, box.dataset.fit, function () { canvas.zoom("fit-viewport"); }));
    if (focus) {
      bar.appendChild(button(box.dataset.currentLabel, box.dataset.current, function () {
        canvas.zoom(Math.max(canvas.zoom(), READABLE));
        canvas.scrollToElement(focus);
      }));
    }
    box.insertBefore(bar, box.querySelector(".bpmn-canvas"));
  }

  function overlaps(a, b) {
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  }

  // Generated layouts put the labels of neighbouring events (a reminder and a deadline on one task) on top
  // of each other: move a label down until it is clear of the ones already placed (only the drawing moves).
  function separateLabels(registry) {
    var placed = [];
    registry.filter(function (el) { return el.labelTarget && el.businessObject.name; })
      .sort(function (a, b) { return a.y - b.y || a.x - b.x; })
      .forEach(function (label) {
        var box = { x: label.x, y: label.y, width: label.width, height: label.height };
        var moved = false;
        for (var i = 0; i < placed.length; i++) {
          if (overlaps(box, placed[i])) {
            box.y = placed[i].y + placed[i].height + 2;
            moved = true;
            i = -1; // check again against every placed label
          }
        }
        if (moved) {
          registry.getGraphics(label).setAttribute("transform", "matrix(1 0 0 1 " + box.x + " " + box.y + ")");
        }
        placed.push(box);
      });
  }

  function draw(box) {
    var canvasBox = box.querySelector(".bpmn-canvas");
    if (typeof window.BpmnJS !== "function") {
      canvasBox.textContent = box.dataset.missing;
      return;
    }
    var state = JSON.parse(box.dataset.state);
    var viewer = new window.BpmnJS({ container: canvasBox });
    window.govshareLaidOut(box.dataset.xml).then(function (xml) {  // app/static/autolayout.js
      return viewer.importXML(xml);
    }).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      Object.keys(MARKERS).forEach(function (kind) {
        state[kind].forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, MARKERS[kind]);
          }
        });
      });
      separateLabels(registry);
      var focusId = state.overdue.concat(state.active).find(function (id) { return registry.get(id); });
      var focus = focusId ? registry.get(focusId) : null;
      if (canvas.zoom("fit-viewport") < READABLE) {
        canvas.zoom(READABLE);
        if (focus) {
          canvas.scrollToElement(focus);
        } else {
          var box0 = canvas.viewbox();
          canvas.viewbox({ x: box0.inner.x - 20, y: box0.inner.y - 20, width: box0.width, height: box0.height });
        }
      }
      controls(box, canvas, focus);
      box.classList.add("bpmn-ready");
    }).catch(function (err) {
      canvasBox.textContent = box.dataset.failed + " " + err.message;
    });
  }

  document.querySelectorAll(".bpmn-diagram").forEach(draw);
})();
