/* The plan editor: an org tree x months grid on the plans JSON API.

   Rows load lazily: the first request brings the viewer's top rows and their children;
   expanding a row fetches its children. Only expanded rows are rendered. Every change goes
   to the API (edit, paste, lock, upload); afterwards the loaded rows are fetched again and
   the cells whose numbers moved are highlighted, so the rebalance is visible. The server
   decides what is allowed and every number shown comes from it: the browser never adds up
   money. Texts come translated from the page (json_script), numbers are decimal strings. */
(function () {
  "use strict";

  var cfgEl = document.getElementById("plan-editor-config");
  var table = document.getElementById("plan-grid");
  if (!cfgEl || !table) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var S = cfg.strings;
  var body = document.getElementById("grid-body");
  var wrap = document.getElementById("grid-wrap");
  var statusEl = document.getElementById("grid-status");
  var alertEl = document.getElementById("grid-alert");
  var cellErrorEl = document.getElementById("cell-error");
  var reasonEl = document.getElementById("edit-reason");
  var canEdit = cfg.actions.indexOf("edit") !== -1;
  var canLock = cfg.actions.indexOf("lock") !== -1;

  var PERIODS = cfg.months.map(function (m) { return m.period; })
    .concat(["year"], cfg.quarters.map(function (q) { return q.period; }));
  var PERIOD_LABEL = {};
  cfg.months.forEach(function (m) { PERIOD_LABEL[m.period] = m.long; });
  cfg.quarters.forEach(function (q) { PERIOD_LABEL[q.period] = q.long; });
  PERIOD_LABEL.year = S.year;
  var MONTH_INDEX = {};
  cfg.months.forEach(function (m, i) { MONTH_INDEX[m.period] = i; });
  var MAX_GROUP_REQUESTS = 6;

  var state = {
    productLine: "",
    revision: cfg.revision,
    rows: new Map(),        // key -> grid row from the API
    children: new Map(),    // key -> [child keys], once loaded
    tops: [],
    expanded: new Set(),
    total: null,
    visible: [],            // keys in display order
    active: { key: null, col: 1 },
    editing: null,
    busy: 0
  };
  var editor = { state: state, ready: false, firstPaintMs: null };
  window.planEditor = editor;

  // --- helpers --------------------------------------------------------------------------------

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* "1234567.8" -> "1,234,567.8": exact, on the string (the same in both languages). */
  function money(value) {
    if (value === null || value === undefined || value === "") return "";
    var text = String(value);
    // A quantity plan counts whole units: "12.00" reads "12" (actuals may carry part units).
    if (cfg.wholeUnits) text = text.replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
    var negative = text.charAt(0) === "-";
    if (negative) text = text.slice(1);
    var parts = text.split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + whole + (parts.length > 1 ? "." + parts[1] : "");
  }

  /* Actuals keep the orders' precision (up to 4 places); show them to the cent, half up. */
  function moneyCents(value) {
    if (value === null || value === undefined || value === "") return "";
    var text = String(value);
    var negative = text.charAt(0) === "-";
    var parts = (negative ? text.slice(1) : text).split(".");
    var frac = parts[1] || "";
    if (frac.length <= 2) return money(value);
    var cents = BigInt(parts[0] + frac.slice(0, 2)) + (frac.charAt(2) >= "5" ? 1n : 0n);
    var digits = cents.toString().padStart(3, "0");
    return money((negative ? "-" : "") + digits.slice(0, -2) + "." + digits.slice(-2));
  }

  /* What people type: "1,234.5", "1 234", "12万", "1.5亿" -> "1234.5" / "120000" (exact). */
  function parseAmount(text) {
    var compact = String(text == null ? "" : text).replace(/[,\s\u00a0\uff0c_]/g, "");
    var match = /^(\d+)(?:\.(\d+))?(万|亿|w|W)?$/.exec(compact);
    if (!match) return null;
    var whole = match[1];
    var fraction = match[2] || "";
    var shift = match[3] === "亿" ? 8 : match[3] ? 4 : 0;
    var digits = whole + fraction;
    var point = whole.length + shift;
    while (digits.length < point) digits += "0";
    var head = digits.slice(0, point).replace(/^0+(?=\d)/, "") || "0";
    var tail = digits.slice(point).replace(/0+$/, "");
    return tail ? head + "." + tail : head;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function request(method, url, data, isForm) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    if (data !== undefined) {
      if (isForm) {
        options.body = data;
      } else {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(data);
      }
    }
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var payload = null;
        try { payload = text ? JSON.parse(text) : null; } catch (e) { payload = { message: text }; }
        return { ok: response.ok, status: response.status, body: payload || {} };
      });
    }, function () {
      return { ok: false, status: 0, body: { message: S.network } };
    });
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value !== null && value !== undefined && value !== "") {
        parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function say(message) {
    statusEl.textContent = message;
  }

  // --- the keep rule: what stays the same when a cell changes (remembered per browser) -------

  var KEEP_KEY = "salesalloc.keepRule";
  var KEEP_RULES = ["row_year", "period_total"];

  function keepRule() {
    var checked = document.querySelector("#keep-rule input[name=keep]:checked");
    return checked ? checked.value : "row_year";
  }

  function keepLabel(rule) {
    return rule === "period_total" ? S.keep_period_total : S.keep_row_year;
  }

  function setKeep(rule, remember) {
    if (KEEP_RULES.indexOf(rule) === -1) return;
    document.querySelectorAll("#keep-rule input[name=keep]").forEach(function (input) {
      input.checked = input.value === rule;
    });
    var uploadKeep = document.getElementById("upload-keep");
    if (uploadKeep) uploadKeep.value = rule;
    if (remember) {
      try { window.localStorage.setItem(KEEP_KEY, rule); } catch (e) { /* private mode */ }
    }
  }

  (function initKeep() {
    var stored = null;
    try { stored = window.localStorage.getItem(KEEP_KEY); } catch (e) { stored = null; }
    if (stored) setKeep(stored, false);
    document.querySelectorAll("#keep-rule input[name=keep]").forEach(function (input) {
      input.addEventListener("change", function () {
        setKeep(input.value, true);
        say(fmt(S.keep_chosen, { rule: keepLabel(input.value) }));
      });
    });
    var uploadKeep = document.getElementById("upload-keep");
    if (uploadKeep) {
      uploadKeep.addEventListener("change", function () { setKeep(uploadKeep.value, true); });
    }
  })();

  /* The result line of a change: the rule that applied, what stayed, what rebalanced. */
  function ruleSummary(body) {
    if (!body.keep) return S.followed_up;
    if (!body.kept || !body.kept.length) return S.resplit_all;
    return fmt(S.kept_summary, {
      rule: keepLabel(body.keep),
      kept: body.kept.map(function (cell) { return cell.label; }).join(", "),
      moved: (body.rebalanced || []).length
    });
  }

  function showAlert(title, items) {
    alertEl.innerHTML = "";
    if (!title) { alertEl.hidden = true; return; }
    var p = document.createElement("p");
    p.textContent = title;
    alertEl.appendChild(p);
    if (items && items.length) {
      var list = document.createElement("ul");
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item;
        list.appendChild(li);
      });
      alertEl.appendChild(list);
    }
    alertEl.hidden = false;
  }

  function setBusy(delta) {
    state.busy += delta;
    var busy = state.busy > 0;
    table.setAttribute("aria-busy", busy ? "true" : "false");
    table.dataset.busy = busy ? "true" : "false";
  }

  // --- rows and cells -------------------------------------------------------------------------

  function rowKey(row) { return (row.type === "salesperson" ? "s:" : "u:") + row.code; }
  function parentKey(row) { return row.parent ? "u:" + row.parent : null; }

  function amountOf(figures, period) {
    if (!figures) return null;
    if (period === "year") return figures.year;
    if (period.charAt(0) === "Q") return figures.quarters[Number(period.slice(1)) - 1];
    return figures.months[MONTH_INDEX[period]];
  }

  function constraintOf(row, period) {
    for (var i = 0; i < row.constraints.length; i++) {
      if (row.constraints[i].period === period) return row.constraints[i];
    }
    return null;
  }

  function editable(row, period) {
    if (!canEdit || !row) return false;
    return period === "year" ? row.year_editable : row.periods_editable;
  }

  function coords(row, period) {
    return {
      org_unit: row.type === "salesperson" ? null : row.code,
      salesperson: row.type === "salesperson" ? row.code : null,
      product_line: state.productLine || null,
      period: period
    };
  }

  function lineLabel() {
    if (!state.productLine) return S.all_lines;
    var select = document.getElementById("pl-select");
    return select.options[select.selectedIndex].textContent.trim();
  }

  function cellLabel(row, period) {
    return fmt(S.cell_of, { row: row.name, line: lineLabel(), period: PERIOD_LABEL[period] || period });
  }

  function mergeRows(rows, isTopRequest) {
    var inResponse = new Set(rows.map(rowKey));
    var byParent = new Map();
    rows.forEach(function (row) {
      state.rows.set(rowKey(row), row);
      var parent = parentKey(row);
      if (parent && inResponse.has(parent)) {
        if (!byParent.has(parent)) byParent.set(parent, []);
        byParent.get(parent).push(rowKey(row));
      }
    });
    byParent.forEach(function (keys, parent) { state.children.set(parent, keys); });
    if (isTopRequest) {
      state.tops = rows.filter(function (row) {
        var parent = parentKey(row);
        return !parent || !inResponse.has(parent);
      }).map(rowKey);
    }
  }

  function acceptGrid(body, isTopRequest) {
    state.revision = body.revision;
    mergeRows(body.rows, isTopRequest);
    if (isTopRequest) state.total = body.total;
  }

  function fetchGrid(params) {
    return request("GET", cfg.api.grid + query(Object.assign({ product_line: state.productLine }, params)));
  }

  /* Fetch every loaded row again: the tops (with their children) plus each opened row's
     children; past a handful of opened rows, one deep request is cheaper. */
  function reload() {
    var opened = [];
    state.children.forEach(function (_keys, key) {
      if (state.tops.indexOf(key) === -1 && state.rows.has(key)) opened.push(key);
    });
    var requests;
    if (opened.length > MAX_GROUP_REQUESTS) {
      var minDepth = Infinity;
      var maxDepth = 0;
      state.rows.forEach(function (row, key) {
        if (state.tops.indexOf(key) !== -1) minDepth = Math.min(minDepth, row.depth);
        if (state.children.has(key)) maxDepth = Math.max(maxDepth, row.depth + 1);
      });
      requests = [fetchGrid({ depth: Math.max(1, maxDepth - minDepth) }).then(function (r) { return [r, true]; })];
    } else {
      requests = [fetchGrid({ depth: 1 }).then(function (r) { return [r, true]; })].concat(
        opened.map(function (key) {
          return fetchGrid({ org_unit: state.rows.get(key).code, depth: 1 }).then(function (r) { return [r, false]; });
        })
      );
    }
    return Promise.all(requests).then(function (results) {
      var failed = results.filter(function (pair) { return !pair[0].ok; });
      if (failed.length) throw failed[0][0];
      results.forEach(function (pair) { acceptGrid(pair[0].body, pair[1]); });
    });
  }

  function snapshot() {
    var values = new Map();
    state.visible.forEach(function (key) {
      var row = state.rows.get(key);
      PERIODS.forEach(function (period) { values.set(key + "|" + period, amountOf(row.amounts, period)); });
    });
    if (state.total) {
      PERIODS.forEach(function (period) { values.set("total|" + period, amountOf(state.total.amounts, period)); });
    }
    return values;
  }

  // --- rendering ------------------------------------------------------------------------------

  function computeVisible() {
    var out = [];
    var levels = new Map();
    function walk(key, level) {
      if (!state.rows.has(key)) return;
      out.push(key);
      levels.set(key, level);
      if (state.expanded.has(key) && state.children.has(key)) {
        state.children.get(key).forEach(function (child) { walk(child, level + 1); });
      }
    }
    state.tops.forEach(function (key) { walk(key, 1); });
    state.visible = out;
    return levels;
  }

  function rowHtml(key, level, setSize, position) {
    var row = state.rows.get(key);
    var open = state.expanded.has(key);
    var attrs = ' data-key="' + escapeHtml(key) + '" aria-level="' + level + '"' +
      ' aria-setsize="' + setSize + '" aria-posinset="' + position + '"';
    if (row.has_children) attrs += ' aria-expanded="' + (open ? "true" : "false") + '"';
    var toggle = row.has_children
      ? '<button type="button" class="twisty" tabindex="-1" data-toggle aria-label="' +
        escapeHtml(fmt(open ? S.collapse : S.expand, { name: row.name })) + '"></button>'
      : '<span class="twisty twisty--leaf" aria-hidden="true"></span>';
    var html = "<tr" + attrs + ' class="grid-row grid-row--' + row.type + '">' +
      '<th scope="row" class="rowhead" data-col="0" tabindex="-1">' +
      toggle + '<span class="code">' + escapeHtml(row.code) + "</span> " +
      '<span class="rowhead__name">' + escapeHtml(row.name) + "</span></th>";
    PERIODS.forEach(function (period, index) {
      var info = constraintOf(row, period);
      var classes = ["num", "cell"];
      if (period === "year") classes.push("plan-grid__year");
      if (period.charAt(0) === "Q") classes.push("cell--quarter");
      if (index === 11) classes.push("cell--last-month");
      var canChange = editable(row, period);
      if (canChange) classes.push("is-editable");
      var marks = "";
      if (info && info.locked) {
        classes.push("is-locked");
        marks += '<span class="lock-mark" aria-hidden="true"></span><span class="visually-hidden"> (' + escapeHtml(S.locked_mark) + ")</span>";
      }
      if (info && (info.min_amount !== null || info.max_amount !== null)) {
        classes.push("has-bounds");
        var bounds = fmt(S.bounds_mark, { min: money(info.min_amount) || "–", max: money(info.max_amount) || "–" });
        marks += '<span class="bounds-mark" title="' + escapeHtml(bounds) + '" aria-hidden="true"></span><span class="visually-hidden"> (' + escapeHtml(bounds) + ")</span>";
      }
      html += '<td class="' + classes.join(" ") + '" data-col="' + (index + 1) + '" data-period="' +
        period + '" tabindex="-1"' + (canChange ? "" : ' aria-readonly="true"') + ">" +
        '<span class="cell__value">' + money(amountOf(row.amounts, period)) + "</span>" + marks + "</td>";
    });
    return html + "</tr>";
  }

  function render() {
    var levels = computeVisible();
    var focusInGrid = table.contains(document.activeElement);
    var siblingsOf = new Map();
    state.visible.forEach(function (key) {
      var parent = parentKey(state.rows.get(key)) || "";
      if (!siblingsOf.has(parent)) siblingsOf.set(parent, []);
      siblingsOf.get(parent).push(key);
    });
    var html = state.visible.map(function (key) {
      var siblings = siblingsOf.get(parentKey(state.rows.get(key)) || "");
      return rowHtml(key, levels.get(key), siblings.length, siblings.indexOf(key) + 1);
    }).join("");
    if (!html) html = '<tr><td colspan="18" class="plan-grid__loading">' + escapeHtml(S.empty) + "</td></tr>";
    body.innerHTML = html;
    renderTotal();
    if (!state.active.key || state.visible.indexOf(state.active.key) === -1) {
      state.active = { key: state.visible[0] || null, col: state.active.col || 1 };
    }
    var cell = activeCell();
    if (cell) {
      cell.tabIndex = 0;
      if (focusInGrid) cell.focus({ preventScroll: true });
    }
    updatePanel();
  }

  function renderTotal() {
    if (!state.total) return;
    document.querySelectorAll("#grid-total td[data-period]").forEach(function (td) {
      td.textContent = money(amountOf(state.total.amounts, td.dataset.period));
    });
  }

  function cellAt(key, col) {
    var tr = body.querySelector('tr[data-key="' + cssEscape(key) + '"]');
    return tr ? tr.querySelector('[data-col="' + col + '"]') : null;
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/["\\]/g, "\\$&");
  }

  function activeCell() {
    return state.active.key ? cellAt(state.active.key, state.active.col) : null;
  }

  function flash(before, editedKey) {
    var after = snapshot();
    var changed = 0;
    after.forEach(function (value, id) {
      if (before.has(id) && before.get(id) !== value) {
        changed += 1;
        var parts = id.split("|");
        var td = parts[0] === "total"
          ? document.querySelector('#grid-total td[data-period="' + parts[1] + '"]')
          : cellAt(parts[0], PERIODS.indexOf(parts[1]) + 1);
        if (td) {
          td.classList.remove("is-changed");
          void td.offsetWidth; // restart the highlight animation
          td.classList.add("is-changed", "is-moved");
          td.dataset.changed = "true";
        }
      }
    });
    if (editedKey) {
      var parts = editedKey.split("|");
      var td = cellAt(parts[0], PERIODS.indexOf(parts[1]) + 1);
      if (td) td.classList.add("is-edited");
    }
    return changed;
  }

  function clearFlash() {
    table.querySelectorAll("[data-changed]").forEach(function (td) {
      delete td.dataset.changed;
      td.classList.remove("is-changed", "is-moved", "is-edited");
    });
  }

  function refreshAfterChange(editedKey) {
    var before = snapshot();
    setBusy(1);
    return reload().then(function () {
      clearFlash();
      render();
      var changed = flash(before, editedKey);
      refreshSidePanels();
      return changed;
    }).finally(function () { setBusy(-1); });
  }

  // --- focus and keyboard ---------------------------------------------------------------------

  function setActive(key, col, focus) {
    var previous = activeCell();
    if (previous) previous.tabIndex = -1;
    var rowChanged = state.active.key !== key;
    state.active = { key: key, col: col };
    var cell = activeCell();
    if (cell) {
      cell.tabIndex = 0;
      if (focus) cell.focus();
    }
    updatePanel(rowChanged);
  }

  function move(dRow, dCol) {
    var index = state.visible.indexOf(state.active.key);
    if (index === -1) return;
    var nextIndex = Math.max(0, Math.min(state.visible.length - 1, index + dRow));
    var col = Math.max(0, Math.min(PERIODS.length, state.active.col + dCol));
    setActive(state.visible[nextIndex], col, true);
  }

  function toggle(key, open) {
    var row = state.rows.get(key);
    if (!row || !row.has_children) return Promise.resolve();
    var isOpen = state.expanded.has(key);
    if (open === undefined) open = !isOpen;
    if (open === isOpen) return Promise.resolve();
    if (!open) {
      state.expanded.delete(key);
      render();
      return Promise.resolve();
    }
    if (state.children.has(key)) {
      state.expanded.add(key);
      render();
      return Promise.resolve();
    }
    setBusy(1);
    return fetchGrid({ org_unit: row.code, depth: 1 }).then(function (response) {
      if (!response.ok) { showAlert(response.body.message); return; }
      acceptGrid(response.body, false);
      state.expanded.add(key);
      render();
    }).finally(function () { setBusy(-1); });
  }

  body.addEventListener("click", function (event) {
    var cell = event.target.closest("td[data-col], th[data-col]");
    if (!cell || state.editing) return;
    var key = cell.parentElement.dataset.key;
    var col = Number(cell.dataset.col);
    setActive(key, col, true);
    if (event.target.closest("[data-toggle]")) {
      toggle(key);
      return;
    }
    if (col > 0) startEdit(cell, null, true);
  });

  body.addEventListener("keydown", function (event) {
    if (state.editing) return;
    var cell = event.target.closest("td[data-col], th[data-col]");
    if (!cell) return;
    var key = state.active.key;
    var col = state.active.col;
    var row = state.rows.get(key);
    switch (event.key) {
      case "ArrowUp": move(-1, 0); break;
      case "ArrowDown": move(1, 0); break;
      case "ArrowLeft":
        if (col === 0 && row && row.has_children && state.expanded.has(key)) toggle(key, false);
        else if (col === 0 && row && parentKey(row) && state.rows.has(parentKey(row))) setActive(parentKey(row), 0, true);
        else move(0, -1);
        break;
      case "ArrowRight":
        if (col === 0 && row && row.has_children && !state.expanded.has(key)) toggle(key, true);
        else move(0, 1);
        break;
      case "Home": setActive(key, 0, true); break;
      case "End": setActive(key, PERIODS.length, true); break;
      case "Enter":
      case "F2":
        if (col === 0) toggle(key);
        else startEdit(cell, null, false);
        break;
      case " ":
        if (col === 0) toggle(key);
        else return;
        break;
      case "Escape": hideCellError(); return;
      default:
        if ((event.key === "l" || event.key === "L") && !event.ctrlKey && !event.metaKey && col > 0) {
          toggleLock();
          break;
        }
        if (/^[0-9.]$/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey && col > 0) {
          startEdit(cell, event.key, false);
          break;
        }
        return;
    }
    event.preventDefault();
  });

  body.addEventListener("focusin", function (event) {
    var cell = event.target.closest("td[data-col], th[data-col]");
    if (!cell || state.editing) return;
    var key = cell.parentElement.dataset.key;
    var col = Number(cell.dataset.col);
    if (key !== state.active.key || col !== state.active.col) setActive(key, col, false);
  });

  // --- inline edit ----------------------------------------------------------------------------

  function showCellError(td, message) {
    cellErrorEl.textContent = message;
    cellErrorEl.hidden = false;
    var box = td.getBoundingClientRect();
    var outer = wrap.getBoundingClientRect();
    var below = box.bottom - outer.top + wrap.scrollTop + 2;
    var left = box.left - outer.left + wrap.scrollLeft;
    cellErrorEl.style.left = Math.max(0, Math.min(left, wrap.scrollWidth - 320)) + "px";
    cellErrorEl.style.top = below + "px";
    // Near the bottom of the scroll area the message goes above the cell, so it stays visible.
    if (below + cellErrorEl.offsetHeight > wrap.scrollTop + wrap.clientHeight) {
      var above = box.top - outer.top + wrap.scrollTop - cellErrorEl.offsetHeight - 2;
      if (above >= wrap.scrollTop) cellErrorEl.style.top = above + "px";
    }
    td.classList.add("has-error");
  }

  function hideCellError() {
    cellErrorEl.hidden = true;
    cellErrorEl.textContent = "";
    table.querySelectorAll(".has-error").forEach(function (td) { td.classList.remove("has-error"); });
  }

  function startEdit(td, initial, fromClick) {
    var key = td.parentElement.dataset.key;
    var period = td.dataset.period;
    var row = state.rows.get(key);
    hideCellError();
    if (!editable(row, period)) {
      if (!fromClick && canEdit) showCellError(td, S.no_edit);
      return;
    }
    var raw = amountOf(row.amounts, period);
    var input = document.createElement("input");
    input.type = "text";
    input.className = "cell-input";
    input.setAttribute("inputmode", "decimal");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-label", fmt(S.edit_label, { cell: cellLabel(row, period) }));
    input.setAttribute("aria-describedby", "cell-error");
    input.value = initial !== null ? initial : raw;
    state.editing = { td: td, input: input, key: key, period: period, raw: raw, saving: false };
    td.classList.add("is-editing");
    td.tabIndex = -1;
    var value = td.querySelector(".cell__value");
    value.hidden = true;
    td.appendChild(input);
    input.focus();
    if (initial === null) input.select();
    else input.setSelectionRange(input.value.length, input.value.length);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        commitEdit(event.key === "Tab" ? (event.shiftKey ? -1 : 1) : 0);
      } else if (event.key === "Escape") {
        event.preventDefault();
        cancelEdit();
      }
      event.stopPropagation();
    });
    input.addEventListener("blur", function () {
      window.setTimeout(function () {
        if (state.editing && state.editing.input === input && !state.editing.saving &&
            document.activeElement !== input) {
          cancelEdit(true);
        }
      }, 0);
    });
  }

  function finishEdit(keepFocus) {
    var editing = state.editing;
    if (!editing) return;
    state.editing = null;
    editing.input.remove();
    editing.td.classList.remove("is-editing");
    var value = editing.td.querySelector(".cell__value");
    if (value) value.hidden = false;
    editing.td.tabIndex = 0;
    if (keepFocus) editing.td.focus();
  }

  function cancelEdit(fromBlur) {
    hideCellError();
    finishEdit(!fromBlur);
  }

  function commitEdit(step) {
    var editing = state.editing;
    var row = state.rows.get(editing.key);
    var amount = parseAmount(editing.input.value);
    if (amount === null) {
      editing.input.setAttribute("aria-invalid", "true");
      showCellError(editing.td, S.not_a_number);
      return;
    }
    if (amount === parseAmount(editing.raw)) {
      cancelEdit();
      if (step) move(0, step);
      return;
    }
    editing.saving = true;
    editing.input.setAttribute("aria-busy", "true");
    say(S.saving);
    var payload = Object.assign(coords(row, editing.period), {
      amount: amount,
      reason: reasonEl ? reasonEl.value : "",
      revision: state.revision,
      keep: keepRule()
    });
    setBusy(1);
    request("POST", cfg.api["cell-edit"], payload).then(function (response) {
      editing.saving = false;
      editing.input.removeAttribute("aria-busy");
      if (!response.ok) {
        if (response.body.code === "plan_stale") {
          finishEdit(true);
          refreshAfterChange().then(function () { showCellError(activeCell(), S.stale); });
          return;
        }
        editing.input.setAttribute("aria-invalid", "true");
        showCellError(editing.td, response.body.message || S.network);
        editing.input.focus();
        say(fmt(S.not_saved, { cell: cellLabel(row, editing.period) }));
        return;
      }
      state.revision = response.body.revision;
      var change = response.body.changes[0];
      var result = response.body;
      hideCellError();
      finishEdit(true);
      refreshAfterChange(editing.key + "|" + editing.period).then(function (changed) {
        say(fmt(S.saved, {
          cell: cellLabel(row, editing.period),
          old: money(change ? change.old_amount : editing.raw),
          new: money(change ? change.new_amount : amount),
          rule: ruleSummary(result),
          count: changed
        }));
        changedHook(result);
        if (step) move(0, step);
      }, function (failure) { say(failure.body ? failure.body.message : S.network); });
    }).finally(function () { setBusy(-1); });
  }

  // --- paste ----------------------------------------------------------------------------------

  table.addEventListener("paste", function (event) {
    if (state.editing || !canEdit) return;
    var text = (event.clipboardData || window.clipboardData).getData("text");
    event.preventDefault();
    pasteBlock(text);
  });

  function pasteBlock(text) {
    showAlert("");
    hideCellError();
    if (!state.active.key) { showAlert(S.paste_select); return; }
    var lines = String(text || "").replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
    var startRow = state.visible.indexOf(state.active.key);
    var startCol = Math.max(1, state.active.col) - 1;
    var cells = [];
    var tooBig = false;
    var refs = {};
    lines.forEach(function (line, r) {
      var key = state.visible[startRow + r];
      line.split("\t").forEach(function (value, c) {
        if (value.trim() === "") return; // an empty cell in the block leaves that cell alone
        var period = PERIODS[startCol + c];
        if (!key || !period) { tooBig = true; return; }
        var row = state.rows.get(key);
        var ref = row.code + " · " + (PERIOD_LABEL[period] || period);
        refs[ref] = key + "|" + period;
        var amount = parseAmount(value);
        cells.push(Object.assign(coords(row, period), { amount: amount === null ? value.trim() : amount, ref: ref }));
      });
    });
    if (tooBig) { showAlert(S.paste_too_big); return; }
    if (!cells.length) { showAlert(S.paste_nothing); return; }
    say(S.saving);
    setBusy(1);
    request("POST", cfg.api["cell-paste"], {
      cells: cells,
      reason: reasonEl ? reasonEl.value : "",
      revision: state.revision,
      keep: keepRule()
    }).then(function (response) {
      if (!response.ok) {
        var items = (response.body.errors || []).map(function (error) {
          var where = error.ref || error.cell || "";
          var id = error.ref ? refs[error.ref] : null;
          if (id) {
            var parts = id.split("|");
            var td = cellAt(parts[0], PERIODS.indexOf(parts[1]) + 1);
            if (td) td.classList.add("has-error");
          }
          return where ? where + ": " + error.message : error.message;
        });
        showAlert((S.paste_rejected + " " + (response.body.message || "")).trim(), items);
        say(S.paste_failed);
        if (response.body.code === "plan_stale") refreshAfterChange();
        return;
      }
      state.revision = response.body.revision;
      var result = response.body;
      return refreshAfterChange().then(function (changed) {
        say(fmt(S.pasted, { count: cells.length, rule: ruleSummary(result), changed: changed }));
        changedHook(result);
      });
    }).finally(function () { setBusy(-1); });
  }

  // --- locks and bounds -----------------------------------------------------------------------

  function toggleLock() {
    if (!canLock || state.active.col === 0) return;
    var row = state.rows.get(state.active.key);
    var period = PERIODS[state.active.col - 1];
    var info = constraintOf(row, period);
    var locked = !(info && info.locked);
    var td = activeCell();
    setBusy(1);
    request("POST", cfg.api["cell-lock"], Object.assign(coords(row, period), {
      locked: locked,
      reason: reasonEl ? reasonEl.value : ""
    })).then(function (response) {
      if (!response.ok) {
        if (td) showCellError(td, response.body.message || S.network);
        say(fmt(locked ? S.lock_failed : S.unlock_failed, { cell: cellLabel(row, period) }));
        return;
      }
      return refreshAfterChange().then(function () {
        say(fmt(locked ? S.locked : S.unlocked, { cell: cellLabel(row, period) }));
      });
    }).finally(function () { setBusy(-1); });
  }

  var lockButton = document.getElementById("cell-lock");
  if (lockButton) {
    lockButton.addEventListener("click", function () {
      toggleLock();
      var td = activeCell();
      if (td) td.focus();
    });
  }

  var boundsButton = document.getElementById("bounds-open");
  var boundsPopover = document.getElementById("bounds-popover");
  var boundsForm = document.getElementById("bounds-form");
  var boundsError = document.getElementById("bounds-error");

  function closeBounds(focusButton) {
    if (!boundsPopover || boundsPopover.hidden) return;
    boundsPopover.hidden = true;
    boundsButton.setAttribute("aria-expanded", "false");
    if (focusButton) boundsButton.focus();
  }

  if (boundsButton) {
    boundsButton.addEventListener("click", function () {
      if (!boundsPopover.hidden) { closeBounds(true); return; }
      var row = state.rows.get(state.active.key);
      var period = PERIODS[state.active.col - 1];
      var info = constraintOf(row, period);
      document.getElementById("bound-min").value = info && info.min_amount !== null ? info.min_amount : "";
      document.getElementById("bound-max").value = info && info.max_amount !== null ? info.max_amount : "";
      boundsError.hidden = true;
      boundsPopover.hidden = false;
      boundsButton.setAttribute("aria-expanded", "true");
      document.getElementById("bound-min").focus();
    });
    boundsPopover.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); closeBounds(true); }
    });
    document.getElementById("bounds-cancel").addEventListener("click", function () { closeBounds(true); });
    document.getElementById("bounds-clear").addEventListener("click", function () {
      document.getElementById("bound-min").value = "";
      document.getElementById("bound-max").value = "";
      boundsForm.requestSubmit();
    });
    boundsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var row = state.rows.get(state.active.key);
      var period = PERIODS[state.active.col - 1];
      var values = {};
      var bad = false;
      ["min", "max"].forEach(function (name) {
        var text = document.getElementById("bound-" + name).value.trim();
        var amount = text ? parseAmount(text) : null;
        if (text && amount === null) bad = true;
        values[name + "_amount"] = amount;
      });
      if (bad) { boundsError.textContent = S.not_a_number; boundsError.hidden = false; return; }
      setBusy(1);
      request("POST", cfg.api["cell-lock"], Object.assign(coords(row, period), values, {
        reason: reasonEl ? reasonEl.value : ""
      })).then(function (response) {
        if (!response.ok) {
          boundsError.textContent = response.body.message || S.network;
          boundsError.hidden = false;
          say(fmt(S.bounds_failed, { cell: cellLabel(row, period) }));
          return;
        }
        closeBounds(false);
        return refreshAfterChange().then(function () {
          say(fmt(S.bounds_saved, { cell: cellLabel(row, period) }));
          var td = activeCell();
          if (td) td.focus();
        });
      }).finally(function () { setBusy(-1); });
    });
  }

  // --- the selected cell: figures, chart, history, day targets --------------------------------

  var chart = null;

  function updatePanel(rowChanged) {
    var row = state.active.key ? state.rows.get(state.active.key) : null;
    var period = state.active.col > 0 ? PERIODS[state.active.col - 1] : "year";
    var label = document.getElementById("cell-label");
    if (!row) {
      label.textContent = S.no_cell;
      return;
    }
    label.textContent = cellLabel(row, period);
    document.getElementById("cell-amount").textContent = money(amountOf(row.amounts, period));
    document.getElementById("cell-actual").textContent = moneyCents(amountOf(row.actuals, period));
    var info = constraintOf(row, period);
    var parts = [];
    if (info && info.locked) parts.push(S.locked_mark);
    if (info && (info.min_amount !== null || info.max_amount !== null)) {
      parts.push(fmt(S.bounds_mark, { min: money(info.min_amount) || "–", max: money(info.max_amount) || "–" }));
    }
    document.getElementById("cell-constraint").textContent = parts.join(", ") || "–";
    if (lockButton) {
      var mayLock = editable(row, period) && state.active.col > 0;
      var isLocked = Boolean(info && info.locked);
      lockButton.disabled = !mayLock;
      lockButton.textContent = isLocked ? S.unlock : S.lock;
      lockButton.classList.toggle("is-locked", isLocked);
      lockButton.setAttribute("aria-label", fmt(isLocked ? S.unlock_cell : S.lock_cell, { cell: cellLabel(row, period) }));
      boundsButton.disabled = !mayLock;
    }
    if (boundsPopover && rowChanged !== undefined) closeBounds(false);
    drawChart(row);
    if (rowChanged !== undefined) scheduleSidePanels();
  }

  function drawChart(row) {
    document.getElementById("curve-row").textContent = fmt(S.curve_title, { name: row.name });
    if (typeof window.Chart === "undefined") return;
    var canvas = document.getElementById("curve-chart");
    var targets = row.amounts.months.map(Number);
    var actuals = row.actuals.months.map(Number);
    if (chart) {
      chart.data.datasets[0].data = targets;
      chart.data.datasets[1].data = actuals;
      chart.update("none");
      return;
    }
    var styles = getComputedStyle(document.documentElement);
    var compact = new Intl.NumberFormat(cfg.locale, { notation: "compact", maximumFractionDigits: 1 });
    chart = new window.Chart(canvas, {
      data: {
        labels: cfg.months.map(function (m) { return m.short; }),
        datasets: [
          { type: "bar", label: S.target, data: targets, backgroundColor: styles.getPropertyValue("--chart-2").trim() || "#4f8fc9", borderRadius: 3, maxBarThickness: 40 },
          { type: "line", label: S.actual, data: actuals, borderColor: styles.getPropertyValue("--success").trim() || "#1a7f37", backgroundColor: styles.getPropertyValue("--success").trim() || "#1a7f37", tension: 0.2, pointRadius: 3 }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var current = state.rows.get(state.active.key);
                var figures = ctx.datasetIndex === 0 ? current.amounts : current.actuals;
                return ctx.dataset.label + ": " + money(figures.months[ctx.dataIndex]);
              }
            }
          }
        },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return compact.format(v); } } } }
      }
    });
  }

  var historyBox = document.getElementById("cell-history");
  var daysBox = document.getElementById("cell-days");
  var sideTimer = null;

  function scheduleSidePanels() {
    window.clearTimeout(sideTimer);
    sideTimer = window.setTimeout(refreshSidePanels, 250);
  }

  function refreshSidePanels() {
    if (historyBox.open) loadCellHistory();
    if (daysBox.open) loadDays();
    if (planHistory && planHistory.open) loadPlanHistory(true);
  }

  historyBox.addEventListener("toggle", function () { if (historyBox.open) loadCellHistory(); });
  daysBox.addEventListener("toggle", function () { if (daysBox.open) loadDays(); });

  function formatDate(iso) {
    return window.salesalloc.formatWhen(iso);
  }

  function changeLine(change) {
    var what = cfg.changeActions[change.action] || change.action;
    var amounts = change.old_amount !== null || change.new_amount !== null
      ? " " + money(change.old_amount) + " → " + money(change.new_amount) : "";
    return formatDate(change.at) + " · " + (change.actor || "") + " · " + what + amounts +
      (change.reason ? " · " + change.reason : "");
  }

  function loadCellHistory() {
    var target = historyBox.querySelector("[data-history]");
    var row = state.rows.get(state.active.key);
    if (!row || state.active.col === 0) { target.textContent = S.no_cell; return; }
    var period = PERIODS[state.active.col - 1];
    var params = Object.assign(coords(row, period), { page_size: 10 });
    request("GET", cfg.api.changes + query(params)).then(function (response) {
      if (!response.ok) { target.textContent = response.body.message; return; }
      var results = response.body.results || [];
      if (!results.length) { target.textContent = S.history_empty; return; }
      var list = document.createElement("ul");
      list.className = "change-list";
      results.forEach(function (change) {
        var li = document.createElement("li");
        li.textContent = changeLine(change);
        list.appendChild(li);
      });
      target.innerHTML = "";
      target.appendChild(list);
    });
  }

  function loadDays() {
    var target = daysBox.querySelector("[data-days]");
    var row = state.rows.get(state.active.key);
    var period = state.active.col > 0 ? PERIODS[state.active.col - 1] : null;
    if (!row || row.type !== "salesperson" || !period || MONTH_INDEX[period] === undefined) {
      target.textContent = S.days_pick;
      return;
    }
    request("GET", cfg.api.days + query({ month: period, salesperson: row.code, product_line: state.productLine })).then(function (response) {
      if (!response.ok) { target.textContent = response.body.message; return; }
      var entry = response.body[0];
      if (!entry || !entry.days.length) { target.textContent = S.days_none; return; }
      var html = '<div class="table-wrap days-wrap"><table class="data-table data-table--dense"><caption class="visually-hidden">' +
        escapeHtml(fmt(S.days_of, { cell: cellLabel(row, period) })) + "</caption><tbody>";
      entry.days.forEach(function (day) {
        html += '<tr><th scope="row">' + escapeHtml(formatDay(day.date)) + '</th><td class="num">' + money(day.amount) + "</td></tr>";
      });
      html += '</tbody><tfoot><tr><th scope="row">' + escapeHtml(S.total) + '</th><td class="num">' + money(entry.amount) + "</td></tr></tfoot></table></div>";
      target.innerHTML = html;
    });
  }

  function formatDay(iso) {
    try {
      return new Intl.DateTimeFormat(cfg.locale, { weekday: "short", month: "short", day: "numeric" })
        .format(new Date(iso + "T00:00:00"));
    } catch (e) {
      return iso;
    }
  }

  // --- the plan's audit trail -----------------------------------------------------------------

  var planHistory = document.getElementById("plan-history");
  var historyMore = document.getElementById("history-more");
  var historyNext = null;

  function loadPlanHistory(reset) {
    var tbody = document.querySelector("#history-table tbody");
    var url = reset || !historyNext ? cfg.api.changes + query({ page_size: 20 }) : historyNext;
    request("GET", url).then(function (response) {
      if (!response.ok) return;
      if (reset) tbody.innerHTML = "";
      (response.body.results || []).forEach(function (change) {
        var tr = document.createElement("tr");
        [formatDate(change.at), change.actor || "", cfg.changeActions[change.action] || change.action,
          change.cell, money(change.old_amount), money(change.new_amount), change.reason].forEach(function (text, i) {
          var td = document.createElement(i === 0 ? "th" : "td");
          if (i === 0) td.scope = "row";
          if (i === 4 || i === 5) td.className = "num";
          td.textContent = text || "";
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      historyNext = response.body.next;
      historyMore.hidden = !historyNext;
    });
  }

  if (planHistory) {
    planHistory.addEventListener("toggle", function () { if (planHistory.open) loadPlanHistory(true); });
    historyMore.addEventListener("click", function () { loadPlanHistory(false); });
  }

  // --- toolbar: product line, expand/collapse ---------------------------------------------------

  document.getElementById("pl-select").addEventListener("change", function (event) {
    state.productLine = event.target.value;
    showAlert("");
    hideCellError();
    setBusy(1);
    reload().then(function () {
      clearFlash();
      render();
      refreshSidePanels();
      say(fmt(S.line_shown, { line: lineLabel() }));
    }, function (failure) { showAlert(failure.body ? failure.body.message : S.network); })
      .finally(function () { setBusy(-1); });
  });

  document.getElementById("expand-all").addEventListener("click", function () {
    setBusy(1);
    fetchGrid({ depth: 20 }).then(function (response) {
      if (!response.ok) { showAlert(response.body.message); return; }
      acceptGrid(response.body, true);
      state.rows.forEach(function (row, key) { if (row.has_children && state.children.has(key)) state.expanded.add(key); });
      render();
    }).finally(function () { setBusy(-1); });
  });

  document.getElementById("collapse-all").addEventListener("click", function () {
    state.expanded.clear();
    render();
  });

  // --- lifecycle ------------------------------------------------------------------------------

  var dialog = document.getElementById("action-dialog");
  var dialogForm = document.getElementById("action-form");
  var dialogError = document.getElementById("action-error");
  var pending = null;
  var opener = null;
  var ACTION_API = {
    submit: "submit", approve: "approve", reject: "reject", publish: "publish",
    archive: "archive", new_version: "new-version", scenario: "scenario", respread: "respread"
  };

  document.querySelectorAll("[data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      pending = { action: button.dataset.action, asks: button.dataset.asks };
      opener = button;
      var texts = cfg.dialogs[pending.action];
      document.getElementById("action-dialog-title").textContent = texts.title;
      document.getElementById("action-dialog-text").textContent = texts.text;
      document.getElementById("action-confirm").textContent = texts.confirm;
      dialog.querySelectorAll("[data-ask]").forEach(function (el) {
        el.hidden = el.dataset.ask !== pending.asks;
      });
      var overrideField = document.getElementById("action-override-field");
      if (overrideField) overrideField.hidden = !(cfg.ownSubmission && pending.action === "approve");
      var publishCheck = document.getElementById("action-publish-check");
      if (publishCheck) publishCheck.hidden = pending.action !== "publish";
      dialogForm.reset();
      dialogError.hidden = true;
      dialog.showModal();
      var first = dialog.querySelector("[data-ask]:not([hidden]) input, [data-ask]:not([hidden]) textarea");
      (first || document.getElementById("action-confirm")).focus();
    });
  });

  if (dialog) {
    document.getElementById("action-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { if (opener) opener.focus(); });
    dialogForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var payload = {};
      var value = function (id) { return document.getElementById(id).value.trim(); };
      if (pending.asks === "comment") payload.comment = value("action-comment");
      var override = document.getElementById("action-override");
      if (pending.action === "approve" && override && cfg.ownSubmission) {
        payload.override_four_eyes = override.checked;
      }
      if (pending.asks === "reason") {
        payload.reason = value("action-reason");
        if (!payload.reason) { dialogError.textContent = S.reason_required; dialogError.hidden = false; return; }
      }
      var replace = document.getElementById("action-replace");
      if (pending.action === "publish" && replace) payload.replace = replace.checked;
      if (pending.asks === "reason_optional") payload.reason = value("action-reason-optional");
      if (pending.asks === "name") payload.name = value("action-name");
      if (pending.asks === "respread") {
        payload.as_of = value("action-as-of");
        if (!payload.as_of) { dialogError.textContent = S.date_required; dialogError.hidden = false; return; }
      }
      var confirm = document.getElementById("action-confirm");
      confirm.disabled = true;
      confirm.textContent = S.working;
      request("POST", cfg.api[ACTION_API[pending.action]], payload).then(function (response) {
        confirm.disabled = false;
        confirm.textContent = cfg.dialogs[pending.action].confirm;
        if (!response.ok) {
          dialogError.textContent = response.body.message || S.network;
          dialogError.hidden = false;
          return;
        }
        if (response.body.id && response.body.id !== cfg.plan) {
          window.location.assign(cfg.planUrl.replace("{id}", response.body.id));
        } else {
          window.location.reload();
        }
      });
    });
  }

  document.querySelectorAll("form[data-confirm=allocate]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (cfg.allocated && !window.confirm(S.confirm_allocate)) event.preventDefault();
    });
  });

  var ackFilter = document.querySelector("[data-ack-filter]");
  if (ackFilter) {
    ackFilter.addEventListener("change", function () {
      document.querySelectorAll("#ack-table tbody tr").forEach(function (tr) {
        tr.hidden = ackFilter.value !== "" && tr.dataset.ackStatus !== ackFilter.value;
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !state.editing) hideCellError();
  });

  // --- first paint ----------------------------------------------------------------------------

  setBusy(1);
  fetchGrid({ depth: 1 }).then(function (response) {
    if (!response.ok) {
      body.innerHTML = '<tr><td colspan="18" class="plan-grid__loading">' + escapeHtml(response.body.message) + "</td></tr>";
      return;
    }
    acceptGrid(response.body, true);
    state.tops.forEach(function (key) { state.expanded.add(key); });
    render();
    window.requestAnimationFrame(function () {
      editor.firstPaintMs = Math.round(performance.now());
      editor.ready = true;
      table.dataset.firstPaintMs = String(editor.firstPaintMs);
      table.dataset.ready = "true";
      say(fmt(S.loaded, { rows: state.visible.length }));
    });
  }).finally(function () { setBusy(-1); });

  function changedHook(body) {
    if (typeof editor.onChanged === "function") editor.onChanged(body);
  }

  editor.parseAmount = parseAmount;
  editor.money = money;
  editor.paste = pasteBlock;
  editor.cfg = cfg;
  editor.fmt = fmt;
  editor.say = say;
  editor.request = request;
  editor.refreshAfterChange = refreshAfterChange;
  editor.keepRule = keepRule;
  editor.keepLabel = keepLabel;
  editor.ruleSummary = ruleSummary;
  editor.escapeHtml = escapeHtml;
  editor.setBusy = setBusy;
})();
