// An event's page: its point and the outline of its grid, over the configured base layer.
(function () {
  "use strict";
  var holder = document.getElementById("event-place-map");
  if (!holder || !window.GridGovMap) { return; }
  var M = window.GridGovMap;
  var geojson = JSON.parse(document.getElementById("grid-geojson").textContent);
  var point = JSON.parse(document.getElementById("event-point").textContent);
  var map = M.create(holder, { scrollWheelZoom: false });
  var layer = M.grids(map, geojson);
  var marker = M.points(map, [{ at: point, label: holder.dataset.event }], function () {
    return { radius: 8, fillColor: "#dc3545", fillOpacity: 1, color: "#ffffff", weight: 3 };
  });
  M.legend(map, [
    { colour: "#dc3545", label: holder.dataset.event, kind: "dot" },
    { colour: "#0d6efd", label: M.text.grid, kind: "area" }
  ], holder);
  M.fit(map, [layer, marker], point);
  layer.refreshLabels();
  holder.dataset.ready = "1";
})();
