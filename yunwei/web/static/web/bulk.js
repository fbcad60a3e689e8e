// A list's "select all" box ticks or clears every row's box of the same bulk form.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const all = event.target.closest("[data-select-all]");
    if (!all) return;
    for (const box of document.querySelectorAll('input[name="ids"][form="' + all.dataset.selectAll + '"]')) {
      box.checked = all.checked;
    }
  });
})();
