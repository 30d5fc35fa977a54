// The browser's zone, told to the server once in the `convene_tz` cookie (checked there
// against the canonical zones): every page from the next one on shows the visitor's own times.
// The first page is not reloaded: a reload would race somebody already typing into its form,
// and that page says in its footer which zone it used (the session's or program's).
// Also: every zone picker (select[data-zone-picker]) gets a filter box above it.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    zone = "";
  }
  var match = document.cookie.match(/(?:^|;\s*)convene_tz=([^;]*)/);
  var stored = match ? match[1] : "";
  // Zone names are letters, digits and "/_+-": cookie-safe as they are, so not encoded.
  if (zone && /^[A-Za-z0-9\/_+-]+$/.test(zone) && stored !== zone) {
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie =
      "convene_tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
  }

  function enhancePicker(select) {
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "zone-filter";
    filter.placeholder = "Filter: city, region or UTC+09";
    filter.setAttribute("aria-label", "Filter the time zones");
    if (select.id) filter.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(filter, select);
    var options = Array.prototype.slice.call(select.querySelectorAll("option"));
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().replace(/_/g, " ").split(/\s+/).filter(Boolean);
      var firstShown = null;
      options.forEach(function (option) {
        var text = (option.textContent + " " + option.value).toLowerCase().replace(/_/g, " ");
        var shown = words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        option.hidden = !shown;
        option.disabled = !shown && !option.selected;
        if (shown && firstShown === null) firstShown = option;
      });
      if (firstShown && select.selectedOptions.length && select.selectedOptions[0].hidden) {
        select.value = firstShown.value;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-zone-picker]"), enhancePicker);
  });
})();
