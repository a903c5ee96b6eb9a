// Raccordo: small enhancements. Every form works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Seleziona tutte" in the approval queue.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });
  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) {
        e.preventDefault();
      }
    });
  });
});
