// Report forms: a client-generated id (a resend never duplicates) and the place: GPS where
// the phone has it, a grid or building from the list, or a tap on the map. The form stores
// WGS-84; a GCJ-02 base map is converted both ways here (coords.js, the one browser copy).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var clientId = document.getElementById("client_id");
  if (clientId && !clientId.value && window.crypto && crypto.randomUUID) {
    clientId.value = crypto.randomUUID();
  }
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var chosen = document.getElementById("place-chosen");
  var status = document.getElementById("gps-status");
  var select = document.getElementById("place-select");
  var M = window.GridGovMap;
  var C = window.GridGovCoords;
  var crs = M ? M.config.crs : "wgs84";
  var geojsonSource = document.getElementById("grid-geojson");
  var geojson = geojsonSource ? JSON.parse(geojsonSource.textContent) : { features: [] };
  var map = null;
  var marker = null;

  function drawn(x, y) { return C ? C.toDisplay(crs, x, y) : [x, y]; }

  // label: the whole text (a list entry says it all); building: named before its grid.
  function describe(x, y, label, building) {
    if (!chosen) { return; }
    // "已选位置：…" needs no space after its full-width colon; "Chosen place: …" does.
    var prefix = chosen.dataset.set + (/：$/.test(chosen.dataset.set) ? "" : " ");
    if (label) { chosen.textContent = prefix + label; return; }
    var grid = M ? M.gridAt(geojson, drawn(x, y)) : null;
    var where = grid ? grid.properties.name + (grid.properties.community ? " · " + grid.properties.community : "") : "";
    if (building) {
      chosen.textContent = prefix + building + (where ? " · " + where : "");
    } else {
      chosen.textContent = grid ? prefix + where : chosen.dataset.outside;
    }
  }

  function mark() {
    if (!map || !lon.value || !lat.value) { return; }
    var at = M.latLng(drawn(parseFloat(lon.value), parseFloat(lat.value)));
    if (marker) { marker.setLatLng(at); } else {
      // Not interactive: a tap on it goes to the map and moves it.
      marker = L.circleMarker(at, {
        pane: "points", interactive: false, radius: 9, fillColor: "#dc3545", fillOpacity: 1, color: "#ffffff", weight: 3
      }).addTo(map);
    }
  }

  // (x, y): WGS-84, as stored.
  function setPlace(x, y, label, building) {
    lon.value = x.toFixed(6);
    lat.value = y.toFixed(6);
    describe(x, y, label, building);
    mark();
  }

  if (lon.value && lat.value) { describe(parseFloat(lon.value), parseFloat(lat.value)); }

  var gps = document.getElementById("use-gps");
  if (gps) {
    gps.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = status.dataset.failed; return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        setPlace(p.coords.longitude, p.coords.latitude);  // GPS is WGS-84
        if (map) { map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16)); }
        status.textContent = status.dataset.ok;
      }, function () { status.textContent = status.dataset.failed; }, { timeout: 10000 });
    });
  }

  if (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option || !option.dataset.lon) { return; }
      setPlace(parseFloat(option.dataset.lon), parseFloat(option.dataset.lat), option.dataset.place);
      if (map && marker) { map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16)); }
    });
  }

  var holder = document.getElementById("pick-map");
  var show = document.getElementById("show-map");
  if (!holder || !show || !M) { return; }
  if (!geojson.features.length) { show.hidden = true; return; }
  var buildings = JSON.parse(document.getElementById("building-points").textContent);

  function drawMap() {
    holder.hidden = false;
    show.hidden = true;
    map = M.create(holder, { scrollWheelZoom: false });
    var layer = M.grids(map, geojson, {
      onClick: function (f, e) { pick(e.latlng); }
    });
    var placed = M.buildings(map, buildings, {
      onClick: function (b) { setPlace(b.lon, b.lat, null, b.label); status.textContent = status.dataset.ok; }
    });
    M.legend(map, [
      { colour: "#dc3545", label: holder.dataset.you, kind: "dot" },
      { colour: "#0d6efd", label: M.text.grid, kind: "area" },
      { colour: "#495057", label: M.text.building, kind: "ring" }
    ], holder);
    map.on("click", function (e) { pick(e.latlng); });
    M.fit(map, [layer, placed]);
    layer.refreshLabels();
    placed.refreshZoom();
    mark();
    if (marker) { map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16)); }
    holder.dataset.ready = "1";
  }

  function pick(latlng) {
    var stored = C ? C.fromDisplay(crs, latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
    setPlace(stored[0], stored[1]);
    status.textContent = status.dataset.ok;
    // Closer in: the buildings nearby appear, and the place can be set more exactly.
    if (map.getZoom() < 16) { map.setView(latlng, 16); }
  }

  // Leaflet (about 40 KB compressed) is fetched only when the reporter asks for the map.
  show.addEventListener("click", function () {
    if (window.L) { drawMap(); return; }
    show.disabled = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = show.dataset.css;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = show.dataset.src;
    script.onload = drawMap;
    script.onerror = function () { show.disabled = false; };
    document.head.appendChild(script);
  });
})();
