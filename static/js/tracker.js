// Makes failed htmx requests visible. htmx 2 does not swap 4xx/5xx responses by default;
// a form with errors answers 422 and is swapped (see htmx-config in base.html), anything else
// that fails is announced here, and the page (with whatever the user typed) stays as it was.
(function () {
  "use strict";
  function show(message) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.textContent = message;
    box.focus();
  }
  function clear() {
    var box = document.getElementById("request-error");
    if (box) box.textContent = "";
  }
  document.addEventListener("htmx:beforeRequest", clear);
  // The words come from the page (#request-error's data-* attributes, in the reader's
  // language: base.html); the English ones here are the fallback.
  function say(name, fallback) {
    var box = document.getElementById("request-error");
    return (box && box.getAttribute("data-" + name)) || fallback;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var reasons = {
      401: "Your session has ended. Sign in again in a new tab, then send this again",
      403: "You are not allowed to do that",
      404: "That record no longer exists, or is not visible to you",
      409: "Someone else changed this record since you opened it",
      503: "The database did not answer, so nothing was saved. Try again in a moment",
    };
    var reason = say("http-" + xhr.status, reasons[xhr.status]) ||
      say("http-other", "The server could not complete the request");
    // A server's failure carries the request's id, which its log entry carries too.
    var id = xhr.status >= 500 && xhr.getResponseHeader("X-Request-ID");
    var reference = id ? ", " + say("reference", "reference") + " " + id : "";
    show(reason + " (HTTP " + xhr.status + reference + "). " +
      say("kept", "Nothing you typed was lost."));
  });
  // A picker's search box (forms/base.py, SearchSelect) belongs to no form: what is typed in it
  // must not set off its form's own "change" trigger (a filter form would reload its table).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList && target.classList.contains("picker-find")) event.stopPropagation();
  }, true);
  // A briefing report's "Print" button: hidden in the page as served, since without JavaScript
  // it could do nothing; the browser's own Print command works either way.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
  document.addEventListener("htmx:sendError", function () {
    show(say("unreachable", "The server could not be reached. Check the connection and try again; nothing you typed was lost."));
  });
})();
