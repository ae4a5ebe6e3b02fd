// Open events as points over the labelled grids, coloured by state; overdue ones ringed red.
(function () {
  "use strict";
  var holder = document.getElementById("event-map");
  if (!holder || !window.GridGovMap) { return; }
  var M = window.GridGovMap;
  var geojson = JSON.parse(document.getElementById("grid-geojson").textContent);
  var events = JSON.parse(document.getElementById("event-points").textContent);
  var states = JSON.parse(document.getElementById("event-states").textContent);
  var COLOURS = {
    reported: "#0d6efd", accepted: "#6610f2", classified: "#6f42c1", dispatched: "#d63384",
    handling: "#fd7e14", waiting: "#adb5bd", handled: "#198754", suspended: "#495057"
  };
  var map = M.create(holder);
  var layer = M.grids(map, geojson, {
    tip: function (f) {
      var span = document.createElement("span");
      span.textContent = f.properties.name + " · " + (f.properties.community || "");
      return span;
    }
  });
  var points = M.points(map, events, function (e) {
    return {
      radius: 7, fillColor: COLOURS[e.state] || "#212529", fillOpacity: 0.95,
      color: e.overdue ? "#dc3545" : "#ffffff", weight: e.overdue ? 4 : 2
    };
  }, {
    onClick: function (e) {
      window.location.href = holder.dataset.link.replace("00000000-0000-0000-0000-000000000000", e.uid);
    }
  });
  var entries = states.map(function (s) { return { colour: COLOURS[s.value] || "#212529", label: s.label, kind: "dot" }; });
  entries.push({ colour: "#dc3545", label: holder.dataset.overdue, kind: "ring" });
  entries.push({ colour: "#0d6efd", label: M.text.grid, kind: "area" });
  M.legend(map, entries, holder);
  M.fit(map, [layer, points]);
  layer.refreshLabels();
  holder.dataset.ready = "1";
})();
