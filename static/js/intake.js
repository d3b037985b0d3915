// The tool request form: while the requester types the tool's name (or picks the kind and schools),
// show what the district already knows (intake.lookup, JSON). Without this file the "Check first"
// button shows the same on a page of its own.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  var box = document.getElementById("findings");
  if (!form || !box || !window.fetch) { return; }
  var lookupUrl = form.getAttribute("data-lookup");
  var timer = null;
  var asked = 0;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function link(href, text) { return el("a", text, { href: href }); }

  function section(title, intro, items, draw) {
    if (!items.length) { return; }
    box.appendChild(el("h3", title));
    if (intro) { box.appendChild(el("p", intro)); }
    var list = el("ul");
    items.forEach(function (item) { list.appendChild(draw(item)); });
    box.appendChild(list);
  }

  function draw(data) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(el("h2", "What the district already knows", { id: "findings-heading" }));
    if (!data.known.length && !data.open_requests.length && !data.overlap.length) {
      box.appendChild(el("p", "The district has no record of this tool, and no approved tool of this kind is used at your schools yet."));
      return;
    }
    section("Already in the district's directory", "", data.known, function (p) {
      var li = el("li");
      li.appendChild(link(p.url, p.name));
      li.appendChild(document.createTextNode(" (" + p.vendor + "): "));
      li.appendChild(el("strong", p.status_label));
      var tail = p.status.indexOf("approved") === 0 ? ": you can use it." : "";
      li.appendChild(document.createTextNode(tail + (p.note ? " " + p.note : "")));
      return li;
    });
    section("Already under review", "", data.open_requests, function (r) {
      var li = el("li", r.name + " (" + r.state.toLowerCase() + ") ");
      var button = el("button", "Join this request instead", { type: "submit", "class": "button--secondary", formaction: r.join_url });
      button.appendChild(el("span", " (" + r.name + ")", { "class": "visually-hidden" }));
      li.appendChild(button);
      return li;
    });
    section("Approved tools of this kind already used at your schools", "The district may not need to buy another one.", data.overlap, function (p) {
      var li = el("li");
      li.appendChild(link(p.url, p.name));
      li.appendChild(document.createTextNode(" (" + p.vendor + "): " + p.schools.join(", ")));
      return li;
    });
  }

  function ask() {
    var params = new URLSearchParams();
    params.set("name", form.elements.name.value);
    params.set("kind", form.elements.kind.value);
    form.querySelectorAll("input[name=school_ids]:checked").forEach(function (box) { params.append("school_ids", box.value); });
    var mine = ++asked;
    fetch(lookupUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && mine === asked) { draw(data); } })
      .catch(function () { /* the "Check first" button still works */ });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  }

  form.elements.name.addEventListener("input", soon);
  form.elements.kind.addEventListener("change", soon);
  form.querySelectorAll("input[name=school_ids]").forEach(function (input) { input.addEventListener("change", soon); });
  // This file can arrive after the person has started typing (a slow link, or the browser restoring the
  // form on "Back"): what is already there is looked up once now, since its events came before us.
  if (form.elements.name.value || form.querySelector("input[name=school_ids]:checked")) { ask(); }
})();
