// The jobs table of a batch: filters (status, verdict, ground truth, search), cursor paging,
// selection and bulk delete, rerun, reset, cancel and "take extracted values as ground truth".

import { api, qs } from "./api.js";
import { h, replace, pill, errorBox, field } from "./dom.js";

const STATUSES = ["", "pending", "queued", "running", "completed", "failed", "cancelled", "invalid"];

export async function page(root, [batchId], params) {
  const b = await api.get(`/api/batches/${batchId}`);
  const filters = {
    status: params.get("status") || "",
    accuracy: params.get("accuracy") || "",
    has_ground_truth: params.get("has_ground_truth") || "",
    search: params.get("search") || "",
    execution_id: params.get("execution_id") || "",
  };
  const cursors = [""];
  const selected = new Set();
  const message = h("div");
  const table = h("div");
  const pager = h("div", { class: "row" });

  const status = h("select", { "data-testid": "filter-status" }, STATUSES.map((s) => h("option", { value: s }, s || "any status")));
  status.value = filters.status;
  const accuracy = h("select", {}, ["", "pass", "partial", "fail"].map((s) => h("option", { value: s }, s || "any verdict")));
  accuracy.value = filters.accuracy;
  const gt = h("select", {}, h("option", { value: "" }, "with or without"), h("option", { value: "true" }, "with ground truth"), h("option", { value: "false" }, "without ground truth"));
  gt.value = filters.has_ground_truth;
  const search = h("input", { type: "search", placeholder: "site contains…", value: filters.search });

  async function load(cursor) {
    const pageData = await api.get(`/api/batches/${batchId}/jobs${qs({ ...filters, limit: 50, cursor })}`);
    const fields = (b.columns || []).filter((c) => c.role && c.role.kind === "ground_truth").map((c) => c.role.field);
    const all = h("input", { type: "checkbox", onchange: (e) => {
      for (const j of pageData.data) { if (e.target.checked) selected.add(j.id); else selected.delete(j.id); }
      load(cursor);
    } });
    replace(table, h("table", { "data-testid": "jobs-table" },
      h("thead", {}, h("tr", {}, h("th", {}, all), h("th", {}, "Row"), h("th", {}, "Site"), h("th", {}, "Status"), h("th", {}, "Verdict"),
        fields.map((f) => h("th", {}, f)), h("th", {}, "Error"))),
      h("tbody", {}, pageData.data.map((j) => h("tr", {},
        h("td", {}, h("input", { type: "checkbox", checked: selected.has(j.id), onchange: (e) => { if (e.target.checked) selected.add(j.id); else selected.delete(j.id); } })),
        h("td", {}, String(j.row_index + 1)),
        h("td", { class: "mono" }, h("a", { href: `#/jobs/${j.id}`, "data-testid": "job-link" }, j.site_url || j.invalid_reason || "—")),
        h("td", {}, pill(j.status)), h("td", {}, j.accuracy ? pill(j.accuracy) : "—"),
        fields.map((f) => {
          const got = j.extraction ? j.extraction[f] : undefined;
          return h("td", {}, got === undefined || got === null ? "—" : String(got));
        }),
        h("td", { class: "muted" }, j.last_error || ""))))));
    replace(pager,
      h("button", { class: "secondary", type: "button", disabled: cursors.length < 2, onclick: () => { cursors.pop(); load(cursors[cursors.length - 1]); } }, "← Previous"),
      h("span", { class: "muted" }, `page ${cursors.length}`),
      h("button", { class: "secondary", type: "button", disabled: !pageData.next_cursor, onclick: () => { cursors.push(pageData.next_cursor); load(pageData.next_cursor); } }, "Next →"),
      h("span", { class: "muted" }, `${selected.size} selected`));
  }

  const bulk = (label, run, cls) => h("button", { type: "button", class: cls || "secondary", onclick: async () => {
    if (!selected.size) { replace(message, errorBox("Select jobs first.")); return; }
    try {
      const result = await run([...selected]);
      replace(message, h("p", {}, `${label}: ${JSON.stringify(result.affected ?? result.updated ?? "done")}`));
      selected.clear();
      load(cursors[cursors.length - 1]);
    } catch (err) { replace(message, errorBox(err)); }
  } }, label);

  replace(root,
    h("p", {}, h("a", { href: `#/batches/${batchId}` }, "← batch")),
    h("h1", {}, `Jobs of ${b.name}`),
    h("form", { class: "card row", onsubmit: (e) => {
      e.preventDefault();
      location.hash = `#/batches/${batchId}/jobs${qs({ status: status.value, accuracy: accuracy.value, has_ground_truth: gt.value, search: search.value.trim(), execution_id: filters.execution_id })}`;
    } }, field("Status", status), field("Verdict", accuracy), field("Ground truth", gt), field("Search", search), h("button", { type: "submit" }, "Filter")),
    h("div", { class: "row" },
      bulk("Rerun", (ids) => api.post("/api/jobs/bulk/rerun", { job_ids: ids })),
      bulk("Reset to pending", (ids) => api.post("/api/jobs/bulk/update", { job_ids: ids, update: { status: "pending" } })),
      bulk("Cancel", (ids) => api.post("/api/jobs/bulk/update", { job_ids: ids, update: { status: "cancelled" } })),
      bulk("Take extracted values as ground truth", (ids) => api.post(`/api/batches/${batchId}/ground-truth/bulk-set`, { job_ids: ids })),
      bulk("Delete", (ids) => (confirm(`Delete ${ids.length} jobs?`) ? api.post("/api/jobs/bulk/delete", { job_ids: ids }) : Promise.resolve({ affected: 0 })), "danger")),
    message, table, pager);
  await load("");
}
