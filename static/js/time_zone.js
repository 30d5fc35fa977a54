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

  // Times per request: each is about 95 bytes in the address, and a server's request line
  // has a limit (gunicorn's is 4,094 bytes), so a page of many times asks in parts.
  var TIMES_PER_REQUEST = 20;

  function showInBrowserZone() {
    var root = document.documentElement;
    var fallback = root.getAttribute("data-zone-fallback");
    var endpoint = root.getAttribute("data-zone-times");
    if (!zone || !fallback || !endpoint || fallback === zone || !window.fetch) return;
    var spans = Array.prototype.slice.call(document.querySelectorAll("span.local-time"));
    var items = spans.map(function (span) {
      return [
        span.getAttribute("data-moment"),
        span.getAttribute("data-zone") || "",
        span.getAttribute("data-style"),
        span.getAttribute("data-end") || "",
      ].join("|");
    });
    var parts = [];
    for (var start = 0; start < items.length || start === 0; start += TIMES_PER_REQUEST) {
      parts.push(items.slice(start, start + TIMES_PER_REQUEST));
    }
    Promise.all(
      parts.map(function (part) {
        var query = ["zone=" + encodeURIComponent(zone)].concat(
          part.map(function (item) {
            return "t=" + encodeURIComponent(item);
          })
        );
        return fetch(endpoint + "?" + query.join("&"), { credentials: "same-origin" }).then(
          function (response) {
            if (!response.ok) throw new Error("zone_times: " + response.status);
            return response.json();
          }
        );
      })
    )
      .then(function (answers) {
        var times = [];
        answers.forEach(function (answer) {
          times = times.concat(answer.times);
        });
        // All or nothing: a page half in one zone would contradict its footer.
        if (times.length !== spans.length) return;
        // The server's own markup (escaped there), as the page would have come in this zone.
        spans.forEach(function (span, index) {
          span.innerHTML = times[index];
        });
        var footer = document.getElementById("page-zone");
        if (footer) footer.innerHTML = answers[0].page_zone;
        root.removeAttribute("data-zone-fallback");
        root.setAttribute("data-zone-shown", answers[0].zone);
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
