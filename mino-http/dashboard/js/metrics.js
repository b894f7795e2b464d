// Ground-truth metrics of a batch: accuracy per column, the trend across executions as a
// chart, and recording a snapshot.

import { api } from "./api.js";
import { h, s, replace, pct, errorBox } from "./dom.js";

function chart(trend) {
  const W = 640, H = 220, P = 32;
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": "pass rate per execution" });
  svg.append(s("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#cbd2dc" }));
  svg.append(s("line", { x1: P, y1: P, x2: P, y2: H - P, stroke: "#cbd2dc" }));
  svg.append(s("text", { x: 4, y: P + 4, "font-size": 10 }, "100%"), s("text", { x: 10, y: H - P + 4, "font-size": 10 }, "0%"));
  if (!trend.length) {
    svg.append(s("text", { x: W / 2 - 80, y: H / 2, "font-size": 12 }, "No snapshot yet"));
    return svg;
  }
  const step = trend.length > 1 ? (W - 2 * P) / (trend.length - 1) : 0;
  const pts = trend.map((p, i) => [P + i * step, H - P - (p.metrics.pass_rate || 0) * (H - 2 * P)]);
  svg.append(s("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: "#2f6fed", "stroke-width": 2 }));
  pts.forEach(([x, y], i) => {
    svg.append(s("circle", { cx: x, cy: y, r: 4, fill: "#2f6fed" }, s("title", {}, `${i + 1}: ${pct(trend[i].metrics.pass_rate)}`)));
    svg.append(s("text", { x: x - 8, y: H - P + 14, "font-size": 10 }, String(i + 1)));
  });
  return svg;
}

export async function page(root, [batchId]) {
  const d = await api.get(`/api/batches/${batchId}/analytics/dashboard`);
  const m = d.report.metrics;
  const message = h("div");
  const rows = m.columns.map((c) => h("tr", {},
    h("td", {}, c.field), h("td", {}, String(c.evaluated)), h("td", {}, String(c.passed)), h("td", {}, String(c.missing)), h("td", {}, String(c.wrong)),
    h("td", {}, h("div", { class: "bar" }, h("div", { style: `width:${Math.round((c.accuracy || 0) * 100)}%` }))), h("td", {}, pct(c.accuracy))));
  replace(root,
    h("p", {}, h("a", { href: `#/batches/${batchId}` }, "← batch")),
    h("h1", {}, `Ground truth: ${d.batch.name}`),
    h("div", { class: "stats" },
      h("div", { class: "stat" }, h("b", {}, pct(m.pass_rate)), "jobs passing"),
      h("div", { class: "stat" }, h("b", {}, String(m.jobs_evaluated)), "jobs evaluated"),
      h("div", { class: "stat" }, h("b", {}, String(m.jobs_partial)), "partial"),
      h("div", { class: "stat" }, h("b", {}, `$${(m.cost_usd || 0).toFixed(4)}`), "cost")),
    h("h2", {}, "Accuracy per column"),
    h("table", { "data-testid": "column-metrics" }, h("thead", {}, h("tr", {}, ["Field", "Evaluated", "Passed", "Missing", "Wrong", "", "Accuracy"].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    h("h2", {}, "Trend across executions"),
    chart(d.trend || []),
    h("p", {}, h("button", { type: "button", onclick: async () => {
      try { await api.post(`/api/batches/${batchId}/ground-truth/snapshot`, {}); page(root, [batchId]); } catch (err) { replace(message, errorBox(err)); }
    } }, "Record a snapshot now")),
    message);
}
