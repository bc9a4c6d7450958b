// otwatch console: charts (uPlot) and confirmations. Loaded as a file: the CSP
// forbids inline scripts.
"use strict";
(function () {
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#1f5fbf"; }

  function drawChart(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") return;
    var series;
    try { series = JSON.parse(el.dataset.series || "[]"); } catch (e) { return; }
    if (!series.length || !series[0].length) {
      el.textContent = "No data yet.";
      el.classList.add("muted");
      return;
    }
    el.dataset.drawn = "1";
    var isTime = el.dataset.x === "time";
    var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : null;
    var opts = {
      width: Math.max(el.clientWidth, 300),
      height: 220,
      scales: { x: { time: isTime } },
      legend: { show: false },
      axes: [
        isTime ? {} : { values: function (u, vals) { return vals.map(function (v) { return v + ":00"; }); } },
        { size: 50 },
      ],
      series: [
        {},
        { label: el.dataset.label || "count", stroke: css("--accent"), fill: "rgba(31,95,191,0.35)", paths: bars, points: { show: false } },
      ],
    };
    var plot = new uPlot(opts, series, el);
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(el.clientWidth, 300), height: 220 }); });
  }

  function init(root) {
    root.querySelectorAll("[data-chart]").forEach(drawChart);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    document.body.addEventListener("submit", function (ev) {
      var f = ev.target;
      if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) ev.preventDefault();
    });
    document.body.addEventListener("htmx:afterSwap", function (ev) { init(ev.target); });
  });
})();
