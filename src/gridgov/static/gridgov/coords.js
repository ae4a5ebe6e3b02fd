// WGS-84 ↔ GCJ-02 for the location picker: the browser's copy of core/coords.py (the same
// formula and iteration; tests hold both to the same published points). Stored coordinates
// are WGS-84; a GCJ-02 base layer draws them shifted.
(function (root) {
  "use strict";
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var PI = Math.PI;

  function outsideChina(lon, lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function shift(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dlat += common;
    dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2 / 3;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dlon += common;
    dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2 / 3;
    var rad = lat / 180.0 * PI;
    var magic = 1 - EE * Math.pow(Math.sin(rad), 2);
    var sq = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * PI);
    dlon = (dlon * 180.0) / (A / sq * Math.cos(rad) * PI);
    return [dlon, dlat];
  }

  function wgs84ToGcj02(lon, lat) {
    if (outsideChina(lon, lat)) { return [lon, lat]; }
    var d = shift(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function gcj02ToWgs84(lon, lat) {
    if (outsideChina(lon, lat)) { return [lon, lat]; }
    var wlon = lon, wlat = lat;
    for (var i = 0; i < 30; i++) {
      var g = wgs84ToGcj02(wlon, wlat);
      var elon = g[0] - lon, elat = g[1] - lat;
      wlon -= elon;
      wlat -= elat;
      if (Math.abs(elon) < 1e-9 && Math.abs(elat) < 1e-9) { break; }
    }
    return [wlon, wlat];
  }

  root.GridGovCoords = {
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    // Stored → drawn, and drawn → stored, for a base layer in the system ``crs``.
    toDisplay: function (crs, lon, lat) { return crs === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat]; },
    fromDisplay: function (crs, lon, lat) { return crs === "gcj02" ? gcj02ToWgs84(lon, lat) : [lon, lat]; }
  };
})(typeof window !== "undefined" ? window : globalThis);
