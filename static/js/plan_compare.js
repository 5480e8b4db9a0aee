/* Scenario comparison: grouped bars, one colour per plan. The table below the chart has the
   same numbers (and the differences), exactly. */
(function () {
  "use strict";

  function draw() {
    var dataEl = document.getElementById("compare-data");
    var canvas = document.getElementById("compare-chart");
    if (!dataEl || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    var strings = document.getElementById("compare-strings");
    var locale = (strings && strings.dataset.locale) || "en";
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    var exact = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var styles = getComputedStyle(document.documentElement);
    var palette = ["--chart-1", "--chart-2", "--success", "--warning", "--danger"].map(function (name) {
      return styles.getPropertyValue(name).trim();
    }).concat(["#7c3aed", "#0891b2", "#be185d", "#4d7c0f", "#78716c"]);
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, i) {
          return {
            label: set.label,
            data: set.data.map(Number),
            backgroundColor: palette[i % palette.length] || "#1d5fa8",
            borderRadius: 3,
            maxBarThickness: 36
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) { return data.names[items[0].dataIndex]; },
              label: function (ctx) {
                return ctx.dataset.label + ": " + exact.format(Number(data.datasets[ctx.datasetIndex].data[ctx.dataIndex]));
              }
            }
          }
        },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return compact.format(v); } } } }
      }
    });
  }

  if (document.readyState !== "loading") draw();
  else document.addEventListener("DOMContentLoaded", draw);
})();
