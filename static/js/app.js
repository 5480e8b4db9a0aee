/* Small progressive enhancements shared by every page. Everything works without them. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  /* The one way pages show a moment (salesalloc/core/dates.py does the same on the server):
     "2019-03-31 14:05" in the site's time zone. The API writes timestamps in that zone with
     its offset ("2019-03-31T14:05:09.123+08:00"), so the wall-clock digits are read as they
     are and never moved into the browser's own zone. */
  function formatWhen(iso) {
    var match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(String(iso || ""));
    return match ? match[1] + " " + match[2] : String(iso || "");
  }
  window.salesalloc = Object.assign(window.salesalloc || {}, { formatWhen: formatWhen });

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // Bar widths come as data attributes: the Content-Security-Policy forbids inline styles
    // in the markup, but not styles set from a script.
    document.querySelectorAll("[data-width]").forEach(function (el) {
      var percent = Math.max(0, Math.min(100, parseFloat(el.dataset.width) || 0));
      el.style.width = percent + "%";
    });

    // Collapsible navigation on narrow screens.
    var header = document.querySelector("[data-nav]");
    var toggle = document.querySelector("[data-nav-toggle]");
    if (header && toggle) {
      toggle.addEventListener("click", function () {
        var open = header.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && header.classList.contains("is-open")) {
          header.classList.remove("is-open");
          toggle.setAttribute("aria-expanded", "false");
          toggle.focus();
        }
      });
    }

    // Forms that apply themselves when a choice changes (e.g. the dashboard's year).
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.querySelectorAll("[data-autosubmit-hide]").forEach(function (el) {
        el.hidden = true;
      });
      form.addEventListener("change", function () {
        form.submit();
      });
    });

    // Uploads can take a moment: say so and prevent a double submit.
    document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (!button) return;
        window.setTimeout(function () {
          button.disabled = true;
          if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
        }, 0);
      });
    });
  });
})();
