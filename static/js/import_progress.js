/* Live progress of one import: polls GET /api/v1/imports/<id>/ (session auth) every second
   and moves the progress bar. When the import finishes the page reloads once, so the server
   renders the summary and the rejected rows; after that it only follows the recompute. */
(function () {
  "use strict";
  var FINISHED = ["succeeded", "failed"];
  var RECOMPUTE_OPEN = ["pending", "running"];
  var INTERVAL_MS = 1000;
  var MAX_INTERVAL_MS = 10000;

  function start() {
    var box = document.querySelector("[data-import-job]");
    var labelsEl = document.getElementById("import-labels");
    if (!box || !box.dataset.statusUrl || typeof window.fetch !== "function") return;
    var labels = labelsEl ? JSON.parse(labelsEl.textContent) : { phase: {}, status: {}, outcome: {}, recompute_status: {} };
    var url = box.dataset.statusUrl;
    var wasFinished = box.dataset.finished === "true";
    var bar = box.querySelector("[data-progress]");
    var errorNote = box.querySelector("[data-poll-error]");
    var number = new Intl.NumberFormat(document.documentElement.lang === "zh-hans" ? "zh-CN" : "en");
    var delay = INTERVAL_MS;

    if (wasFinished && RECOMPUTE_OPEN.indexOf(box.dataset.recomputeStatus) === -1) return;

    function setField(name, text) {
      document.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
        el.textContent = text;
      });
    }

    function render(job) {
      var finished = FINISHED.indexOf(job.status) !== -1;
      var percent = finished ? 100 : (job.rows_total > 0 ? Math.floor(job.rows_done * 100 / job.rows_total) : 0);
      percent = Math.max(0, Math.min(100, percent));
      if (bar) {
        bar.setAttribute("aria-valuenow", String(percent));
        bar.setAttribute("aria-valuetext", percent + " %");
        bar.classList.toggle("progress--indeterminate", !finished && !(job.rows_total > 0));
        bar.classList.toggle("progress--failed", job.status === "failed");
        var fill = bar.querySelector(".progress__bar");
        if (fill) fill.style.width = percent + "%";
      }
      setField("percent", String(percent));
      ["rows_done", "rows_total", "rows_imported", "rows_rejected", "rows_inserted", "rows_updated", "rows_unchanged", "warnings_total"]
        .forEach(function (name) {
          if (typeof job[name] === "number") setField(name, number.format(job[name]));
        });
      if (job.phase) setField("phase", labels.phase[job.phase] || job.phase);
      if (job.recompute_status) {
        setField("recompute_status", labels.recompute_status[job.recompute_status] || job.recompute_status);
      }
      // A finished job shows its outcome (a partial import with rejected rows is "Completed
      // with errors", in the warning colour), a running one its status.
      var badge = document.querySelector('[data-field="status-badge"] .status');
      var shown = finished && job.outcome && job.outcome !== "pending" ? job.outcome : job.status;
      if (badge && shown) {
        badge.className = "status status--" + shown;
        badge.dataset.status = shown;
        badge.textContent = (shown === job.status ? labels.status[shown] : labels.outcome[shown]) || shown;
      }
      box.dataset.status = job.status;
      box.dataset.recomputeStatus = job.recompute_status || "";
      return finished;
    }

    function poll() {
      window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (job) {
          if (errorNote) errorNote.hidden = true;
          delay = INTERVAL_MS;
          var finished = render(job);
          if (finished && !wasFinished) {
            // Let the bar show 100 % for a moment, then fetch the server-rendered summary.
            window.setTimeout(function () { window.location.reload(); }, 400);
            return;
          }
          if (finished && RECOMPUTE_OPEN.indexOf(job.recompute_status) === -1) return;
          window.setTimeout(poll, delay);
        })
        .catch(function () {
          if (errorNote) errorNote.hidden = false;
          delay = Math.min(delay * 2, MAX_INTERVAL_MS);
          window.setTimeout(poll, delay);
        });
    }

    window.setTimeout(poll, wasFinished ? INTERVAL_MS * 2 : 0);
  }

  if (document.readyState !== "loading") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
