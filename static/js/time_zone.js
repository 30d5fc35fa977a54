// The browser's zone, told to the server once in the `convene_tz` cookie (checked there
// against the canonical zones): every page from the next one on is rendered in it. The first
// page, rendered before the server knew (in the session's or program's zone; <html> then
// carries data-zone-fallback), is not reloaded, which would race somebody already typing into
// its form: its times (the `local-time` spans) and the footer's zone are asked for in the
// browser's zone (`zone_times`, the server's own formatting) and put in place.
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

  function showInBrowserZone() {
    var root = document.documentElement;
    var fallback = root.getAttribute("data-zone-fallback");
    var endpoint = root.getAttribute("data-zone-times");
    if (!zone || !fallback || !endpoint || fallback === zone || !window.fetch) return;
    var spans = Array.prototype.slice.call(document.querySelectorAll("span.local-time"), 0, 200);
    var query = ["zone=" + encodeURIComponent(zone)];
    spans.forEach(function (span) {
      var item = [
        span.getAttribute("data-moment"),
        span.getAttribute("data-zone") || "",
        span.getAttribute("data-style"),
        span.getAttribute("data-end") || "",
      ].join("|");
      query.push("t=" + encodeURIComponent(item));
    });
    fetch(endpoint + "?" + query.join("&"), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || answer.times.length !== spans.length) return;
        // The server's own markup (escaped there), as the page would have come in this zone.
        spans.forEach(function (span, index) {
          span.innerHTML = answer.times[index];
        });
        var footer = document.getElementById("page-zone");
        if (footer) footer.innerHTML = answer.page_zone;
        root.removeAttribute("data-zone-fallback");
        root.setAttribute("data-zone-shown", answer.zone);
      })
      .catch(function () {
        /* The page stays in the zone its footer names. */
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-zone-picker]"), enhancePicker);
    showInBrowserZone();
  });
})();
