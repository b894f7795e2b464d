// Building DOM nodes without ever parsing HTML: every string becomes a text node, so text
// that came from a website or a CSV can never become markup or script.

/** Creates an element. `attrs`: `class`, `on<event>` handlers, `dataset`, other attributes. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** Creates an SVG element. */
export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key === "value" && "value" in node) {
      node.value = value;
    } else if (key === "checked") {
      node.checked = Boolean(value);
    } else if (key === "href" || key === "src") {
      node.setAttribute(key, safeUrl(String(value)));
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

/** Appends a child or a (nested) list of children: nodes as they are, anything else as text. */
export function append(node, children) {
  const list = Array.isArray(children) ? children.flat(Infinity) : [children];
  for (const child of list) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** Only http(s), relative, hash and data:image URLs; anything else (javascript:…) is dropped. */
export function safeUrl(url) {
  const trimmed = url.trim();
  if (/^(https?:|\/|#|\?|data:image\/(jpeg|png);)/i.test(trimmed)) return trimmed;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return trimmed;
  return "#";
}

/** A status or verdict pill. */
export function pill(text) {
  return h("span", { class: `pill ${String(text || "").replace(/[^a-z_]/g, "")}` }, text ?? "—");
}

/** A short, local date and time. */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** Seconds as `1h 2m 3s`. */
export function duration(secs) {
  if (secs === null || secs === undefined) return "—";
  const s = Math.max(0, Math.round(secs));
  const hrs = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return hrs ? `${hrs}h ${m}m` : m ? `${m}m ${sec}s` : `${sec}s`;
}

/** A percentage from 0–1, or a dash. */
export function pct(x) {
  return x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;
}

/** A box showing an API error. */
export function errorBox(err) {
  const code = err && err.code ? `${err.code}: ` : "";
  return h("div", { class: "error-box", role: "alert" }, code, err && err.message ? err.message : String(err));
}

/** A labelled form control. */
export function field(label, control) {
  return h("label", {}, label, control);
}
