// The command screen reloads itself (data-refresh seconds) so the wall display stays current.
(function () {
  "use strict";
  var seconds = parseInt(document.body.dataset.refresh || "0", 10);
  if (seconds > 0) { window.setTimeout(function () { window.location.reload(); }, seconds * 1000); }
})();
