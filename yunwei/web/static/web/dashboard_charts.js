/* The dashboard's charts (ECharts): each [data-chart] element fetches its data from its data-url (the
   JSON of yunwei/web/charts.py) and draws it; a click on a bar or a point opens the list behind it. The
   unit selector narrows every chart to one unit. No inline script (CSP). */
(function () {
  "use strict";
  var charts = [];
  // A series' colour by its key: grades from red (Ⅰ) to yellow (Ⅲ), outcomes green, orange and red.
  var COLORS = {
    I: "#dc3545", II: "#fd7e14", III: "#ffc107",
    completed: "#198754", rolled_back: "#fd7e14", failed: "#dc3545",
    mttr: "#0d6efd", open: "#6f42c1"
  };

  function draw(el, unit) {
    var url = el.getAttribute("data-url") + (unit ? "?unit=" + encodeURIComponent(unit) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var kind = el.getAttribute("data-kind") || "bar";
        var chart = echarts.getInstanceByDom(el) || echarts.init(el);
        chart.setOption({
          tooltip: { trigger: "axis" },
          legend: { bottom: 0, type: "scroll" },
          grid: { left: 40, right: 16, top: 16, bottom: 48 },
          xAxis: { type: "category", data: data.labels },
          yAxis: { type: "value", minInterval: kind === "line" ? 0 : 1 },
          series: data.series.map(function (s) {
            return { name: s.name, type: kind, stack: kind === "bar" ? "total" : undefined,
                     data: s.data, connectNulls: true, itemStyle: { color: COLORS[s.key] } };
          })
        }, true);
        chart.off("click");
        chart.on("click", function (params) {
          var link = data.links[params.dataIndex];
          if (link) { window.location.href = link; }
        });
        el.setAttribute("data-loaded", "true");
        if (charts.indexOf(chart) < 0) { charts.push(chart); }
      })
      .catch(function () { el.setAttribute("data-loaded", "error"); });
  }

  function drawAll() {
    var select = document.getElementById("chart-unit");
    var unit = select ? select.value : "";
    document.querySelectorAll("[data-chart]").forEach(function (el) { draw(el, unit); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof echarts === "undefined") { return; }
    drawAll();
    var select = document.getElementById("chart-unit");
    if (select) { select.addEventListener("change", drawAll); }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
