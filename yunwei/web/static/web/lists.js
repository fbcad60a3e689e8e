// What a list page does in the browser: the "select all" box of a bulk form ticks or clears every row's
// box of that form; the "save these filters" form saves the filters in the address bar now (the filter bar
// swaps the results and pushes the address through htmx, so the query the page was drawn with is stale).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const all = event.target.closest("[data-select-all]");
    if (!all) return;
    for (const box of document.querySelectorAll('input[name="ids"][form="' + all.dataset.selectAll + '"]')) {
      box.checked = all.checked;
    }
  });
  // An export link exports the filters in the address bar now, for the same reason.
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-export]");
    if (!link) return;
    const query = new URLSearchParams(window.location.search);
    query.delete("page");
    link.href = link.pathname + "?" + query.toString() + (link.dataset.export || "");
  });
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("[data-save-filters]");
    if (!form) return;
    form.querySelector('input[name="query"]').value = window.location.search.replace(/^\?/, "");
  });
})();
