// Participant and host helpers: default the zone to the browser's, copy links to the clipboard.
(function () {
  "use strict";
  // The share panel may appear many times on one page, each including this file: bind once.
  if (window.conveneCommitmentsBound) { return; }
  window.conveneCommitmentsBound = true;
  document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { return; }
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
      select.value = zone;
    }
  });
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var status = button.parentElement.querySelector("[data-copy-status]");
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        if (status) { status.textContent = "Copied."; }
      }, function () {
        if (status) { status.textContent = "Copy failed: select the text and copy it."; }
      });
    });
  });
})();
