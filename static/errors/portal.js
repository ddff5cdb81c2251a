/* The error portal's script. Every page works without it; with it:
   - "/" focuses the search box,
   - every code block gets a copy button,
   - search boxes suggest codes as you type (an ARIA 1.2 combobox with a listbox popup).
   No inline script anywhere: a Content Security Policy can forbid it. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;

  /* "/" focuses the search box, unless the user is typing somewhere already. */
  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function mainSearchInput() {
    return document.getElementById("search-q") ||
      document.getElementById("home-search-input") ||
      document.getElementById("site-search-input");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var input = mainSearchInput();
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  /* Copy buttons on code blocks. The Clipboard API needs a secure context, which an
     internal portal on plain http often is not: fall back to a selection and execCommand. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function addCopyButton(pre) {
    var holder = pre.closest(".highlight") || pre;
    if (holder.querySelector(":scope > .copy-button")) return;
    if (holder === pre) {
      var wrapper = document.createElement("div");
      wrapper.className = "code-block";
      pre.parentNode.insertBefore(wrapper, pre);
      wrapper.appendChild(pre);
      holder = wrapper;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code to the clipboard");
    button.addEventListener("click", function () {
      copyText(pre.innerText.replace(/\n$/, "")).then(function () {
        showCopyState(button, "copied", "Copied");
      }, function () {
        showCopyState(button, "failed", "Press Ctrl+C");
        var range = document.createRange();
        range.selectNodeContents(pre);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    });
    holder.appendChild(button);
  }

  function showCopyState(button, state, label) {
    button.dataset.state = state;
    button.textContent = label;
    announce(state === "copied" ? "Copied to the clipboard" : "Copy failed: the code is selected, press Ctrl+C");
    window.clearTimeout(button._reset);
    button._reset = window.setTimeout(function () {
      delete button.dataset.state;
      button.textContent = "Copy";
    }, 2000);
  }

  /* One polite live region for the whole page: copy feedback and suggestion counts. */
  var liveRegion = null;
  function announce(message) {
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("role", "status");
      liveRegion.setAttribute("aria-live", "polite");
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    window.setTimeout(function () { liveRegion.textContent = message; }, 50);
  }

  /* Search as you type. */
  var comboCount = 0;

  function Combobox(form, input) {
    comboCount += 1;
    this.form = form;
    this.input = input;
    this.url = form.getAttribute("data-suggest-url");
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.request = 0;

    var holder = input.closest(".combobox");
    if (!holder) {
      holder = document.createElement("div");
      holder.className = "combobox";
      input.parentNode.insertBefore(holder, input);
      holder.appendChild(input);
    }
    this.list = document.createElement("ul");
    this.list.id = "suggest-list-" + comboCount;
    this.list.className = "suggest-list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Suggested error codes");
    this.list.hidden = true;
    holder.appendChild(this.list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);

    var self = this;
    input.addEventListener("input", function () { self.schedule(); });
    input.addEventListener("keydown", function (event) { self.onKey(event); });
    input.addEventListener("blur", function () {
      window.setTimeout(function () { self.close(); }, 150);
    });
    this.list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) self.go(Number(option.dataset.index));
    });
  }

  Combobox.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.fetch(); }, DEBOUNCE_MS);
  };

  Combobox.prototype.fetch = function () {
    var text = this.input.value.trim();
    var self = this;
    if (text.length < 2) { this.close(); return; }
    var ticket = ++this.request;
    window.fetch(this.url + "?q=" + encodeURIComponent(text), {
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      if (ticket !== self.request) return; // a newer request answered later
      self.render(data.results || [], data.total || 0, data.total_is_lower_bound);
    }).catch(function () {
      if (ticket === self.request) self.close();
    });
  };

  Combobox.prototype.render = function (results, total, totalIsLowerBound) {
    var list = this.list;
    list.textContent = "";
    this.options = results;
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    if (!results.length) {
      this.close();
      announce("No suggestions");
      return;
    }
    results.forEach(function (item, index) {
      var option = document.createElement("li");
      option.id = list.id + "-" + index;
      option.className = "suggest-option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.index = String(index);
      var code = document.createElement("code");
      code.textContent = item.code;
      var title = document.createElement("span");
      title.className = "suggest-title";
      title.textContent = (item.http_status ? item.http_status + " · " : "") + item.title;
      var service = document.createElement("span");
      service.className = "suggest-service";
      service.textContent = item.service_name;
      option.appendChild(code);
      option.appendChild(title);
      option.appendChild(service);
      list.appendChild(option);
    });
    list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    announce(results.length + " suggestion" + (results.length === 1 ? "" : "s") +
      (total > results.length ? " of " + total + (totalIsLowerBound ? " or more" : "") : "") +
      ", use the arrow keys");
  };

  Combobox.prototype.close = function () {
    // Suggestions still on their way (a pause not yet over, an answer not yet in) would
    // open the list again after Escape, Tab or leaving the box.
    window.clearTimeout(this.timer);
    this.request++;
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combobox.prototype.isOpen = function () { return !this.list.hidden; };

  Combobox.prototype.move = function (step) {
    var count = this.options.length;
    if (!count) return;
    var next = this.active + step;
    if (next < 0) next = count - 1;
    if (next >= count) next = 0;
    this.highlight(next);
  };

  Combobox.prototype.highlight = function (index) {
    var items = this.list.querySelectorAll("[role=option]");
    items.forEach(function (item) { item.setAttribute("aria-selected", "false"); });
    this.active = index;
    var item = items[index];
    if (!item) return;
    item.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", item.id);
    item.scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.go = function (index) {
    var item = this.options[index];
    if (item) window.location.assign(item.url);
  };

  Combobox.prototype.onKey = function (event) {
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!this.isOpen()) { this.fetch(); return; }
        this.move(1);
        break;
      case "ArrowUp":
        if (!this.isOpen()) return;
        event.preventDefault();
        this.move(-1);
        break;
      case "Enter":
        // With an option chosen, Enter opens it; otherwise the form submits as usual.
        if (this.isOpen() && this.active >= 0) {
          event.preventDefault();
          this.go(this.active);
        }
        break;
      case "Escape":
        if (this.isOpen()) {
          event.preventDefault();
          this.close();
        } else if (this.input.value) {
          event.preventDefault();
          this.input.value = "";
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  // issue 14: the filter box over a service's codes, without reloading the page. Every
  // row carries its code, words, status and messages in data-filter; a table whose rows
  // all hide hides with them.
  function CodeFilter(box) {
    var input = box.querySelector("input");
    var count = box.querySelector("[aria-live]");
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-filter]"));
    var sections = Array.prototype.slice.call(document.querySelectorAll("[data-filter-section]"));
    var empty = document.querySelector("[data-filter-empty]");
    box.hidden = false;
    function apply() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.getAttribute("data-filter");
        var match = terms.every(function (term) { return text.indexOf(term) !== -1; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      sections.forEach(function (section) {
        var left = section.querySelectorAll("tr[data-filter]:not([hidden])").length;
        section.hidden = !left;
        // The contents follow: each table's count is of its codes shown, and a table
        // with none shown leaves the list as it leaves the page.
        var entry = document.querySelector('[data-toc-for="' + section.id + '"]');
        var counted = entry && entry.querySelector(".count");
        if (!counted) return;
        if (!counted.hasAttribute("data-all")) counted.setAttribute("data-all", counted.textContent);
        counted.textContent = terms.length ? String(left) : counted.getAttribute("data-all");
        entry.hidden = !left;
      });
      if (empty) empty.hidden = shown !== 0;
      count.textContent = terms.length ? shown + " of " + rows.length + " codes match." : "";
    }
    input.addEventListener("input", apply);
    if (input.value) apply();
  }

  function start() {
    document.querySelectorAll("[data-code-filter]").forEach(function (box) { new CodeFilter(box); });
    document.querySelectorAll(".highlight pre, pre.details-shape").forEach(addCopyButton);
    document.querySelectorAll("form[data-suggest-url]").forEach(function (form) {
      var input = form.querySelector("input[name=q]");
      if (input) new Combobox(form, input);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
