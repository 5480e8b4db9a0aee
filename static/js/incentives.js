// Statement page: the Print button (kept out of inline handlers for the CSP).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// Bar charts of the scorecard and contribution-margin pages. The data comes from a
// json_script block {"labels": [...], "series": [{"label", "values"}]}; the table next to
// each chart shows the same numbers exactly.
(function () {
  "use strict";
  function draw() {
    var dataEl = document.getElementById("chart-data");
    var canvas = document.getElementById("chart");
    if (!dataEl || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    var styles = getComputedStyle(document.documentElement);
    var colors = [
      styles.getPropertyValue("--chart-1").trim() || "#1d5fa8",
      styles.getPropertyValue("--chart-target").trim() || "#c2410c",
      styles.getPropertyValue("--chart-2").trim() || "#7fa7d6",
    ];
    canvas.dataset.ready = "1";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.label, data: s.values.map(Number), backgroundColor: colors[i % 3], borderRadius: 3, maxBarThickness: 40 };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
      },
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
