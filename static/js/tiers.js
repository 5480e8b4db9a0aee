/* Tier distribution: customers and net amount per tier (two axes). The table beside the
   chart has the same numbers. */
(function () {
  "use strict";

  function draw() {
    var dataEl = document.getElementById("tier-chart-data");
    var canvas = document.getElementById("chart-tiers");
    if (!dataEl || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    if (!data.labels.length) return;
    var strings = document.getElementById("tier-chart-strings");
    var styles = getComputedStyle(document.documentElement);
    var first = styles.getPropertyValue("--chart-1").trim() || "#1d5fa8";
    var second = styles.getPropertyValue("--chart-target").trim() || "#c2410c";
    var locale = (strings && strings.dataset.locale) || "en";
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: strings.dataset.customers, data: data.customers, backgroundColor: first, yAxisID: "y" },
          { label: strings.dataset.revenue, data: data.revenue.map(Number), backgroundColor: second, yAxisID: "y1" }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        scales: {
          y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                ticks: { callback: function (v) { return compact.format(v); } } }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
