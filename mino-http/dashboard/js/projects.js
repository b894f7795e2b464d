// Projects: the list with a create form; one project with its instructions (edit, version
// history with a diff), its batches with a CSV upload, and its executions.

import { api, qs, upload } from "./api.js";
import { h, replace, when, pill, errorBox, field } from "./dom.js";

/** Output fields written one per line as `name` or `name:type`. */
export function parseFields(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const [name, type] = line.split(":").map((x) => x.trim());
    return type ? { name, type } : { name };
  });
}

function fieldsText(fields) {
  return (fields || []).map((f) => (f.type && f.type !== "text" ? `${f.name}:${f.type}` : f.name)).join("\n");
}

export async function list(root) {
  const page = await api.get("/api/projects?limit=200");
  const name = h("input", { name: "name", placeholder: "Product pages", required: true, "data-testid": "project-name" });
  const instructions = h("textarea", { name: "instructions", placeholder: "What should the agent find on each site?", "data-testid": "project-instructions" });
  const fields = h("textarea", { name: "fields", placeholder: "title\nprice:number\nbrand", "data-testid": "project-fields" });
  const message = h("div");
  const form = h("form", {
    class: "card",
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const project = await api.post("/api/projects", {
          name: name.value, instructions: instructions.value, output_fields: parseFields(fields.value),
        });
        location.hash = `#/projects/${project.id}`;
      } catch (err) { replace(message, errorBox(err)); }
    },
  },
    h("h2", {}, "New project"),
    h("div", { class: "row" }, field("Name", name)),
    field("Instructions", instructions),
    field("Output fields (one per line, name or name:type)", fields),
    message,
    h("button", { type: "submit", "data-testid": "project-create" }, "Create project"));
  const rows = page.data.map((p) => h("tr", {},
    h("td", {}, h("a", { href: `#/projects/${p.id}` }, p.name)),
    h("td", {}, (p.output_fields || []).map((f) => f.name).join(", ")),
    h("td", {}, `v${p.instruction_version}`),
    h("td", {}, when(p.created_at))));
  replace(root,
    h("h1", {}, "Projects"),
    page.data.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Fields"), h("th", {}, "Instructions"), h("th", {}, "Created"))), h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No project yet."),
    form);
}

/** A line diff (longest common subsequence) of two texts. */
export function diffLines(a, b) {
  const x = a.split("\n"), y = b.split("\n");
  const n = x.length, m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([" ", x[i]]); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push(["-", x[i++]]);
    else out.push(["+", y[j++]]);
  }
  while (i < n) out.push(["-", x[i++]]);
  while (j < m) out.push(["+", y[j++]]);
  return out;
}

function versionText(v) {
  return `${v.instructions}\n\nfields: ${(v.output_fields || []).map((f) => f.name).join(", ")}`;
}

