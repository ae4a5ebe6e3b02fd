// Report forms: a client-generated id (a resend never duplicates), GPS when the phone
// has it, and a tap on the grid map (drawn from the page, no online tiles) otherwise.
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
  var status = document.getElementById("gps-status");
  var chart = null;

  function mark(x, y) {
    lon.value = x.toFixed(6);
    lat.value = y.toFixed(6);
    if (chart) {
      chart.setOption({ series: [{}, { data: [[x, y]] }] });
    }
  }

  var gps = document.getElementById("use-gps");
  if (gps) {
    gps.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = status.dataset.failed; return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        mark(p.coords.longitude, p.coords.latitude);
        status.textContent = status.dataset.ok;
      }, function () { status.textContent = status.dataset.failed; }, { timeout: 10000 });
    });
  }

  var holder = document.getElementById("pick-map");
  var source = document.getElementById("grid-geojson");
  var show = document.getElementById("show-map");
  if (!holder || !source || !show) { return; }
  var geojson = JSON.parse(source.textContent);
  if (!geojson || !geojson.features.length) { show.hidden = true; return; }

  function drawMap() {
    holder.hidden = false;
    show.hidden = true;
    echarts.registerMap("pick", geojson);
    chart = echarts.init(holder, null, { renderer: "canvas" });
    chart.setOption({
      geo: { map: "pick", roam: true, nameProperty: "code",
             itemStyle: { areaColor: "#dbe9ff", borderColor: "#0d6efd" },
             label: { show: false }, emphasis: { disabled: true } },
      series: [
        { type: "map", geoIndex: 0, data: [] },
        { type: "scatter", coordinateSystem: "geo", symbolSize: 16, itemStyle: { color: "#dc3545" }, data: [] }
      ]
    });
    chart.getZr().on("click", function (e) {
      var point = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
      if (point) { mark(point[0], point[1]); status.textContent = status.dataset.ok; }
    });
    if (lon.value && lat.value) { mark(parseFloat(lon.value), parseFloat(lat.value)); }
    window.addEventListener("resize", function () { chart.resize(); });
    holder.dataset.ready = "1";
  }

  // The map library (about 360 KB) is fetched only when the reporter asks for the map.
  show.addEventListener("click", function () {
    if (window.echarts) { drawMap(); return; }
    show.disabled = true;
    var script = document.createElement("script");
    script.src = show.dataset.src;
    script.onload = drawMap;
    script.onerror = function () { show.disabled = false; };
    document.head.appendChild(script);
  });
})();
