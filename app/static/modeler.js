// The analyst's modeler: bpmn-js Modeler (from npm) on a draft, with GovShare's own properties panel in
// Chinese for the spiffworkflow: extensions our diagrams use. Every edit goes through bpmn-js's modeling
// commands (so Ctrl+Z undoes it); saves go to the server as JSON with the page's CSRF token; "保存并校验"
// saves first, then asks for the validation report.
(function () {
  "use strict";
  var box = document.getElementById("modeler");
  if (!box) {
    return;
  }
  var canvasBox = box.querySelector(".modeler-canvas");
  var panel = document.getElementById("properties-panel");
  var status = document.getElementById("save-status");
  var token = document.querySelector("input[name=csrf_token]").value;
  if (box.dataset.kind === "dmn") {
    decisionTableEditor();
    return;
  }
  if (typeof window.BpmnJS !== "function") {
    canvasBox.textContent = box.dataset.missing;
    return;
  }
  var vocabulary = JSON.parse(document.getElementById("studio-vocabulary").textContent);
  // Chinese chrome through bpmn-js's translate service (app/static/studio-zh.js); the keyboard binds to the
  // canvas by itself in this bpmn-js (a `keyboard.bindTo` setting is refused with a console error).
  var modeler = new window.BpmnJS({
    container: canvasBox,
    additionalModules: [window.GovShareTranslate],
    moddleExtensions: { spiffworkflow: window.GovShareSpiffModdle },
  });
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var timerUrl = box.dataset.timerUrl;

  // --- reading and writing the extensions ---------------------------------------------------------------

  function extension(bo, type) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    return values.filter(function (v) { return v.$type === type; })[0] || null;
  }

  function properties(bo) {
    var found = {};
    var holder = extension(bo, "spiffworkflow:Properties");
    ((holder && holder.properties) || []).forEach(function (p) { found[p.name] = p.value; });
    return found;
  }

  function ensureExtension(element, type, attrs) {
    var bo = element.businessObject;
    var holder = extension(bo, type);
    if (holder) {
      return holder;
    }
    var elements = bo.extensionElements;
    if (!elements) {
      elements = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: elements });
    }
    holder = moddle.create(type, attrs);
    modeling.updateModdleProperties(element, elements, { values: (elements.values || []).concat([holder]) });
    return holder;
  }

  function setProperty(element, name, value) {
    var holder = ensureExtension(element, "spiffworkflow:Properties", { properties: [] });
    var list = holder.properties || [];
    var existing = list.filter(function (p) { return p.name === name; })[0];
    if (existing && value) {
      modeling.updateModdleProperties(element, existing, { value: value });
    } else if (existing) {
      modeling.updateModdleProperties(element, holder, { properties: list.filter(function (p) { return p !== existing; }) });
    } else if (value) {
      var created = moddle.create("spiffworkflow:Property", { name: name, value: value });
      modeling.updateModdleProperties(element, holder, { properties: list.concat([created]) });
    }
  }

  function documentation(bo) {
    return ((bo.documentation || [])[0] || {}).text || "";
  }

  function setDocumentation(element, text) {
    var docs = text ? [moddle.create("bpmn:Documentation", { text: text })] : [];
    modeling.updateProperties(element, { documentation: docs });
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0] || null;
  }

  function timerExpression(bo) {
    var definition = timerDefinition(bo);
    var expression = definition && (definition.timeDate || definition.timeDuration || definition.timeCycle);
    return (expression && expression.body) || "";
  }

  function setTimerExpression(shape, text) {
    var definition = timerDefinition(shape.businessObject);
    var key = definition.timeDuration ? "timeDuration" : definition.timeCycle ? "timeCycle" : "timeDate";
    var attrs = {};
    attrs[key] = moddle.create("bpmn:FormalExpression", { body: text });
    modeling.updateModdleProperties(shape, definition, attrs);
  }

  function timersOf(task) {
    return (task.attachers || []).filter(function (a) { return timerDefinition(a.businessObject); });
  }

  // The timer language is read by the server only (GET /admin/timers, app/engine/language.py): for each
  // expression, the deadline(moment, N) inside it, a template to write it back, and whether it is a reminder.
  function describeTimers(expressions) {
    if (!expressions.length) {
      return Promise.resolve([]);
    }
    var query = expressions.map(function (e) { return "e=" + encodeURIComponent(e); }).join("&");
    return fetch(timerUrl + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { timers: [] }; })
      .then(function (body) { return expressions.map(function (e, i) { return body.timers[i] || null; }); });
  }

  function fill(template, moment, days) {
    return template.split("{moment}").join(moment).split("{days}").join(String(days));
  }

  function describedTimers(task) {
    var timers = timersOf(task);
    return describeTimers(timers.map(function (t) { return timerExpression(t.businessObject); }))
      .then(function (forms) { return timers.map(function (t, i) { return { shape: t, form: forms[i] }; }); });
  }

  function deadlineTimer(task, described) {
    var wanted = properties(task.businessObject).deadlineTimer;
    var found = described.filter(function (d) {
      return wanted ? d.shape.businessObject.id === wanted : d.form && !d.form.reminder;
    });
    return found.length === 1 && found[0].form ? found[0] : null;
  }

  // A task's deadline "N 个工作日，自 <moment> 起" lives in its deadline timer; the reminders derived from the same
  // deadline(…) follow a change, so the analyst edits one number.
  function setDeadline(described, deadline, moment, days) {
    described.forEach(function (d) {
      if (d.form && d.form.moment === deadline.form.moment && d.form.days === deadline.form.days) {
        setTimerExpression(d.shape, fill(d.form.template, moment, days));
      }
    });
  }

  // --- the panel --------------------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  var fieldCount = 0;
  function field(label, control, hint) {
    var id = "prop-" + (++fieldCount);
    control.id = id;
    var parts = [el("label", { for: id, text: label }), control];
    if (hint) { parts.push(el("p", { class: "hint", text: hint })); }
    return el("div", { class: "prop-field" }, parts);
  }

  function input(value, onChange, attrs) {
    var node = el("input", attrs || { type: "text" });
    node.value = value == null ? "" : value;
    node.addEventListener("change", function () { onChange(node.value.trim()); });
    return node;
  }

  function textarea(value, onChange) {
    var node = el("textarea", { rows: "3" });
    node.value = value || "";
    node.addEventListener("change", function () { onChange(node.value.trim()); });
    return node;
  }

  function select(options, value, onChange, blank) {
    var node = el("select");
    if (blank !== undefined) { node.appendChild(el("option", { value: "", text: blank })); }
    options.forEach(function (o) { node.appendChild(el("option", { value: o.value, text: o.label })); });
    if (value && !options.some(function (o) { return o.value === value; })) {
      node.appendChild(el("option", { value: value, text: value }));
    }
    node.value = value || "";
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function laneRole(element) {
    var lane = (element.businessObject.lanes || [])[0];
    if (!lane) {
      var laneShape = modeler.get("elementRegistry").filter(function (e) {
        return e.type === "bpmn:Lane" && (e.businessObject.flowNodeRef || []).indexOf(element.businessObject) >= 0;
      })[0];
      lane = laneShape && laneShape.businessObject;
    }
    return lane ? lane.name : "";
  }

  function roleLabel(value) {
    var role = vocabulary.roles.filter(function (r) { return r.value === value; })[0];
    return role ? role.label : value;
  }

  function momentLabel(value) {
    return (vocabulary.moments.filter(function (m) { return m.value === value; })[0] || {}).label || value;
  }

  function deadlineFields(element) {
    var holder = el("div", { class: "deadline-fields" }, [el("p", { class: "hint", text: "正在读取期限……" })]);
    describedTimers(element).then(function (described) {
      holder.innerHTML = "";
      var deadline = deadlineTimer(element, described);
      if (!deadline) {
        holder.appendChild(el("p", { class: "hint", text: "此任务没有按工作日计算的期限定时器。" }));
        return;
      }
      var form = deadline.form;
      var momentSelect = select(vocabulary.moments, form.moment, function (value) {
        setDeadline(described, deadline, value, form.days);
        render(element);
      });
      var days = input(String(form.days), function (value) {
        var n = parseInt(value, 10);
        if (n >= 1 && n <= 366) { setDeadline(described, deadline, momentSelect.value, n); }
        render(element);
      }, { type: "number", min: "1", max: "366", "aria-label": "办理期限（工作日数）" });
      momentSelect.setAttribute("aria-label", "期限起算时间");
      holder.appendChild(el("label", { text: "办理期限" }));
      holder.appendChild(el("div", { class: "inline-row" }, [days, el("span", { text: "个工作日，自" }), momentSelect, el("span", { text: "起" })]));
      holder.appendChild(el("p", { class: "hint", text: "写入定时器「" + (deadline.shape.businessObject.name || deadline.shape.businessObject.id) +
        "」：" + fill("deadline({moment}, {days})", form.moment, form.days) + "；到期前的提醒随之调整。" }));
    });
    return [holder];
  }

  function operationFields(element) {
    var bo = element.businessObject;
    var operator = extension(bo, "spiffworkflow:ServiceTaskOperator");
    var current = operator ? operator.id : "";
    var known = vocabulary.operations.filter(function (o) { return o.name === current; })[0];
    var parts = [field("服务操作", select(vocabulary.operations.map(function (o) {
      return { value: o.name, label: o.name + " — " + o.doc };
    }), current, function (value) {
      var holder = ensureExtension(element, "spiffworkflow:ServiceTaskOperator", { id: value });
      modeling.updateModdleProperties(element, holder, { id: value });
      render(element);
    }, "（请选择）"))];
    if (!operator) {
      return parts;
    }
    parts.push(field("结果变量", input(operator.resultVariable, function (value) {
      modeling.updateModdleProperties(element, operator, { resultVariable: value || undefined });
    }), "操作的返回值保存在此流程数据中"));
    var list = (operator.parameterList && operator.parameterList.parameters) || [];
    var params = known ? known.params : list.map(function (p) { return { name: p.id, type: p.type, required: false }; });
    params.forEach(function (param) {
      var existing = list.filter(function (p) { return p.id === param.name; })[0];
      parts.push(field("参数 " + param.name + (param.required ? "（必填）" : "") + "：" + param.type,
        input(existing ? existing.value : "", function (value) { setParameter(element, operator, param, value); }),
        "Python 表达式，例如 'platform_operator' 或 request[\"line_id\"]"));
    });
    return parts;
  }

  function setParameter(element, operator, param, value) {
    var holder = operator.parameterList;
    if (!holder) {
      holder = moddle.create("spiffworkflow:Parameters", { parameters: [] });
      modeling.updateModdleProperties(element, operator, { parameterList: holder });
    }
    var list = holder.parameters || [];
    var existing = list.filter(function (p) { return p.id === param.name; })[0];
    if (existing && value) {
      modeling.updateModdleProperties(element, existing, { value: value });
    } else if (existing) {
      modeling.updateModdleProperties(element, holder, { parameters: list.filter(function (p) { return p !== existing; }) });
    } else if (value) {
      var created = moddle.create("spiffworkflow:Parameter", { id: param.name, type: param.type, value: value });
      modeling.updateModdleProperties(element, holder, { parameters: list.concat([created]) });
    }
  }

  function render(element) {
    panel.innerHTML = "";
    if (!element || element.type === "bpmn:Process" || element.type === "label") {
      panel.appendChild(el("p", { class: "muted small-text", text: "在画布上选择一个步骤、定时器或连线，在此修改它的属性。" }));
      return;
    }
    var bo = element.businessObject;
    panel.appendChild(el("h3", { text: (bo.name || bo.id) }));
    var local = element.type.replace("bpmn:", "");
    var kind = vocabulary.kinds[local.charAt(0).toLowerCase() + local.slice(1)] || local;
    panel.appendChild(el("p", { class: "hint", text: kind + " · " + bo.id }));
    panel.appendChild(field("名称", input(bo.name, function (value) { modeling.updateLabel(element, value); })));

    if (element.type === "bpmn:UserTask") {
      var props = properties(bo);
      var lane = laneRole(element);
      panel.appendChild(field("办理角色", select(vocabulary.roles, props.candidateRole, function (value) {
        setProperty(element, "candidateRole", value);
      }, lane ? "按泳道：" + roleLabel(lane) : "（请选择）")));
      panel.appendChild(field("候选部门（表达式）", input(props.candidateDepartment, function (value) {
        setProperty(element, "candidateDepartment", value);
      }), "流程数据中的部门 id，例如 provider_department_id；留空则不限部门"));
      panel.appendChild(field("表单", select(vocabulary.forms.map(function (f) { return { value: f, label: f }; }),
        props.formJsonSchemaFilename, function (value) { setProperty(element, "formJsonSchemaFilename", value); }, "（无表单）")));
      var timers = timersOf(element).map(function (t) {
        return { value: t.businessObject.id, label: (t.businessObject.name || t.businessObject.id) };
      });
      panel.appendChild(field("期限定时器", select(timers, props.deadlineTimer, function (value) {
        setProperty(element, "deadlineTimer", value);
        render(element);
      }, "（自动：唯一的非提醒定时器）")));
      deadlineFields(element).forEach(function (node) { panel.appendChild(node); });
    }
    if (element.type === "bpmn:BoundaryEvent" && timerDefinition(bo)) {
      var text = timerExpression(bo);
      var meaning = el("p", { class: "hint" });
      panel.appendChild(meaning);
      describeTimers([text]).then(function (forms) {
        var form = forms[0];
        if (form) {
          meaning.textContent = "期限：" + form.days + " 个工作日，自" + momentLabel(form.moment) + "起" +
            (form.reminder ? "（提醒：到期前）" : "");
        }
      });
      panel.appendChild(field("定时表达式", input(text, function (value) { setTimerExpression(element, value); }),
        "deadline(起算时间, N) 为 N 个工作日后 24:00；reminder(期限, 1) 为到期前一个工作日 9:00"));
    }
    if (element.type === "bpmn:BusinessRuleTask") {
      var called = extension(bo, "spiffworkflow:CalledDecisionId");
      panel.appendChild(field("决策表（decision id）", input(called ? called.body : "", function (value) {
        var holder = ensureExtension(element, "spiffworkflow:CalledDecisionId", { body: value });
        modeling.updateModdleProperties(element, holder, { body: value });
      }), "决策表的结果（输出列的名称）存入流程数据，例如 share_route 给出 route"));
    }
    if (element.type === "bpmn:ServiceTask") {
      operationFields(element).forEach(function (node) { panel.appendChild(node); });
    }
    if (element.type === "bpmn:SequenceFlow") {
      var condition = bo.conditionExpression ? bo.conditionExpression.body : "";
      panel.appendChild(field("条件（表达式）", input(condition, function (value) {
        modeling.updateProperties(element, {
          conditionExpression: value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined,
        });
      }), "例如 accepted == True；默认路径不需要条件"));
    }
    panel.appendChild(field("说明（依据条款）", textarea(documentation(bo), function (value) { setDocumentation(element, value); }),
      "例如：办法§20：提供部门应在10个工作日内答复"));
  }

  modeler.get("eventBus").on("selection.changed", function (event) {
    render(event.newSelection.length === 1 ? event.newSelection[0] : null);
  });

  // Open at a zoom where the steps' names can be read: the whole process when it fits at 80 % or more,
  // otherwise 100 % from its start event (the analyst scrolls or zooms out with the mouse).
  function readable(canvas, registry) {
    var fitted = canvas.zoom("fit-viewport");
    if (fitted >= 0.8) {
      return;
    }
    canvas.zoom(1);
    var start = registry.filter(function (e) { return e.type === "bpmn:StartEvent"; })[0];
    if (start) {
      var box = canvas.viewbox();
      canvas.viewbox({ x: start.x - 40, y: start.y - box.height / 2 + start.height / 2, width: box.width, height: box.height });
    }
  }

  // --- saving -------------------------------------------------------------------------------------------------

  wireSaving(modeler);
  window.govshareModeler = modeler; // for the browser tests and the console
  // A model without a layout (DI) is laid out in the browser (app/static/autolayout.js); saving the draft
  // keeps that layout.
  window.govshareLaidOut(box.dataset.xml).then(function (xml) {
    return modeler.importXML(xml);
  }).then(function () {
    readable(modeler.get("canvas"), modeler.get("elementRegistry"));
    box.classList.add("modeler-ready");
  }).catch(function (err) {
    canvasBox.textContent = box.dataset.failed + err.message;
  });

  // The decision table editor: dmn-js Modeler (from npm), opened on the table view.
  function decisionTableEditor() {
    if (typeof window.DmnJS !== "function") {
      canvasBox.textContent = box.dataset.missing;
      return;
    }
    // Chinese chrome: each dmn-js view takes its own modules (drd, decisionTable, literalExpression).
    var chinese = { additionalModules: [window.GovShareTranslate] };
    var editor = new window.DmnJS({ container: canvasBox, drd: chinese, decisionTable: chinese, literalExpression: chinese });
    wireSaving(editor);
    window.govshareModeler = editor;
    editor.importXML(box.dataset.xml).then(function () {
      var table = editor.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
      return table ? editor.open(table) : null;
    }).then(function () {
      box.classList.add("modeler-ready");
    }).catch(function (err) {
      canvasBox.textContent = box.dataset.failed + err.message;
    });
  }

  function wireSaving(editor) {
    document.getElementById("save-draft").addEventListener("click", function () { save(editor).catch(function () {}); });
    document.getElementById("check-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      save(editor).then(function () { form.submit(); }).catch(function () {});
    });
  }

  function save(editor) {
    status.textContent = box.dataset.saving;
    return editor.saveXML({ format: true }).then(function (result) {
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
})();
