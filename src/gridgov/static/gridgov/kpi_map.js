// The grid map coloured by a KPI's red/yellow/green reading (data embedded in the page).
(function () {
  "use strict";
  var holder = document.getElementById("kpi-map");
  var source = document.getElementById("grid-geojson");
  var colours = document.getElementById("kpi-colours");
  if (!holder || !source || !colours || !window.echarts) { return; }
  var geojson = JSON.parse(source.textContent);
  var readings = JSON.parse(colours.textContent);
  if (!geojson.features.length) { holder.textContent = holder.dataset.empty; return; }
  var palette = { success: "#75b798", warning: "#ffda6a", danger: "#ea868f", secondary: "#dee2e6" };
  echarts.registerMap("kpi", geojson);
  var chart = echarts.init(holder, null, { renderer: "canvas" });
  chart.setOption({
    tooltip: { trigger: "item", formatter: function (p) {
      var d = p.data || {};
      return echarts.format.encodeHTML(d.label || p.name) + "<br>" + (d.reading === null || d.reading === undefined ? "—" : d.reading);
    } },
    series: [{
      type: "map", map: "kpi", nameProperty: "code", roam: true,
      label: { show: geojson.features.length <= 30, fontSize: 10,
               formatter: function (p) { return (p.data && p.data.label) || p.name; } },
      itemStyle: { borderColor: "#495057", borderWidth: 1 },
      data: geojson.features.map(function (f) {
        var r = readings[f.properties.code] || { colour: "secondary", value: null };
        return { name: f.properties.code, label: f.properties.name, reading: r.value,
                 itemStyle: { areaColor: palette[r.colour] || palette.secondary } };
      })
    }]
  });
  chart.on("click", function (p) {
    if (p.data && p.data.name) {
      window.location.href = "?unit=" + encodeURIComponent(p.data.name) + "&period=" +
        encodeURIComponent(holder.dataset.period) + "&kpi=" + encodeURIComponent(holder.dataset.kpi);
    }
  });
  window.addEventListener("resize", function () { chart.resize(); });
  holder.dataset.ready = "1";
})();
