// Draws each .chart[data-chart] with ECharts (installed from npm, served under /vendor/).
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") {
    document.querySelectorAll(".chart").forEach(function (box) { box.textContent = "图表组件未安装（make setup）"; });
    return;
  }
  var COLORS = ["#2f6fb3", "#c0392b", "#2e8b57", "#b7791f"];

  function option(spec) {
    var d = spec.data;
    var base = {
      aria: { enabled: true }, // ECharts describes the series in words for screen readers; the page also has a table
      color: COLORS,
      grid: { left: 48, right: 16, top: 24, bottom: 72 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 35, interval: 0, fontSize: 11 } },
      yAxis: { type: "value", max: spec.max, axisLabel: { formatter: "{value}" + (spec.unit || "") } },
    };
    if (spec.kind === "calls") {
      base.legend = { data: ["调用", "失败"], top: 0 };
      base.series = [
        { name: "调用", type: "bar", data: d.calls },
        { name: "失败", type: "bar", data: d.failures },
      ];
    } else {
      base.series = [{ type: spec.kind, data: d.values, smooth: spec.kind === "line" }];
    }
    return base;
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (box) {
    var spec = JSON.parse(box.dataset.chart);
    if (!spec.data.labels.length) {
      box.classList.add("chart-empty");
      box.textContent = "本期间没有数据";
      return;
    }
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option(spec));
    box.classList.add("chart-ready");
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
