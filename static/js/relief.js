/* The relief form: show the amount or the share field, as chosen. Without this script both
   fields show and the server takes the one the choice names. */
(function () {
  "use strict";
  var box = document.querySelector("[data-relief-size]");
  if (!box) return;
  var radios = box.querySelectorAll('input[name="size"]');
  function sync() {
    var chosen = box.querySelector('input[name="size"]:checked');
    var value = chosen ? chosen.value : "amount";
    box.querySelectorAll("[data-size-field]").forEach(function (field) {
      field.hidden = field.dataset.sizeField !== value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", sync); });
  sync();
})();
