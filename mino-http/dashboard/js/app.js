// The dashboard's router: `#/…` routes to one page module; a page may return a cleanup
// function (closing its live connection) that runs when the route changes.

import { errorBox, replace, h } from "./dom.js";
import * as projects from "./projects.js";
import * as batch from "./batch.js";
import * as execution from "./execution.js";
import * as jobs from "./jobs.js";
import * as job from "./job.js";
import * as metrics from "./metrics.js";

const ROUTES = [
  [/^\/$/, (m, q) => projects.list],
  [/^\/projects\/([0-9a-f-]{36})$/, () => projects.detail],
  [/^\/batches\/([0-9a-f-]{36})$/, () => batch.page],
  [/^\/batches\/([0-9a-f-]{36})\/jobs$/, () => jobs.page],
  [/^\/batches\/([0-9a-f-]{36})\/metrics$/, () => metrics.page],
  [/^\/executions\/([0-9a-f-]{36})$/, () => execution.page],
  [/^\/jobs\/([0-9a-f-]{36})$/, () => job.page],
];

let cleanup = null;
let generation = 0;

// Script errors are kept (and shown in the header), so a broken page never fails silently.
window.__minoErrors = [];
window.addEventListener("error", (e) => { window.__minoErrors.push(String(e.message)); setStatus(`script error: ${e.message}`); });
window.addEventListener("unhandledrejection", (e) => { window.__minoErrors.push(String(e.reason)); setStatus(`script error: ${e.reason}`); });

async function route() {
  if (cleanup) { try { cleanup(); } catch (_) { /* page already gone */ } cleanup = null; }
  const mine = ++generation;
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  const params = new URLSearchParams(query || "");
  const root = document.getElementById("app");
  for (const [pattern, pick] of ROUTES) {
    const m = path.match(pattern);
    if (!m) continue;
    replace(root, h("p", { class: "muted" }, "Loading…"));
    try {
      const result = await pick()(root, m.slice(1), params);
      if (typeof result === "function") {
        // A page left before it finished loading is closed at once.
        if (mine === generation) cleanup = result; else result();
      }
    } catch (err) {
      replace(root, errorBox(err));
    }
    return;
  }
  replace(root, h("h1", {}, "Not found"), h("a", { href: "#/" }, "Back to projects"));
}

/** Shows a connection state in the header. */
export function setStatus(text) {
  const node = document.getElementById("status");
  if (node) node.textContent = text === "live" ? "" : text;
}

// A module script runs once the document is parsed: render the first route now, the next
// ones when the hash changes.
window.addEventListener("hashchange", route);
route();
