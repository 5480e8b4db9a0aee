/* Navigation badges: open alerts and unread messages, fetched once the page has loaded so
   that rendering a page never waits for these counts. */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.url;
  if (!url || !window.fetch) return;
  window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (counts) {
      if (!counts) return;
      Object.keys(counts).forEach(function (name) {
        document.querySelectorAll('[data-count="' + name + '"]').forEach(function (badge) {
          badge.textContent = counts[name];
          badge.hidden = !counts[name];
        });
      });
    })
    .catch(function () { /* the badges are a convenience; the pages work without them */ });
})();
