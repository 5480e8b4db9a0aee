/* Dashboard charts. The numbers come from a json_script block; the tables below each chart
   show the same figures, exactly, for anyone who cannot or would rather not read a chart. */
(function () {
  "use strict";

  function draw() {
    var dataEl = document.getElementById("dashboard-data");
    var strings = document.getElementById("dashboard-strings");
    if (!dataEl || typeof window.Chart === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    var locale = (strings && strings.dataset.locale) || document.documentElement.lang || "en";
    var seriesLabel = (strings && strings.dataset.netSales) || "Net sales";
    var targetLabel = (strings && strings.dataset.target) || "Target";
    var money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    var styles = getComputedStyle(document.documentElement);
    var accent = styles.getPropertyValue("--chart-1").trim() || "#1d5fa8";
    var accentSoft = styles.getPropertyValue("--chart-2").trim() || "#7fa7d6";
    var negative = styles.getPropertyValue("--danger").trim() || "#b42318";
    var target = styles.getPropertyValue("--chart-target").trim() || "#c2410c";
    var grid = styles.getPropertyValue("--border").trim() || "#dde2e8";
    var text = styles.getPropertyValue("--muted").trim() || "#5f6b7a";

    window.Chart.defaults.font.family = styles.getPropertyValue("--font-sans");
    window.Chart.defaults.color = text;
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

    function bar(canvasId, rows, options) {
      var canvas = document.getElementById(canvasId);
      if (!canvas || !rows.length) return;
      var values = rows.map(function (row) { return Number(row.amount); });
      var hasTargets = rows.some(function (row) { return row.target !== null && row.target !== undefined; });
      if (options.horizontal) {
        // One comfortable row per bar, however many units the viewer has.
        canvas.parentElement.style.height = Math.max(160, rows.length * 34 + 48) + "px";
      }
      return new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: rows.map(function (row) { return row.label; }),
          datasets: [{
            label: seriesLabel,
            data: values,
            backgroundColor: values.map(function (v) { return v < 0 ? negative : options.color; }),
            borderRadius: 3,
            maxBarThickness: 48,
            order: 2
          }].concat(hasTargets ? [{
            // Targets of the published plan: a line over the months, a thin bar per unit.
            type: options.horizontal ? "bar" : "line",
            label: targetLabel,
            data: rows.map(function (row) { return row.target === null ? null : Number(row.target); }),
            borderColor: target,
            backgroundColor: options.horizontal ? target : "transparent",
            borderWidth: 2,
            pointRadius: 3,
            borderRadius: 3,
            maxBarThickness: 16,
            order: 1
          }] : [])
        },
        options: {
          indexAxis: options.horizontal ? "y" : "x",
          responsive: true,
          maintainAspectRatio: false,
          animation: reduceMotion ? false : { duration: 300 },
          plugins: {
            legend: { display: hasTargets },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  // The exact figure from the server, not the float the chart drew.
                  var row = rows[ctx.dataIndex];
                  if (ctx.datasetIndex === 1) return targetLabel + ": " + money.format(Number(row.target));
                  return seriesLabel + ": " + money.format(Number(row.amount));
                }
              }
            }
          },
          scales: {
            x: {
              grid: { display: !!options.horizontal, color: grid },
              ticks: options.horizontal ? { callback: function (v) { return compact.format(v); } } : {}
            },
            y: {
              grid: { display: !options.horizontal, color: grid },
              ticks: options.horizontal ? {} : { callback: function (v) { return compact.format(v); } }
            }
          }
        }
      });
    }

    bar("chart-months", data.months, { color: accent });
    bar("chart-breakdown", data.breakdown, { color: accentSoft, horizontal: true });
  }

  if (document.readyState !== "loading") draw();
  else document.addEventListener("DOMContentLoaded", draw);
})();
