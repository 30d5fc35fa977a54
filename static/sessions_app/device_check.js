// Pre-join: an optional preview of the camera and a check that a microphone answers.
(function () {
  "use strict";
  var box = document.querySelector("[data-device-check]");
  if (!box || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  box.hidden = false;
  var video = box.querySelector("video");
  var status = box.querySelector("[data-device-status]");
  var start = box.querySelector("[data-device-start]");
  var stream = null;
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (got) {
      stream = got;
      video.srcObject = got;
      video.hidden = false;
      var kinds = got.getTracks().map(function (track) { return track.kind; });
      status.textContent = "Found: " + kinds.join(" and ") + ".";
    }).catch(function (error) {
      status.textContent = "Your browser could not use the camera or microphone (" + error.name + "). You can still join.";
    });
  });
  // Release the devices before the room asks for them again.
  window.addEventListener("pagehide", function () {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  });
  var form = box.parentNode.querySelector("form");
  if (form) form.addEventListener("submit", function () {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  });
})();
