// htmx replaces polled fragments (the round's live card) every few seconds; a <details> the
// reader opened there (the chart's table) stays open across the swap. Keyed by id.
(function () {
  "use strict";
  var open = {};
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details instanceof HTMLDetailsElement && details.id) open[details.id] = details.open;
  }, true);
  document.addEventListener("htmx:afterSwap", function () {
    Object.keys(open).forEach(function (id) {
      var details = document.getElementById(id);
      if (details instanceof HTMLDetailsElement && open[id] && !details.open) details.open = true;
    });
  });
})();
