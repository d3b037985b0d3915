// The "Add student data" list of the product form and of the vendor's questionnaire: a search box
// that narrows the categories' checkboxes to the elements whose name, category or description holds
// what was typed, and opens their categories. Without this file the list works as it is: open a
// category, tick, save.
(function () {
  "use strict";
  var picker = document.querySelector("[data-element-picker]");
  if (!picker) { return; }
  var items = Array.prototype.slice.call(picker.querySelectorAll("li[data-terms]"));
  var groups = Array.prototype.slice.call(picker.querySelectorAll("details"));

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  var wrap = document.createElement("div");
  wrap.className = "field element-picker__search";
  var label = document.createElement("label");
  label.className = "field__label";
  label.setAttribute("for", "element-search");
  label.textContent = "Find a kind of data to add";
  var input = document.createElement("input");
  input.type = "search";
  input.id = "element-search";
  input.className = "field__input";
  input.setAttribute("autocomplete", "off");
  input.setAttribute("aria-describedby", "element-search-status");
  var status = document.createElement("p");
  status.id = "element-search-status";
  status.className = "field__hint";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  wrap.appendChild(label);
  wrap.appendChild(input);
  wrap.appendChild(status);
  picker.parentNode.insertBefore(wrap, picker);

  var terms = items.map(function (item) { return fold(item.getAttribute("data-terms")); });

  function filter() {
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item, i) {
      var match = words.every(function (word) { return terms[i].indexOf(word) !== -1; });
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    groups.forEach(function (group) {
      var any = group.querySelector("li[data-terms]:not([hidden])") !== null;
      group.hidden = !any;
      group.open = words.length > 0 && any;
    });
    status.textContent = words.length ? (shown === 1 ? "1 match" : shown + " matches") +
      (shown ? ". Press Enter to go to the first, Space to tick it." : ". Try another word.") : "";
  }

  input.addEventListener("input", filter);
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault(); // Enter here looks for data; it does not save the form
    var first = picker.querySelector("li[data-terms]:not([hidden]) input");
    if (first) { first.focus(); }
  });
})();
