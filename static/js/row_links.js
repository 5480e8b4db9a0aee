/* A click anywhere on a table row with data-href follows it, like the link in its first cell. */
(function () {
  "use strict";
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (!event.target.closest("a, button, input, select, label")) {
        window.location.assign(row.dataset.href);
      }
    });
  });
})();
