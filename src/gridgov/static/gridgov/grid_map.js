// The grid map (and a grid's own page): grid boundaries with their names, coloured by
// households, and the buildings placed on the map, over the configured base layer.
(function () {
  "use strict";
  var holder = document.getElementById("grid-map");
  var source = document.getElementById("grid-geojson");
  if (!holder || !source || !window.GridGovMap) { return; }
  var M = window.GridGovMap;
  var geojson = JSON.parse(source.textContent);
  var buildingSource = document.getElementById("building-points");
  var buildings = buildingSource ? JSON.parse(buildingSource.textContent) : [];
  var d = holder.dataset;
  // Households per grid: the norm is 300–500 (docs/maps.md).
  var classes = [
    { upTo: 299, colour: "#cfe2ff", label: d.few },
    { upTo: 500, colour: "#6ea8fe", label: d.norm },
    { upTo: Infinity, colour: "#0a58ca", label: d.many }
  ];
  function colour(households) {
    for (var i = 0; i < classes.length; i++) { if ((households || 0) <= classes[i].upTo) { return classes[i].colour; } }
    return classes[0].colour;
  }
  var map = M.create(holder);
  var layer = M.grids(map, geojson, {
    style: function (f) {
      return { color: "#084298", weight: 2, fillColor: colour(f.properties.households), fillOpacity: 0.35 };
    },
    tip: function (f) {
      var span = document.createElement("span");
      span.textContent = f.properties.name + " · " + f.properties.code + " · " + (f.properties.households || 0) + " " + d.households;
      return span;
    },
    onClick: holder.dataset.link ? function (f) {
      window.location.href = holder.dataset.link.replace("CODE", encodeURIComponent(f.properties.code));
    } : null
  });
  var placed = M.buildings(map, buildings);
  var entries = classes.map(function (c) { return { colour: c.colour, label: c.label, kind: "area" }; });
  if (buildings.length) { entries.push({ colour: "#495057", label: M.text.building, kind: "ring" }); }
  // The apps' layers (core/maps.py register_layer), each toggled on its own.
  var layerSource = document.getElementById("map-layers");
  var overlays = {};
  (layerSource ? JSON.parse(layerSource.textContent) : []).forEach(function (layer) {
    var group = M.points(map, layer.points, function (p) {
      return { radius: 8, fillColor: p.colour, fillOpacity: 0.9, color: "#212529", weight: 1.5 };
    }, { onClick: function (p) { if (p.url) { window.location.href = p.url; } } });
    overlays[layer.label] = group;
    layer.legend.forEach(function (l) { entries.push({ colour: l.colour, label: layer.label + ": " + l.label, kind: "dot" }); });
  });
  if (Object.keys(overlays).length) { L.control.layers(null, overlays, { collapsed: true }).addTo(map); }
  M.legend(map, entries, holder);
  M.fit(map, [layer, placed]);
  layer.refreshLabels();
  placed.refreshZoom();
  holder.dataset.ready = "1";
})();
