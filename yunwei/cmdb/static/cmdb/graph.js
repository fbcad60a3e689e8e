/* Dependency graph of an item (ECharts): upstream and downstream; click a node to move to it. */
(function () {
  "use strict";
  function draw(element) {
    var chart = echarts.init(element);
    fetch(element.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        element.dataset.nodes = String(data.nodes.length);
        chart.setOption({
          tooltip: {
            formatter: function (p) {
              return p.dataType === "edge" ? p.data.label : p.data.name + "<br>" + p.data.value;
            }
          },
          legend: [{ data: data.categories.map(function (c) { return c.name; }), bottom: 0 }],
          series: [{
            type: "graph",
            layout: "force",
            roam: true,
            draggable: true,
            force: { repulsion: 260, edgeLength: [60, 140] },
            categories: data.categories,
            data: data.nodes.map(function (n) {
              return Object.assign({}, n, {
                itemStyle: n.side === "self" ? { borderColor: "#dc3545", borderWidth: 3 } : undefined
              });
            }),
            links: data.links.map(function (l) {
              return Object.assign({}, l, { lineStyle: { type: l.dependency ? "solid" : "dashed" } });
            }),
            edgeSymbol: ["none", "arrow"],
            label: { show: true, position: "right" },
            edgeLabel: { show: false }
          }]
        });
        element.dataset.ready = "true";
      });
    chart.on("click", function (params) {
      if (params.dataType === "node" && params.data.url) { window.location.href = params.data.url; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-yw-graph]").forEach(draw);
  });
})();
