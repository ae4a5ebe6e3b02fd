// The maps' shared parts (Leaflet): the configured base layer, the labelled grid layer, the
// building and point layers, and the legend. Coordinates arrive already in the base layer's
// system (the server converts them); only the picker converts in the browser (coords.js).
// Leaflet itself may arrive later (the picker loads it on request): only drawing needs it.
(function () {
  "use strict";
  var source = document.getElementById("map-config");
  if (!source) { return; }
  var config = JSON.parse(source.textContent);
  var text = config.text;
  var LABEL_LIMIT = 60;  // grid names drawn at once; zoom in for more

  function node(tag, className, content) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (content !== undefined) { el.textContent = content; }
    return el;
  }

  function create(holder, options) {
    options = options || {};
    var map = L.map(holder, {
      zoomControl: false,
      attributionControl: Boolean(config.tiles && config.attribution),
      maxZoom: Math.max(config.maxZoom + 2, 18),
      scrollWheelZoom: options.scrollWheelZoom !== false
    });
    L.control.zoom({ zoomInTitle: text.zoomIn, zoomOutTitle: text.zoomOut }).addTo(map);
    // Points (events, buildings, the picked place) above the grid names, never under them.
    map.createPane("points").style.zIndex = 660;
    if (config.tiles) {
      var tileOptions = {
        maxNativeZoom: config.maxZoom, maxZoom: Math.max(config.maxZoom + 2, 18),
        subdomains: config.subdomains || "abc", attribution: "", crossOrigin: false
      };
      L.tileLayer(config.tiles, tileOptions).addTo(map);
      if (config.labels) { L.tileLayer(config.labels, tileOptions).addTo(map); }
      if (map.attributionControl) {
        map.attributionControl.setPrefix(false);
        map.attributionControl.addAttribution(config.attribution.replace(/[<>&"]/g, ""));
      }
    } else {
      holder.classList.add("map-no-base");
    }
    return map;
  }

  function latLng(point) { return L.latLng(point[1], point[0]); }

  // Grid polygons with their names at a point inside each (drawn while few enough are in
  // view to read). style(feature) → path style; onClick(feature); tip(feature) → hover text.
  function grids(map, geojson, options) {
    options = options || {};
    var layer = L.geoJSON(geojson, {
      style: options.style || function () {
        return { color: "#0d6efd", weight: 2, fillColor: "#0d6efd", fillOpacity: 0.08 };
      },
      onEachFeature: function (feature, path) {
        if (options.tip) { path.bindTooltip(options.tip(feature), { sticky: true }); }
        if (options.onClick) { path.on("click", function (e) { options.onClick(feature, e); }); }
      }
    }).addTo(map);
    var labels = geojson.features.filter(function (f) { return f.properties.label_at; }).map(function (f) {
      var content = node("span", null, f.properties.name);
      // Just below the point: a point drawn there (an event in the middle of its grid, the
      // picked place) stays visible above the name.
      return L.tooltip({ permanent: true, direction: "center", offset: [0, 18], className: "grid-label", interactive: false })
        .setLatLng(latLng(f.properties.label_at)).setContent(content);
    });
    function refresh() {
      var bounds = map.getBounds();
      var inView = labels.filter(function (l) { return bounds.contains(l.getLatLng()); });
      var show = inView.length <= LABEL_LIMIT;
      labels.forEach(function (label) {
        var wanted = show && bounds.contains(label.getLatLng());
        if (wanted && !map.hasLayer(label)) { label.addTo(map); }
        if (!wanted && map.hasLayer(label)) { map.removeLayer(label); }
      });
    }
    map.on("moveend zoomend", refresh);
    layer.refreshLabels = refresh;
    return layer;
  }

  // Small markers: buildings (grey squares' stand-in: hollow circles) or events (filled).
  function points(map, items, style, options) {
    options = options || {};
    var group = L.featureGroup();
    items.forEach(function (item) {
      if (!item.at) { return; }
      var marker = L.circleMarker(latLng(item.at), L.extend({ pane: "points" }, style(item)));
      if (item.label) { marker.bindTooltip(node("span", null, item.label)); }
      if (options.onClick) { marker.on("click", function (e) { L.DomEvent.stopPropagation(e); options.onClick(item, e); }); }
      group.addLayer(marker);
    });
    return group.addTo(map);
  }

  // Buildings appear from street level on (zoom 15), where they are the ones nearby.
  var BUILDING_ZOOM = 15;
  function buildings(map, items, options) {
    var group = points(map, items, function () {
      return { radius: 4, color: "#495057", weight: 2, fillColor: "#ffffff", fillOpacity: 1 };
    }, options);
    var all = group.getLayers().length;
    function refresh() {
      var near = map.getZoom() >= BUILDING_ZOOM;
      if (near && !map.hasLayer(group)) { group.addTo(map); }
      if (!near && map.hasLayer(group)) { map.removeLayer(group); }
    }
    map.on("zoomend", refresh);
    group.refreshZoom = refresh;
    group.placed = all;
    return group;
  }

  // entries: [{colour, label, kind: "area" | "dot" | "ring"}]; the base-map line last.
  function legend(map, entries, holder) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = node("details", "map-legend");
      box.open = holder.clientWidth >= 560;
      box.appendChild(node("summary", null, text.legend));
      var list = node("ul", "list-unstyled mb-0");
      entries.forEach(function (entry) {
        var item = node("li");
        var swatch = node("span", "map-swatch map-swatch-" + (entry.kind || "area"));
        swatch.style.setProperty("--swatch", entry.colour);
        swatch.setAttribute("aria-hidden", "true");
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(entry.label));
        list.appendChild(item);
      });
      box.appendChild(list);
      box.appendChild(node("p", "map-legend-base", text.base));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  function fit(map, layers, fallback) {
    var bounds = null;
    layers.forEach(function (layer) {
      if (layer && layer.getBounds && layer.getLayers().length && !layer.refreshZoom) {
        var b = layer.getBounds();
        if (b.isValid()) { bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); }
      }
    });
    if (bounds) {
      map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 });
    } else if (fallback) {
      map.setView(latLng(fallback), 16);
    } else {
      map.setView([35, 105], 4);
    }
  }

  // The grid (feature) containing a point [lon, lat], both in drawn coordinates.
  function gridAt(geojson, point) {
    function inRing(ring) {
      var inside = false;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > point[1]) !== (yj > point[1]) &&
            point[0] < (xj - xi) * (point[1] - yi) / (yj - yi) + xi) { inside = !inside; }
      }
      return inside;
    }
    function inPolygon(rings) {
      if (!inRing(rings[0])) { return false; }
      for (var h = 1; h < rings.length; h++) { if (inRing(rings[h])) { return false; } }
      return true;
    }
    for (var k = 0; k < geojson.features.length; k++) {
      var g = geojson.features[k].geometry;
      if (!g) { continue; }
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polygons.length; p++) {
        if (inPolygon(polygons[p])) { return geojson.features[k]; }
      }
    }
    return null;
  }

  window.GridGovMap = {
    config: config, text: text, create: create, grids: grids, points: points,
    buildings: buildings, legend: legend, fit: fit, gridAt: gridAt, latLng: latLng
  };
})();
