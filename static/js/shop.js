// Small progressive enhancement; every page works without it.
(function () {
  "use strict";

  // After a refused form, move focus to its error summary so screen readers announce it.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }

  // A form marked data-submit-once ignores a second click while the first is on its way.
  // The server is safe either way (the checkout token makes a repeat return the same order);
  // this only spares the shopper a confusing second request.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "true";
      form.setAttribute("aria-busy", "true");
      var button = form.querySelector("button[type=submit][data-busy-text]");
      if (button) {
        button.dataset.idleText = button.textContent;
        button.textContent = button.dataset.busyText;
      }
    });
  });

  // Coming back with the browser's Back button restores the page as it was left: re-arm it.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
      var button = form.querySelector("button[data-idle-text]");
      if (button) {
        button.textContent = button.dataset.idleText;
      }
    });
  });
})();
