/* The check form: show only the fieldset of the chosen kind of probe. Without JavaScript every fieldset
   shows, and the server reads only the chosen kind's fields. */
(function () {
  "use strict";
  function start() {
    var select = document.querySelector("select[data-check-kind]");
    if (!select) { return; }
    var fieldsets = document.querySelectorAll("[data-kind-fields]");
    function show() {
      fieldsets.forEach(function (fieldset) {
        var chosen = fieldset.dataset.kindFields === select.value;
        fieldset.hidden = !chosen;
        fieldset.disabled = !chosen;
      });
    }
    select.addEventListener("change", show);
    show();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
