/* The request page's reply form: choosing a reply template puts its filled-in text into the reply. */
(function () {
  "use strict";
  function start() {
    document.querySelectorAll("select[data-reply-template]").forEach(function (select) {
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        if (select.value && option) { select.form.elements.text.value = option.dataset.text || ""; }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
