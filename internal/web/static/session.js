// Warns before the session ends (WCAG 2.2.1): the dialog the layout holds
// opens a little before the idle limit, and « Prolonger la session » tells
// the server the person is still there. Without this script pages work the
// same, and a form sent after the end is kept for after the next login.
(function () {
  "use strict";
  var dialog = document.getElementById("session-fin");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) {
    return;
  }
  var idle = Number(dialog.getAttribute("data-idle")) * 1000;
  var warn = Number(dialog.getAttribute("data-warn")) * 1000;
  var form = dialog.querySelector("form");
  var timer = 0;

  // The clock starts again at each page load and each keep-alive, the
  // moments the server counts activity from.
  function arm() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (!dialog.open) {
        dialog.showModal();
      }
    }, Math.max(0, idle - warn));
  }

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.getAttribute("formmethod") === "dialog") {
      return; // « Fermer ce message »: the browser closes the dialog
    }
    event.preventDefault();
    window.fetch(form.action, { method: "POST", credentials: "same-origin" }).then(function (response) {
      if (response.redirected) {
        // Too late: the session has ended; the login page says so.
        window.location.assign(response.url);
        return;
      }
      if (!response.ok) {
        window.location.reload();
        return;
      }
      dialog.close();
      arm();
    }, function () {
      window.location.reload();
    });
  });
  arm();
})();
