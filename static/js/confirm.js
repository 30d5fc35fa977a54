// Forms marked data-confirm="Question?" ask before they are sent (no inline onsubmit: CSP).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
