// One batch: its 10-row preview, detected schema (types, site and ground-truth columns),
// counts, starting an execution, its executions, and links to jobs, metrics and exports.

import { api, qs } from "./api.js";
import { h, replace, when, pill, errorBox, field } from "./dom.js";

function role(r) {
  if (!r) return "";
  if (r.kind === "ground_truth") return `ground truth of “${r.field}”`;
  return r.kind;
}

export async function page(root, [id]) {
  const b = await api.get(`/api/batches/${id}`);
  const executions = await api.get(`/api/projects/${b.project_id}/executions${qs({ batch_id: id, limit: 100 })}`);
  const header = b.columns.map((c) => c.name);
  const preview = h("table", {},
    h("thead", {}, h("tr", {}, header.map((c) => h("th", {}, c)))),
    h("tbody", {}, (b.preview || []).map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))));
  const schema = h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Column"), h("th", {}, "Type"), h("th", {}, "Role"), h("th", {}, "Filled"))),
    h("tbody", {}, b.columns.map((c) => h("tr", {}, h("td", {}, c.name), h("td", {}, c.column_type), h("td", {}, role(c.role)), h("td", {}, String(c.non_empty))))));
  const counts = h("div", { class: "stats" }, Object.entries(b.counts).map(([k, v]) => h("div", { class: "stat" }, h("b", {}, String(v)), k)));

  const mode = h("select", { "data-testid": "exec-mode" }, h("option", { value: "test" }, "Test (sample)"), h("option", { value: "production" }, "Production (all rows)"));
  const sample = h("input", { type: "number", min: 10, max: 50, value: 10, "data-testid": "exec-sample" });
  const concurrency = h("input", { type: "number", min: 1, max: 50, value: 5, "data-testid": "exec-concurrency" });
  const message = h("div");
  const start = h("form", {
    class: "card",
    onsubmit: async (e) => {
      e.preventDefault();
      const body = { mode: mode.value, concurrency: Number(concurrency.value) };
      if (mode.value === "test") body.sample_size = Number(sample.value);
      try {
        const x = await api.post(`/api/projects/${b.project_id}/batches/${id}/execute`, body);
        location.hash = `#/executions/${x.id}`;
      } catch (err) { replace(message, errorBox(err)); }
    },
  }, h("h2", {}, "Run"), h("div", { class: "row" }, field("Mode", mode), field("Sample size (10–50)", sample),
    field("Concurrency (1–50)", concurrency), h("button", { type: "submit", "data-testid": "exec-start" }, "Start execution")), message);

  const format = h("select", { "data-testid": "export-format" }, ["csv", "xlsx", "json", "ndjson"].map((f) => h("option", { value: f }, f)));
  const exportLink = h("a", { href: `/api/batches/${id}/export?format=csv`, "data-testid": "export-link", download: "" }, "Download");
  format.addEventListener("change", () => exportLink.setAttribute("href", `/api/batches/${id}/export?format=${format.value}`));

  const execRows = executions.data.slice().reverse().map((x) => h("tr", {},
    h("td", {}, h("a", { href: `#/executions/${x.id}` }, x.id.slice(0, 8))), h("td", {}, x.mode), h("td", {}, pill(x.status)),
    h("td", {}, `${x.counts.completed + x.counts.failed + x.counts.cancelled}/${x.total}`), h("td", {}, when(x.created_at))));

  replace(root,
    h("p", {}, h("a", { href: `#/projects/${b.project_id}` }, "← project")),
    h("h1", {}, b.name),
    h("p", { class: "tabs" }, h("a", { href: `#/batches/${id}/jobs`, "data-testid": "jobs-link" }, "Jobs"), h("a", { href: `#/batches/${id}/metrics` }, "Ground-truth metrics")),
    counts,
    (b.warnings || []).map((w) => h("div", { class: "error-box" }, w)),
    start,
    h("div", { class: "card" }, h("h2", {}, "Export"), h("div", { class: "row" }, field("Format", format), exportLink)),
    h("h2", {}, "Executions"),
    executions.data.length ? h("table", {}, h("tbody", {}, execRows)) : h("p", { class: "muted" }, "Not run yet."),
    h("h2", {}, `Detected schema (site column: ${b.site_url_column})`), schema,
    h("h2", {}, `Preview (first ${(b.preview || []).length} of ${b.total_rows} rows)`), h("div", { style: "overflow:auto" }, preview));
}
