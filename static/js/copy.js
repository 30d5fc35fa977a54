// Every copy button of the site: a text (data-copy), a textarea's text (data-copy-target) or
// an image (data-copy-image, a PNG's URL). One status line says "Copied." at a time and not
// for long: a new copy clears the others (the clipboard holds only the latest), and each
// clears itself after a few seconds.
(function () {
  "use strict";
  // Panels that include this file may appear many times on one page: bind once.
  if (window.conveneCopyBound) { return; }
  window.conveneCopyBound = true;
  var STATUS_SECONDS = 4;
  var timer = null;
  function say(button, text) {
    var status = button.parentElement.querySelector("[data-copy-status]");
    document.querySelectorAll("[data-copy-status]").forEach(function (other) {
      if (other !== status) { other.textContent = ""; }
    });
    if (!status) { return; }
    status.textContent = text;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { status.textContent = ""; }, STATUS_SECONDS * 1000);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        say(button, "Copied.");
      }, function () {
        say(button, "Copy failed: select the text and copy it.");
      });
    });
  });
  // A textarea's text, with the old execCommand for browsers without the async clipboard.
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      var fallback = function () { source.select(); document.execCommand("copy"); say(button, "Copied."); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(function () { say(button, "Copied."); }, fallback);
      } else {
        fallback();
      }
    });
  });
  // The PNG itself on the clipboard, for pasting into slides or chats. The ClipboardItem
  // takes the fetch's promise so that the click's user activation still counts.
  var canCopyImages = Boolean(window.ClipboardItem && navigator.clipboard && navigator.clipboard.write);
  document.querySelectorAll("button[data-copy-image]").forEach(function (button) {
    if (!canCopyImages) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var png = fetch(button.getAttribute("data-copy-image"), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("QR image: " + response.status); }
          return response.blob();
        })
        .then(function (blob) { return new Blob([blob], { type: "image/png" }); });
      navigator.clipboard.write([new ClipboardItem({ "image/png": png })]).then(function () {
        say(button, "QR image copied.");
      }, function () {
        say(button, "Copy failed: download the PNG instead.");
      });
    });
  });
})();
