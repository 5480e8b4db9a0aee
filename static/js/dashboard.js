/* Dashboard charts. The numbers come from a json_script block; the tables beside each chart
   show the same figures, exactly. Clicking a bar (or a row) drills down to that node. */
(function () {
  "use strict";

  function draw() {
    var dataEl = document.getElementById("dashboard-data");
    var strings = document.getElementById("dashboard-strings");
    if (!dataEl || typeof window.Chart === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    var s = strings ? strings.dataset : {};
    var locale = s.locale || document.documentElement.lang || "en";
    var money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    var styles = getComputedStyle(document.documentElement);
    function color(name, fallback) { return styles.getPropertyValue(name).trim() || fallback; }
    var accent = color("--chart-1", "#1d5fa8");
    var soft = color("--chart-2", "#4f8fc9");
    var target = color("--chart-target", "#c2410c");
    var grid = color("--border", "#dde2e8");
    window.Chart.defaults.font.family = styles.getPropertyValue("--font-sans");
    window.Chart.defaults.color = color("--muted", "#5f6b7a");
    var animation = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 };
    function num(v) { return v === null || v === undefined ? null : Number(v); }
    function tooltip(ctx) { return ctx.dataset.label + ": " + money.format(ctx.raw); }

    var cumulative = document.getElementById("chart-cumulative");
    if (cumulative) {
      var sets = [];
      if (data.target.length) {
        sets.push({ label: s.target || "Target", data: data.target.map(num), borderColor: target,
                    borderWidth: 2, pointRadius: 2, fill: false });
      }
      sets.push({ label: s.actual || "Actual", data: data.actual.map(num), borderColor: accent,
                  backgroundColor: accent, borderWidth: 3, pointRadius: 3, fill: false });
      if (data.forecast.length) {
        sets.push({ label: s.forecast || "Forecast",
                    data: data.forecast.map(function (v, i) { return i < data.forecast_from ? null : num(v); }),
                    borderColor: soft, borderDash: [6, 4], borderWidth: 2, pointRadius: 2, fill: false });
      }
      new window.Chart(cumulative, {
        type: "line",
        data: { labels: data.labels, datasets: sets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: animation, spanGaps: false,
          plugins: { tooltip: { callbacks: { label: tooltip } } },
          scales: { x: { grid: { display: false } },
                    y: { grid: { color: grid }, ticks: { callback: function (v) { return compact.format(v); } } } }
        }
      });
    }

    var children = document.getElementById("chart-children");
    if (children && data.children.length) {
      var rows = data.children;
      children.parentElement.style.height = Math.max(160, rows.length * 40 + 56) + "px";
      var hasExpected = rows.some(function (r) { return r.expected !== null; });
      new window.Chart(children, {
        type: "bar",
        data: {
          labels: rows.map(function (r) { return r.label; }),
          datasets: [{ label: s.actualToDate || "Actual to date", data: rows.map(function (r) { return num(r.actual); }),
                       backgroundColor: accent, borderRadius: 3, maxBarThickness: 18 }]
            .concat(hasExpected ? [{ label: s.expected || "Expected to date",
                                      data: rows.map(function (r) { return num(r.expected); }),
                                      backgroundColor: target, borderRadius: 3, maxBarThickness: 10 }] : [])
        },
        options: {
          indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: animation,
          plugins: { tooltip: { callbacks: { label: tooltip } } },
          scales: { x: { grid: { color: grid }, ticks: { callback: function (v) { return compact.format(v); } } },
                    y: { grid: { display: false } } },
          onHover: function (event, elements) {
            event.native.target.style.cursor = elements.length ? "pointer" : "default";
          },
          onClick: function (event, elements) {
            if (elements.length) window.location.assign(rows[elements[0].index].url);
          }
        }
      });
    }

    // A click anywhere on a table row follows its link, like the link in its first cell.
    document.querySelectorAll("tr[data-href]").forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a")) return;
        window.location.assign(row.dataset.href);
      });
    });
    // Changing a picker shows the new figures at once.
    var form = document.getElementById("dashboard-form");
    if (form) {
      form.querySelectorAll("select, input[type=date]").forEach(function (field) {
        field.addEventListener("change", function () { form.requestSubmit(); });
      });
    }
  }

  if (document.readyState !== "loading") draw();
  else document.addEventListener("DOMContentLoaded", draw);
})();
