// A search box above each long multiple select (data-filterable): typing hides the options whose text
// does not contain what was typed; chosen options always stay in view.
(function () {
  "use strict";

  function attach(select) {
    if (select.dataset.filterReady) return;
    select.dataset.filterReady = "1";
    const box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1";
    box.placeholder = select.dataset.filterPlaceholder || "";
    box.setAttribute("aria-label", box.placeholder);
    box.dataset.filterFor = select.name;
    box.addEventListener("input", function () {
      const wanted = box.value.trim().toLowerCase();
      for (const option of select.options) {
        option.hidden = wanted !== "" && !option.selected && !option.text.toLowerCase().includes(wanted);
      }
    });
    select.before(box);
  }

  function attachAll(root) {
    root.querySelectorAll("select[data-filterable]").forEach(attach);
  }

  document.addEventListener("DOMContentLoaded", function () { attachAll(document); });
  document.addEventListener("htmx:load", function (event) { attachAll(event.target); });
})();
