// Live Markdown preview for the editors' admin.
// Every <textarea data-markdown-preview="URL"> gets a panel beside it showing the HTML
// that the site's own renderer (errors.markdown.render_markdown) makes of it. The server
// sanitises that HTML with nh3, so it is inserted as it comes.
"use strict";
(function () {
  const DELAY_MS = 300;
  const timers = new WeakMap();

  function csrfToken(textarea) {
    const form = textarea.form || document;
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function panelFor(textarea) {
    if (textarea.closest(".errors-preview-pair")) {
      return textarea.closest(".errors-preview-pair").querySelector(".errors-preview");
    }
    const pair = document.createElement("div");
    pair.className = "errors-preview-pair";
    textarea.parentNode.insertBefore(pair, textarea);
    pair.appendChild(textarea);
    const panel = document.createElement("div");
    panel.className = "errors-preview";
    panel.setAttribute("aria-live", "polite");
    panel.setAttribute("aria-label", "Preview");
    panel.dataset.state = "empty";
    pair.appendChild(panel);
    return panel;
  }

  async function render(textarea) {
    const panel = panelFor(textarea);
    if (!textarea.value.trim()) {
      panel.innerHTML = "";
      panel.dataset.state = "empty";
      return;
    }
    const body = new FormData();
    body.append("text", textarea.value);
    panel.dataset.state = "loading";
    try {
      const response = await fetch(textarea.dataset.markdownPreview, {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": csrfToken(textarea) },
        credentials: "same-origin",
      });
      const data = await response.json();
      if (!response.ok) {
        throw new Error(data.error || "The preview failed (" + response.status + ").");
      }
      panel.innerHTML = data.html;
      panel.dataset.state = "ready";
    } catch (error) {
      panel.textContent = error.message;
      panel.dataset.state = "error";
    }
  }

  function schedule(textarea) {
    clearTimeout(timers.get(textarea));
    timers.set(textarea, setTimeout(() => render(textarea), DELAY_MS));
  }

  function isTemplateRow(textarea) {
    return Boolean(textarea.closest(".empty-form")) || textarea.name.includes("__prefix__");
  }

  document.addEventListener("input", (event) => {
    const target = event.target;
    if (target.matches && target.matches("textarea[data-markdown-preview]") && !isTemplateRow(target)) {
      schedule(target);
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("textarea[data-markdown-preview]").forEach((textarea) => {
      if (!isTemplateRow(textarea)) {
        render(textarea);
      }
    });
  });
})();
