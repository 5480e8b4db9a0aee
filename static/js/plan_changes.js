/* The plan editor's changes beyond a single cell: undo of your last change, and the Excel
   upload with its preview (upload -> the job reads the sheet -> every cell that will change
   is listed -> confirm or discard). Runs after plan_editor.js and uses its helpers
   (window.planEditor); the server decides everything, the page only shows it. */
(function () {
  "use strict";

  var editor = window.planEditor;
  if (!editor || !editor.cfg) return;
  var cfg = editor.cfg;
  var S = cfg.strings;
  var fmt = editor.fmt;
  var money = editor.money;
  var say = editor.say;
  var request = editor.request;
  var reasonEl = document.getElementById("edit-reason");

  // --- undo of your last change ----------------------------------------------------------------

  var undoButton = document.getElementById("undo-last");
  var undoState = null;

  function showUndo(state) {
    undoState = state && state.available ? state : null;
    if (!undoButton) return;
    undoButton.hidden = !undoState;
    if (undoState) {
      var cells = undoState.cells.join(", ") + (undoState.cells.length >= 5 ? " …" : "");
      undoButton.textContent = fmt(S.undo_label, { cells: cells });
      undoButton.title = fmt(S.undo_title, { when: window.salesalloc.formatWhen(undoState.at) });
    }
  }

  function loadUndo() {
    if (!undoButton) return Promise.resolve();
    return request("GET", cfg.api.undo).then(function (response) {
      showUndo(response.ok ? response.body : null);
    });
  }

  editor.onChanged = function () { loadUndo(); };

  if (undoButton) {
    undoButton.addEventListener("click", function () {
      if (!undoState) return;
      undoButton.disabled = true;
      say(S.undoing);
      request("POST", cfg.api.undo, { batch: undoState.batch, revision: editor.state.revision })
        .then(function (response) {
          if (!response.ok) {
            say(fmt(S.undo_refused, { message: response.body.message || S.network }));
            if (response.body.code === "plan_stale") editor.refreshAfterChange();
            return loadUndo();
          }
          editor.state.revision = response.body.revision;
          var cells = response.body.changes.map(function (c) { return c.label; }).join(", ");
          return editor.refreshAfterChange().then(function (changed) {
            say(fmt(S.undone, { cells: cells, count: changed }));
            return loadUndo();
          });
        })
        .finally(function () { undoButton.disabled = false; });
    });
    loadUndo();
  }

  // --- upload, preview, confirm --------------------------------------------------------------

  var POLL_MS = 500;
  var form = document.getElementById("upload-form");
  if (!form) return;
  var errorsEl = document.getElementById("upload-errors");
  var previewEl = document.getElementById("upload-preview");
  var previewError = document.getElementById("upload-preview-error");
  var confirmButton = document.getElementById("upload-confirm");
  var discardButton = document.getElementById("upload-discard");
  var pendingJob = null;

  function showRefusal(body) {
    errorsEl.innerHTML = "";
    var p = document.createElement("p");
    p.textContent = S.upload_rejected + " " + (body.message || "");
    errorsEl.appendChild(p);
    var errors = body.errors || [];
    if (errors.length) {
      var list = document.createElement("ul");
      errors.forEach(function (error) {
        var li = document.createElement("li");
        li.textContent = (error.cell ? error.cell + ": " : "") + error.message;
        list.appendChild(li);
      });
      errorsEl.appendChild(list);
    }
    errorsEl.hidden = false;
  }

  function finished(job) {
    if (job.status === "queued" || job.status === "running") {
      return new Promise(function (resolve) { setTimeout(resolve, POLL_MS); })
        .then(function () { return request("GET", job.url); })
        .then(function (response) {
          if (!response.ok) return { status: "failed", message: response.body.message };
          return finished(response.body);
        });
    }
    return Promise.resolve(job);
  }

  function cellRow(cells, tbody) {
    var tr = document.createElement("tr");
    cells.forEach(function (text, i) {
      var td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      if (i === 2 || i === 3) td.className = "num";
      td.textContent = text;
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }

  function showPreview(job) {
    var preview = job.preview;
    pendingJob = job;
    var summary = preview.keep
      ? fmt(S.preview_summary, {
        edits: preview.edits.length,
        leaves: preview.leaf_count,
        rule: editor.keepLabel(preview.keep),
        kept: preview.kept.length
      })
      : fmt(S.preview_summary_bottom_up, { edits: preview.edits.length, leaves: preview.leaf_count });
    document.getElementById("upload-preview-summary").textContent =
      summary + " " + fmt(S.preview_total, { total: money(preview.total_amount) });
    var edits = document.querySelector("#upload-preview-edits tbody");
    edits.innerHTML = "";
    preview.edits.forEach(function (edit) {
      cellRow([edit.ref || "", edit.label, money(edit.old_amount), money(edit.new_amount)], edits);
    });
    if (!preview.edits.length) cellRow(["", S.preview_nothing, "", ""], edits);
    var details = document.getElementById("upload-preview-leaves");
    details.querySelector("summary").textContent = fmt(
      preview.leaves_truncated ? S.preview_leaves_truncated : S.preview_leaves,
      { count: preview.leaf_count, shown: preview.leaves.length }
    );
    var leaves = details.querySelector("tbody");
    leaves.innerHTML = "";
    preview.leaves.forEach(function (leaf) {
      var tr = document.createElement("tr");
      if (!leaf.set) tr.className = "is-rebalanced";
      [leaf.ref || "", leaf.label, money(leaf.old_amount), money(leaf.new_amount),
        leaf.set ? S.preview_set : S.preview_rebalanced].forEach(function (text, i) {
        var td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) td.scope = "row";
        if (i === 2 || i === 3) td.className = "num";
        td.textContent = text;
        tr.appendChild(td);
      });
      leaves.appendChild(tr);
    });
    previewError.hidden = true;
    previewEl.hidden = false;
    confirmButton.disabled = false;
    discardButton.disabled = false;
    confirmButton.focus();
  }

  function hidePreview() {
    previewEl.hidden = true;
    pendingJob = null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorsEl.hidden = true;
    hidePreview();
    var file = document.getElementById("upload-file").files[0];
    if (!file) {
      errorsEl.textContent = S.upload_choose;
      errorsEl.hidden = false;
      say(S.upload_choose);
      return;
    }
    var data = new FormData();
    data.append("file", file);
    data.append("reason", reasonEl ? reasonEl.value : "");
    data.append("keep", editor.keepRule());
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    editor.setBusy(1);
    request("POST", cfg.api.upload, data, true).then(function (response) {
      if (!response.ok) {
        showRefusal(response.body);
        say(S.upload_failed);
        return;
      }
      say(S.upload_running);
      return finished(response.body).then(function (job) {
        if (job.status === "previewed") {
          say(fmt(S.upload_previewed, { count: job.preview.leaf_count }));
          showPreview(job);
          return;
        }
        showRefusal(job);
        say(S.upload_failed);
      });
    }).finally(function () {
      button.disabled = false;
      editor.setBusy(-1);
    });
  });

  confirmButton.addEventListener("click", function () {
    if (!pendingJob) return;
    confirmButton.disabled = true;
    discardButton.disabled = true;
    say(S.saving);
    request("POST", pendingJob.confirm_url).then(function (response) {
      if (!response.ok) {
        previewError.textContent = response.body.message || S.network;
        previewError.hidden = false;
        say(S.upload_confirm_refused);
        discardButton.disabled = response.body.code === "plan_stale";
        return;
      }
      var job = response.body;
      hidePreview();
      form.reset();
      editor.state.revision = job.result.revision;
      return editor.refreshAfterChange().then(function (changed) {
        say(fmt(S.uploaded, { count: job.result.leaf_count, changed: changed }));
        loadUndo();
      });
    });
  });

  discardButton.addEventListener("click", function () {
    if (!pendingJob) return;
    discardButton.disabled = true;
    request("POST", pendingJob.discard_url).then(function (response) {
      if (!response.ok) {
        previewError.textContent = response.body.message || S.network;
        previewError.hidden = false;
        return;
      }
      hidePreview();
      say(S.upload_discarded);
    });
  });
})();