export async function detail(root, [id]) {
  const [project, versions, batches, executions] = await Promise.all([
    api.get(`/api/projects/${id}`),
    api.get(`/api/projects/${id}/instructions/versions?limit=500`),
    api.get(`/api/batches${qs({ project_id: id, limit: 200 })}`),
    api.get(`/api/projects/${id}/executions?limit=100`),
  ]);
  const message = h("div");
  const name = h("input", { value: project.name });
  const instructions = h("textarea", { "data-testid": "edit-instructions" });
  instructions.value = project.instructions;
  const fields = h("textarea", {});
  fields.value = fieldsText(project.output_fields);
  const edit = h("form", {
    class: "card",
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api.put(`/api/projects/${id}`, { name: name.value, instructions: instructions.value, output_fields: parseFields(fields.value) });
        detail(root, [id]);
      } catch (err) { replace(message, errorBox(err)); }
    },
  }, h("h2", {}, "Instructions"), field("Name", name), field("Instructions", instructions),
    field("Output fields (one per line, name or name:type)", fields), message,
    h("div", { class: "row" },
      h("button", { type: "submit" }, "Save (new version when instructions or fields change)"),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm("Delete this project with all its batches and jobs?")) return;
        try { await api.del(`/api/projects/${id}`); location.hash = "#/"; } catch (err) { replace(message, errorBox(err)); }
      } }, "Delete project")));

  const diffBox = h("div", { class: "diff card" }, h("span", { class: "muted" }, "Pick a version to see what changed from the one before."));
  const showDiff = (idx) => {
    const cur = versions.data[idx], prev = versions.data[idx - 1];
    const lines = diffLines(prev ? versionText(prev) : "", versionText(cur));
    replace(diffBox, h("b", {}, `v${prev ? prev.version : 0} → v${cur.version}`), h("br"),
      lines.map(([op, text]) => h("div", { class: op === "+" ? "add" : op === "-" ? "del" : "" }, `${op} ${text}`)));
  };
  const versionRows = versions.data.map((v, idx) => h("tr", {},
    h("td", {}, `v${v.version}`), h("td", {}, when(v.created_at)),
    h("td", {}, (v.output_fields || []).map((f) => f.name).join(", ")),
    h("td", {}, h("button", { class: "secondary", type: "button", onclick: () => showDiff(idx) }, "Diff"))));

  const file = h("input", { type: "file", accept: ".csv,.tsv,.txt,text/csv", "data-testid": "batch-file" });
  const batchName = h("input", { placeholder: "(file name)" });
  const progress = h("div", { class: "progress" }, h("div"));
  const uploadMessage = h("div");
  const uploadForm = h("form", {
    class: "card",
    onsubmit: async (e) => {
      e.preventDefault();
      if (!file.files.length) { replace(uploadMessage, errorBox("Choose a CSV file first.")); return; }
      const form = new FormData();
      form.append("project_id", id);
      if (batchName.value.trim()) form.append("name", batchName.value.trim());
      form.append("file", file.files[0]);
      try {
        const created = await upload("/api/batches", form, (p) => { progress.firstChild.style.width = `${Math.round(p * 100)}%`; });
        location.hash = `#/batches/${created.batch.id}`;
      } catch (err) { replace(uploadMessage, errorBox(err)); }
    },
  }, h("h2", {}, "Upload a CSV"), h("div", { class: "row" }, field("File", file), field("Batch name", batchName),
    h("button", { type: "submit", "data-testid": "batch-upload" }, "Upload")), progress, uploadMessage);

  const batchRows = batches.data.map((b) => h("tr", {},
    h("td", {}, h("a", { href: `#/batches/${b.id}` }, b.name)), h("td", {}, String(b.total_rows)),
    h("td", {}, String(b.invalid_rows)), h("td", {}, when(b.created_at))));
  const execRows = executions.data.slice().reverse().map((x) => h("tr", {},
    h("td", {}, h("a", { href: `#/executions/${x.id}` }, x.id.slice(0, 8))), h("td", {}, x.mode),
    h("td", {}, pill(x.status)), h("td", {}, `${x.counts.completed}/${x.total}`), h("td", {}, when(x.created_at))));

  replace(root,
    h("h1", {}, project.name, " ", h("span", { class: "muted" }, `v${project.instruction_version}`)),
    edit,
    h("h2", {}, "Version history"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Version"), h("th", {}, "Created"), h("th", {}, "Fields"), h("th", {}))), h("tbody", {}, versionRows)),
    diffBox,
    h("h2", {}, "Batches"),
    batches.data.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Rows"), h("th", {}, "Invalid"), h("th", {}, "Created"))), h("tbody", {}, batchRows)) : h("p", { class: "muted" }, "No batch yet."),
    uploadForm,
    h("h2", {}, "Executions"),
    executions.data.length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Execution"), h("th", {}, "Mode"), h("th", {}, "Status"), h("th", {}, "Completed"), h("th", {}, "Started"))), h("tbody", {}, execRows)) : h("p", { class: "muted" }, "No execution yet."));
}
