/* The monthly report's page: each [data-report-chart] element draws the ECharts option it carries (the
   same chart the documents render), and while the report is generated the progress is polled from its
   small JSON endpoint; when the generation ends the page reloads to show the figures. No inline script
   (CSP). */
(function () {
  "use strict";
  var POLL_MS = 1500;
  var charts = [];

  function drawCharts() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      try {
        var chart = echarts.init(el);
        chart.setOption(JSON.parse(el.getAttribute("data-option")));
        el.setAttribute("data-loaded", "true");
        charts.push(chart);
      } catch (e) {
        el.setAttribute("data-loaded", "error");
      }
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  function poll(box) {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var bar = box.querySelector("[data-progress-bar]");
        bar.style.width = data.progress + "%";
        bar.textContent = data.progress + "%";
        box.querySelector("[data-progress-step]").textContent = data.step || data.state_label;
        if (data.state === "generating") {
          window.setTimeout(function () { poll(box); }, POLL_MS);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, POLL_MS * 4); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    var box = document.getElementById("report-progress");
    if (box && box.getAttribute("data-state") === "generating") {
      window.setTimeout(function () { poll(box); }, POLL_MS);
    }
  });
})();
