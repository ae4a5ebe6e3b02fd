// Open events as points over the grid boundaries (ECharts, data embedded in the page).
(function () {
  "use strict";
  var holder = document.getElementById("event-map");
  var source = document.getElementById("grid-geojson");
  var points = document.getElementById("event-points");
  if (!holder || !source || !points || !window.echarts) { return; }
  var geojson = JSON.parse(source.textContent);
  var events = JSON.parse(points.textContent);
  if (!geojson.features.length) { holder.textContent = holder.dataset.empty; return; }
  echarts.registerMap("grids", geojson);
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  function series(name, overdue, colour) {
    return {
      name: name, type: "scatter", coordinateSystem: "geo", symbolSize: 10,
      itemStyle: { color: colour },
      data: events.filter(function (e) { return e.overdue === overdue; }).map(function (e) {
        return { name: e.code, value: [e.lon, e.lat], uid: e.uid, title: e.title };
      })
    };
  }
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) {
      return p.data && p.data.title ? p.data.name + "<br>" + echarts.format.encodeHTML(p.data.title) : p.name;
    } },
    legend: { bottom: 0, data: [holder.dataset.open, holder.dataset.overdue] },
    geo: { map: "grids", roam: true, nameProperty: "code",
           itemStyle: { areaColor: "#eef4ff", borderColor: "#0d6efd" } },
    series: [series(holder.dataset.open, false, "#0d6efd"), series(holder.dataset.overdue, true, "#dc3545")]
  });
  chart.on("click", function (p) {
    if (p.data && p.data.uid) { window.location.href = "/events/" + p.data.uid + "/"; }
  });
  window.addEventListener("resize", function () { chart.resize(); });
  holder.dataset.ready = "1";
})();
