// Volunteer check-in and check-out: the phone's position (GPS, WGS-84) goes with the form,
// and one client id per page, so a resend of the same check-in is answered with the stored
// result instead of a second record.
(function () {
  "use strict";
  var status = document.getElementById("geo-status");
  var forms = document.querySelectorAll("form.geo-form");
  Array.prototype.forEach.call(forms, function (form) {
    var clientId = form.querySelector("input[name=client_id]");
    if (clientId && !clientId.value && window.crypto && crypto.randomUUID) {
      clientId.value = crypto.randomUUID();
    }
    var located = false;
    form.addEventListener("submit", function (event) {
      if (located) { return; }
      event.preventDefault();
      if (!navigator.geolocation) { status.textContent = status.dataset.failed; return; }
      status.textContent = status.dataset.asking;
      navigator.geolocation.getCurrentPosition(function (p) {
        form.querySelector("input[name=lon]").value = p.coords.longitude.toFixed(6);
        form.querySelector("input[name=lat]").value = p.coords.latitude.toFixed(6);
        located = true;
        form.submit();
      }, function () { status.textContent = status.dataset.failed; },
      { enableHighAccuracy: true, timeout: 15000 });
    });
  });
})();
