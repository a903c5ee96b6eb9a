// Raccordo: small enhancements. Every form works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A refused form comes back with its error: the focus goes there, so that
  // the page opens on what to fix (scrolled into view, read out) instead of
  // at its top, far from a form further down.
  var refused = document.getElementById("form-error");
  if (refused) {
    refused.focus();
  }
  // "Seleziona tutte" in the approval queue.
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + box.dataset.selectAll + "']").forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });
  // Enter in a form's choice search searches: the form's default button is
  // its save's copy (savedefault), which HTML's implicit submission would
  // click. Without the script, that copy runs a search typed since the
  // page was shown (searchable), but not one pressed again unchanged; the
  // visible save saves.
  document.querySelectorAll("input[data-search-button]").forEach(function (input) {
    input.addEventListener("keydown", function (e) {
      var button = document.getElementById(input.dataset.searchButton);
      if (e.key === "Enter" && !e.isComposing && button) {
        e.preventDefault();
        button.click();
      }
    });
  });
  // implicit are the fields in which HTML's Enter submits the form.
  var implicit = /^(text|search|url|tel|email|password|date|month|week|time|datetime-local|number)$/;
  // Enter in another field of such a form saves, as its visible save
  // does, though a search was typed and not run: Enter clicks the save's
  // copy, which names no field, and the server, which cannot tell where
  // Enter was pressed, runs the search typed instead (searchable). So the
  // form sends the visible save's name with it. Without the script it
  // runs the search, and says that nothing was saved.
  document.querySelectorAll("form").forEach(function (form) {
    var save = form.querySelector("button[name='salva']");
    if (!save || !form.querySelector("input[data-search-button]")) {
      return;
    }
    form.addEventListener("keydown", function (e) {
      var field = e.target;
      if (e.key === "Enter" && !e.isComposing && field.form === form && field.tagName === "INPUT" &&
          !field.dataset.searchButton && implicit.test(field.type) && !form.querySelector("input[type='hidden'][name='salva']")) {
        var saving = document.createElement("input");
        saving.type = "hidden";
        saving.name = save.name;
        saving.value = save.value;
        form.appendChild(saving);
      }
    });
  });
  // Ask before destructive actions. Answered yes, the form goes confirmed
  // ("conferma"); without the script the server asks on a page of its own.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) {
        e.preventDefault();
        return;
      }
      if (!f.elements.namedItem("conferma")) {
        var yes = document.createElement("input");
        yes.type = "hidden";
        yes.name = "conferma";
        yes.value = "1";
        f.appendChild(yes);
      }
    });
  });
});

// Municipality autocomplete: typing a name in a list of ISTAT codes offers
// the matching municipalities of the region (ListMunicipalities over REST,
// same origin). Without the script the field takes codes as typed.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-municipalities]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      var head = cut >= 0 ? value.slice(0, cut + 1) + " " : "";
      var term = value.slice(cut + 1).trim();
      clearTimeout(timer);
      if (term.length < 2 || /^[0-9]+$/.test(term)) {
        return;
      }
      timer = setTimeout(function () {
        var url = "/v1/regions/" + encodeURIComponent(input.dataset.municipalities) +
          "/municipalities?pageSize=10&namePrefix=" + encodeURIComponent(term);
        fetch(url, { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : { municipalities: [] }; })
          .then(function (body) {
            list.replaceChildren();
            (body.municipalities || []).forEach(function (m) {
              var opt = document.createElement("option");
              opt.value = head + m.istatCode;
              opt.label = m.displayName + " (" + m.provinceAbbr + ")";
              list.appendChild(opt);
            });
          });
      }, 200);
    });
  });
});
