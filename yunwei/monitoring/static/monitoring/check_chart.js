/* A check's chart (ECharts): its state over time (up, down, unknown grey, maintenance, no data) above its
   latency, for the range chosen with the buttons; the data come from the check's series endpoint
   (GET /api/monitoring/checks/{id}/series/?range=…). No inline script: the labels come from a JSON
   script element of the page (json_script), the URL from data attributes. */
(function () {
  "use strict";
  var COLORS = {
    up: "#198754",
    down: "#dc3545",
    partial: "#fd7e14",
    unknown: "#adb5bd",
    maintenance: "#0d6efd",
    none: "#f1f3f5"
  };
  var ORDER = ["up", "partial", "down", "unknown", "maintenance", "none"];

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function stamp(ms, withDate) {
    var d = new Date(ms);
    var day = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes());
    return withDate === false ? time : day + " " + time;
  }

  function duration(seconds) {
    if (seconds < 60) { return Math.round(seconds) + " s"; }
    if (seconds < 3600) { return Math.round(seconds / 60) + " min"; }
    return (Math.round(seconds / 360) / 10) + " h";
  }

  function renderSegment(params, api) {
    var start = api.coord([api.value(0), 0]);
    var end = api.coord([api.value(1), 0]);
    var height = api.size([0, 1])[1] * 0.7;
    var shape = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 1), height: height },
      {
        x: params.coordSys.x, y: params.coordSys.y,
        width: params.coordSys.width, height: params.coordSys.height
      }
    );
    return shape && { type: "rect", transition: ["shape"], shape: shape, style: api.style() };
  }

  function option(data, labels) {
    var segments = data.states.map(function (s) {
      return { value: [s[0], s[1], 0, s[2]], itemStyle: { color: COLORS[s[2]] } };
    });
    var legend = ORDER.map(function (state) {
      return { name: labels.states[state], itemStyle: { color: COLORS[state] } };
    });
    // One empty custom series per state so the legend shows the colours (the segments carry their own).
    var keys = ORDER.map(function (state) {
      return {
        name: labels.states[state], type: "custom", renderItem: function () { return null; },
        data: [], itemStyle: { color: COLORS[state] }, xAxisIndex: 0, yAxisIndex: 0
      };
    });
    var axis = { type: "time", min: data.from, max: data.to };
    // Few latency points (a new check) are drawn as dots: a lone point between gaps has no line.
    var points = data.latency.filter(function (p) { return p[1] !== null; }).length;
    return {
      animation: false,
      legend: { data: legend.map(function (l) { return l.name; }), top: 0, selectedMode: false },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.seriesName === labels.latency) {
            return stamp(p.value[0]) + "<br>" + labels.latency + ": " +
              (p.value[1] === null ? "—" : p.value[1] + " ms");
          }
          return stamp(p.value[0]) + " – " + stamp(p.value[1]) + "<br>" + labels.states[p.value[3]];
        }
      },
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      grid: [
        { left: 70, right: 24, top: 34, height: 46 },
        { left: 70, right: 24, top: 110, bottom: 30 }
      ],
      xAxis: [
        Object.assign({ gridIndex: 0, axisLabel: { show: false }, axisTick: { show: false } }, axis),
        Object.assign({
          gridIndex: 1,
          axisLabel: {
            hideOverlap: true,
            formatter: { year: "{yyyy}", month: "{yyyy}-{MM}", day: "{MM}-{dd}", hour: "{HH}:{mm}", minute: "{HH}:{mm}" }
          }
        }, axis)
      ],
      yAxis: [
        {
          gridIndex: 0, type: "category", data: [labels.state],
          axisTick: { show: false }, axisLine: { show: false }
        },
        { gridIndex: 1, type: "value", name: labels.latency, nameTextStyle: { align: "left" }, min: 0 }
      ],
      series: [
        {
          name: labels.state, type: "custom", renderItem: renderSegment, data: segments,
          encode: { x: [0, 1], y: 2 }, xAxisIndex: 0, yAxisIndex: 0
        },
        {
          name: labels.latency, type: "line", data: data.latency, xAxisIndex: 1, yAxisIndex: 1,
          showSymbol: points < 60, symbolSize: 5, connectNulls: false, sampling: "lttb",
          lineStyle: { width: 1.5, color: "#0d6efd" }, itemStyle: { color: "#0d6efd" },
          areaStyle: { color: "rgba(13,110,253,0.08)" }
        }
      ].concat(keys)
    };
  }

  function summary(element, data, labels) {
    var availability = element.parentNode.querySelector("[data-chart-availability]");
    if (availability) {
      availability.textContent = data.availability === null
        ? "—" : (Math.floor(data.availability * 1000) / 1000) + " %";
    }
    var seconds = element.parentNode.querySelector("[data-chart-seconds]");
    if (seconds) {
      seconds.textContent = ORDER.filter(function (state) { return state !== "partial"; }).map(function (state) {
        var key = state === "none" ? "no_data" : state;
        return labels.states[state] + " " + duration(data.seconds[key]);
      }).join(" · ");
    }
  }

  function setUp(element) {
    var labels = JSON.parse(document.getElementById(element.dataset.labels).textContent);
    var chart = echarts.init(element);
    var buttons = document.querySelectorAll("[data-chart-range]");
    function load(range) {
      element.dataset.loaded = "";
      buttons.forEach(function (button) {
        var active = button.dataset.chartRange === range;
        button.classList.toggle("active", active);
        button.setAttribute("aria-pressed", active ? "true" : "false");
      });
      fetch(element.dataset.url + "?range=" + encodeURIComponent(range), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (data) {
          chart.setOption(option(data, labels), true);
          summary(element, data, labels);
          element.dataset.loaded = range;
        })
        .catch(function () {
          element.dataset.loaded = "error";
          element.textContent = labels.failed;
        });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        load(button.dataset.chartRange);
      });
    });
    window.addEventListener("resize", function () { chart.resize(); });
    load(element.dataset.range || "24h");
  }

  function start() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-check-chart]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
