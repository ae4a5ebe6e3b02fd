// Draws the grid boundaries embedded in the page (no online tiles) with Apache ECharts.
(function () {
  "use strict";
  var holder = document.getElementById("grid-map");
  var source = document.getElementById("grid-geojson");
  if (!holder || !source || !window.echarts) { return; }
  var geojson = JSON.parse(source.textContent);
  if (!geojson.features.length) {
    holder.textContent = holder.dataset.empty;
    return;
  }
  echarts.registerMap("grids", geojson);
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) {
      var d = p.data || {};
      return (d.label || p.name) + "<br>" + (d.code || "") + (d.households ? " · " + d.households : "");
    } },
    series: [{
      type: "map",
      map: "grids",
      nameProperty: "code",
      roam: true,
      label: { show: geojson.features.length <= 30, formatter: function (p) { return (p.data && p.data.label) || p.name; }, fontSize: 11 },
      itemStyle: { areaColor: "#dbe9ff", borderColor: "#0d6efd", borderWidth: 1 },
      emphasis: { itemStyle: { areaColor: "#9ec5fe" } },
      data: geojson.features.map(function (f) {
        return { name: f.properties.code, code: f.properties.code, label: f.properties.name,
                 households: f.properties.households, value: f.properties.households };
      })
    }]
  });
  chart.on("click", function (p) {
    if (p.data && p.data.code) { window.location.href = "/org/grids/" + encodeURIComponent(p.data.code) + "/"; }
  });
  window.addEventListener("resize", function () { chart.resize(); });
  holder.dataset.ready = "1";
})();
