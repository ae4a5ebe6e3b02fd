// The grid map coloured by a KPI's red/yellow/green reading (data embedded in the page).
(function () {
  "use strict";
  var holder = document.getElementById("kpi-map");
  var colours = document.getElementById("kpi-colours");
  if (!holder || !colours || !window.GridGovMap) { return; }
  var M = window.GridGovMap;
  var geojson = JSON.parse(document.getElementById("grid-geojson").textContent);
  var readings = JSON.parse(colours.textContent);
  var palette = { success: "#75b798", warning: "#ffda6a", danger: "#ea868f", secondary: "#dee2e6" };
  function reading(f) { return readings[f.properties.code] || { colour: "secondary", value: null }; }
  var map = M.create(holder);
  var layer = M.grids(map, geojson, {
    style: function (f) {
      return { color: "#495057", weight: 1.5, fillColor: palette[reading(f).colour] || palette.secondary, fillOpacity: 0.6 };
    },
    tip: function (f) {
      var r = reading(f);
      var span = document.createElement("span");
      span.textContent = f.properties.name + " · " + (r.value === null || r.value === undefined ? "—" : r.value);
      return span;
    },
    onClick: function (f) {
      window.location.href = "?unit=" + encodeURIComponent(f.properties.code) + "&period=" +
        encodeURIComponent(holder.dataset.period) + "&kpi=" + encodeURIComponent(holder.dataset.kpi);
    }
  });
  M.legend(map, ["success", "warning", "danger", "secondary"].map(function (k) {
    return { colour: palette[k], label: holder.dataset[k], kind: "area" };
  }), holder);
  M.fit(map, [layer]);
  layer.refreshLabels();
  holder.dataset.ready = "1";
})();
