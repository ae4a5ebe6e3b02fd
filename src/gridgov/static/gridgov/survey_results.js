// Bar charts of a survey's answers (the published counts; hidden cells are left empty).
(function () {
  "use strict";
  var data = document.getElementById("survey-charts");
  if (!data || !window.echarts) { return; }
  JSON.parse(data.textContent).forEach(function (chart) {
    var holder = document.getElementById(chart.id);
    if (!holder) { return; }
    var instance = window.echarts.init(holder, null, { renderer: "svg" });
    instance.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: chart.labels, inverse: true, axisLabel: { width: 120, overflow: "truncate" } },
      series: [{ type: "bar", data: chart.values, itemStyle: { color: "#0d6efd" }, label: { show: true, position: "right" } }]
    });
    window.addEventListener("resize", function () { instance.resize(); });
  });
})();
