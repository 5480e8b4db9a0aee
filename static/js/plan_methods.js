/* Method forms: show only the parameters of the chosen org method and seasonality.
   Without JavaScript every field stays visible and the server ignores the unused ones. */
(function () {
  "use strict";

  function sync(form) {
    var org = form.querySelector("[name=org_method]");
    var season = form.querySelector("[name=seasonality]");
    var orgValue = org ? org.value : "";
    var levelValues = Array.prototype.map.call(
      form.querySelectorAll("select[name^=org_level_]"), function (el) { return el.value; }
    );
    var used = [orgValue].concat(levelValues);
    if (orgValue === "blend") {
      used.push(form.querySelector("[name=blend_a]").value, form.querySelector("[name=blend_b]").value);
    }
    form.querySelectorAll("[data-show-for]").forEach(function (el) {
      var wanted = el.getAttribute("data-show-for").split(" ");
      el.hidden = !wanted.some(function (m) { return used.indexOf(m) !== -1; });
    });
    form.querySelectorAll("[data-show-for-season]").forEach(function (el) {
      el.hidden = !season || el.getAttribute("data-show-for-season") !== season.value;
    });
  }

  function init() {
    document.querySelectorAll("form[data-method-form]").forEach(function (form) {
      sync(form);
      form.addEventListener("change", function () { sync(form); });
    });
  }

  if (document.readyState !== "loading") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
