// Supervisor reports: draws the report's chart (Chart.js, static/vendor/chartjs) from the JSON the page puts in the
// canvas's data-chart attribute ({kind, labels, datasets: [{label, data}], stacked, horizontal, yTitle}; see
// portal/reports/base.py Chart.spec) — an attribute, not an inline script, which the CSP would refuse.
(function () {
  "use strict";
  var canvas = document.getElementById("report-canvas");
  if (!canvas || !canvas.dataset.chart || typeof Chart === "undefined") { return; }
  var spec = JSON.parse(canvas.dataset.chart);
  var palette = ["#0d6efd", "#20c997", "#fd7e14", "#dc3545", "#6f42c1", "#198754", "#6c757d", "#ffc107"];
  var axis = spec.horizontal ? "y" : "x";
  var value = spec.horizontal ? "x" : "y";
  var scales = {};
  scales[axis] = { stacked: spec.stacked, ticks: { autoSkip: false, maxRotation: 0 } };
  scales[value] = { stacked: spec.stacked, beginAtZero: true, ticks: { precision: 0 }, title: { display: !!spec.yTitle, text: spec.yTitle } };
  var chart = new Chart(canvas, {
    type: spec.kind,
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map(function (d, i) {
        return { label: d.label, data: d.data, backgroundColor: palette[i % palette.length],
                 borderColor: palette[i % palette.length], borderWidth: spec.kind === "line" ? 2 : 0 };
      })
    },
    options: { indexAxis: axis, responsive: true, maintainAspectRatio: false, animation: false, scales: scales,
               plugins: { legend: { display: spec.datasets.length > 1, position: "bottom" } } }
  });
  canvas.dataset.drawn = chart ? "1" : "";
})();
