/* Pickpost pick widget (docs/consent.md, "The pick widget"). No dependencies.
   PickpostPick.mount(element, {token, form, input, onPicked, onError, base, styles})
   renders the bids of a pick token into element; PickpostPick.enhance(root) adds the same
   live behaviour to markup the server rendered (the hosted pick page). */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = script && script.src ? new URL(script.src).origin : "";
  var count = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function joinNames(names) {
    if (names.length < 2) return names.join("");
    return names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
  }

  function ordinal(n) {
    var s = ["th", "st", "nd", "rd"], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  // The live part, on markup from render() or from the hosted page's template.
  function wire(root) {
    var order = [];
    var boxes = Array.prototype.slice.call(root.querySelectorAll(".pp-pick-box"));
    var text = root.querySelector(".pp-pick-disclosure");
    var status = root.querySelector(".pp-pick-status");
    var keep = root.querySelector("input[name=order]");
    var template = text.getAttribute("data-template");
    var placeholder = text.getAttribute("data-placeholder");
    var none = text.getAttribute("data-none") || "the companies you select";
    function names(ids) {
      return ids.map(function (id) {
        return root.querySelector('.pp-pick-box[value="' + id + '"]').getAttribute("data-name");
      });
    }
    function update(changed) {
      if (changed) {
        var at = order.indexOf(changed.value);
        if (changed.checked && at < 0) order.push(changed.value);
        if (!changed.checked && at >= 0) order.splice(at, 1);
      }
      boxes.forEach(function (box) {
        var item = box.closest(".pp-pick-item");
        var badge = item.querySelector(".pp-pick-order");
        var n = order.indexOf(box.value) + 1;
        badge.textContent = n ? ordinal(n) : "";
        item.classList.toggle("pp-pick-item--picked", n > 0);
      });
      var picked = names(order);
      text.textContent = template.split(placeholder).join(picked.length ? joinNames(picked) : none);
      if (keep) keep.value = order.join(",");
      if (changed) {
        var name = changed.getAttribute("data-name");
        status.textContent = changed.checked
          ? name + " picked, " + ordinal(order.length) + " of your choices"
          : name + " removed";
      }
    }
    boxes.forEach(function (box) {
      box.checked = false; // one-to-one consent is an active choice
      box.addEventListener("change", function () { update(box); });
    });
    update(null);
    return {
      picked: function () { return order.slice(); },
      disclosure: function () { return text.textContent; },
      status: status
    };
  }

  function render(element, data) {
    var id = "pp-pick-" + (++count);
    var root = el("div", "pp-pick");
    root.setAttribute("role", "group");
    root.setAttribute("aria-labelledby", id + "-title");
    var title = el("p", "pp-pick-title", "Choose the companies that may contact you, in the order you prefer");
    title.id = id + "-title";
    var list = el("ul", "pp-pick-list");
    data.bids.forEach(function (bid, i) {
      var item = el("li", "pp-pick-item");
      var box = el("input", "pp-pick-box");
      box.type = "checkbox";
      box.id = id + "-" + i;
      box.value = bid.bid_id;
      box.setAttribute("data-name", bid.tcpa_entity_name);
      var label = el("label", "pp-pick-label");
      label.htmlFor = box.id;
      var shown = bid.display || {};
      if (shown.logo_url) {
        var logo = el("img", "pp-pick-logo");
        logo.src = shown.logo_url;
        logo.alt = "";
        label.appendChild(logo);
      }
      if (shown.display_name && shown.display_name !== bid.tcpa_entity_name) {
        label.appendChild(el("span", "pp-pick-display", shown.display_name));
      }
      label.appendChild(el("span", "pp-pick-entity", bid.tcpa_entity_name));
      if (shown.description) label.appendChild(el("span", "pp-pick-description", shown.description));
      var badge = el("span", "pp-pick-order");
      badge.setAttribute("aria-hidden", "true");
      item.appendChild(box);
      item.appendChild(label);
      item.appendChild(badge);
      list.appendChild(item);
    });
    var text = el("p", "pp-pick-disclosure");
    text.setAttribute("data-template", data.disclosure);
    text.setAttribute("data-placeholder", data.placeholder);
    text.setAttribute("aria-live", "polite");
    var status = el("p", "pp-pick-status");
    status.setAttribute("role", "status");
    root.appendChild(title);
    root.appendChild(list);
    root.appendChild(text);
    root.appendChild(status);
    element.textContent = "";
    element.appendChild(root);
    return wire(root);
  }

  function styles(base) {
    if (document.querySelector("link[data-pickpost-pick]")) return;
    var link = el("link");
    link.rel = "stylesheet";
    link.href = base + "/pick.css";
    link.setAttribute("data-pickpost-pick", "");
    // First in <head>: the publisher's own rules for the same classes win.
    document.head.insertBefore(link, document.head.firstChild);
  }

  function call(url, body) {
    var init = body === undefined ? {} : {
      method: "POST",
      // text/plain keeps it a simple request (no preflight); the body is JSON.
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body)
    };
    return fetch(url, init).then(function (response) {
      return response.json().then(function (answer) {
        if (answer.code !== 0) throw answer;
        return answer;
      });
    });
  }

  function mount(element, options) {
    var base = (options.base || origin).replace(/\/$/, "");
    var url = base + "/pick/" + encodeURIComponent(options.token);
    var onError = options.onError || function () {};
    var widget = null;
    var recorded = null;
    if (options.styles !== false) styles(base);
    function fail(error) {
      var answer = error && error.code ? error : { code: 0, message: "Pickpost could not be reached" };
      if (widget) widget.status.textContent = answer.message;
      onError(answer);
      throw answer;
    }
    function fill(form, ids) {
      var name = options.input || "lp_consent_bids";
      var input = form.querySelector('input[name="' + name + '"]');
      if (!input) {
        input = el("input");
        input.type = "hidden";
        input.name = name;
        form.appendChild(input);
      }
      input.value = ids.join(",");
    }
    function submit() {
      if (recorded) return Promise.resolve(recorded);
      if (!widget) return Promise.reject({ code: 0, message: "the bids are not shown yet" });
      var body = { picked: widget.picked(), disclosure: widget.disclosure(), page_url: location.href };
      return call(url + "/submit", body).then(function (answer) {
        recorded = answer;
        if (options.form) fill(options.form, answer.lp_consent_bids);
        if (options.onPicked) options.onPicked(answer);
        return answer;
      }, fail);
    }
    var ready = call(url + "/bids").then(function (data) {
      widget = render(element, data);
      return data;
    }, fail);
    if (options.form) {
      options.form.addEventListener("submit", function (event) {
        if (recorded) return;
        event.preventDefault();
        submit().then(function () { options.form.submit(); }, function () {});
      });
    }
    return {
      ready: ready,
      submit: submit,
      picked: function () { return widget ? widget.picked() : []; }
    };
  }

  function enhance(root) {
    var widget = wire(root);
    root.closest("form").addEventListener("submit", function (event) {
      if (!widget.picked().length) {
        event.preventDefault();
        widget.status.textContent = "Pick at least one company, or leave this page.";
      }
    });
    return widget;
  }

  window.PickpostPick = { mount: mount, enhance: enhance, joinNames: joinNames };
  if (script && script.hasAttribute("data-enhance")) {
    document.addEventListener("DOMContentLoaded", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".pp-pick[data-hosted]"), enhance);
    });
  }
})();
