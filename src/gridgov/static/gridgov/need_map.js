// Open needs per grid as a heat map over the labelled grids, and resources as points
// coloured by class (data embedded in the page; counts only, no household).
(function () {
  "use strict";
  var holder = document.getElementById("need-map");
  if (!holder || !window.GridGovMap) { return; }
  var M = window.GridGovMap;
  var geojson = JSON.parse(document.getElementById("grid-geojson").textContent);
  var heat = JSON.parse(document.getElementById("need-heat").textContent);
  var resources = JSON.parse(document.getElementById("resource-points").textContent);
  var STEPS = [
    { key: "none", upto: 0, colour: "#f8f9fa" },
    { key: "few", upto: 2, colour: "#ffe5d0" },
    { key: "some", upto: 5, colour: "#feb272" },
    { key: "many", upto: 10, colour: "#fd7e14" },
    { key: "most", upto: Infinity, colour: "#b02a37" }
  ];
  var CLASSES = { government: "#0d6efd", social: "#198754", volunteer: "#6f42c1" };
  function count(f) { return heat[f.properties.code] || 0; }
  function step(n) { for (var i = 0; i < STEPS.length; i++) { if (n <= STEPS[i].upto) { return STEPS[i]; } } return STEPS[STEPS.length - 1]; }
  var map = M.create(holder);
  var layer = M.grids(map, geojson, {
    style: function (f) {
      return { color: "#495057", weight: 1.5, fillColor: step(count(f)).colour, fillOpacity: 0.7 };
    },
    tip: function (f) {
      var span = document.createElement("span");
      span.textContent = f.properties.name + " · " + holder.dataset.open + " " + count(f);
      return span;
    }
  });
  var points = M.points(map, resources.map(function (r) {
    return { at: r.at, label: r.name + " · " + r.provider, uid: r.uid, cls: r["class"] };
  }), function (r) {
    return { radius: 7, fillColor: CLASSES[r.cls] || "#212529", fillOpacity: 0.95, color: "#ffffff", weight: 2 };
  });
  var entries = STEPS.map(function (s) { return { colour: s.colour, label: holder.dataset[s.key], kind: "area" }; });
  Object.keys(CLASSES).forEach(function (k) { entries.push({ colour: CLASSES[k], label: holder.dataset[k], kind: "dot" }); });
  M.legend(map, entries, holder);
  M.fit(map, [layer, points]);
  layer.refreshLabels();
  holder.dataset.ready = "1";
})();
