/* The request form: as a user types the request's title, the knowledge articles that may already answer
   it are listed under the field (GET /knowledge/suggest/?q=…, debounced; only the latest answer is
   shown). Without JavaScript the form works as before. Texts come from the page (data-* attributes), so
   they are translated there; the articles' fields are put in as text, never as HTML. */
(function () {
  "use strict";
  var WAIT_MS = 300;
  var MIN_LENGTH = 1;

  function start() {
    var box = document.querySelector("[data-knowledge-suggest]");
    if (!box) { return; }
    var form = box.closest("form") || document;
    var input = form.querySelector("input[name=title]");
    if (!input) { return; }
    var list = box.querySelector("[data-suggestions]");
    var wrapper = input.closest(".mb-3") || input.parentNode;
    wrapper.appendChild(box);  // under the title field
    input.setAttribute("aria-describedby", box.id);
    input.setAttribute("autocomplete", "off");
    var timer = null;
    var asked = 0;

    function clear() {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      box.hidden = true;
    }

    function show(results) {
      clear();
      if (!results.length) { return; }
      results.forEach(function (article) {
        var link = document.createElement("a");
        link.className = "list-group-item list-group-item-action py-1";
        link.href = article.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.setAttribute("data-testid", "suggestion");
        var title = document.createElement("div");
        title.className = "fw-semibold small";
        title.textContent = article.title;
        var badge = document.createElement("span");
        badge.className = "badge text-bg-light border ms-1";
        badge.textContent = article.source_label;
        title.appendChild(badge);
        var excerpt = document.createElement("div");
        excerpt.className = "small text-secondary text-truncate";
        excerpt.textContent = article.excerpt;
        link.appendChild(title);
        link.appendChild(excerpt);
        list.appendChild(link);
      });
      box.hidden = false;
    }

    function ask() {
      var text = input.value.trim();
      if (text.length < MIN_LENGTH) { clear(); return; }
      var mine = ++asked;
      fetch(box.dataset.url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (body) { if (mine === asked) { show(body.results || []); } })
        .catch(function () { if (mine === asked) { clear(); } });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });
    if (input.value.trim()) { ask(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
