// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // Move focus to an error summary so screen-reader and keyboard users hear it first.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Buttons that ask before a destructive action: <button data-confirm="Are you sure?">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Prevent double submission of forms that upload files or change state.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.dataset.submitted) {
      if (form.dataset.submitted) { event.preventDefault(); }
      return;
    }
    if (form.method.toLowerCase() === "post") { form.dataset.submitted = "1"; }
  });
  // On a phone the directory's results come first: its search and filters fold into their disclosure.
  var filters = document.querySelector(".filters-disclosure");
  if (filters && window.matchMedia("(max-width: 48rem)").matches) { filters.open = false; }
})();
