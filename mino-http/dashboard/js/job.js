// One job: extracted value next to ground truth per field with its verdict (ground truth
// editable), every session with its log, error and screenshot.

import { api } from "./api.js";
import { h, replace, pill, when, errorBox } from "./dom.js";

export async function page(root, [id]) {
  const { job, sessions } = await api.get(`/api/jobs/${id}`);
  const message = h("div");
  const verdicts = new Map(((job.evaluation && job.evaluation.fields) || []).map((f) => [f.field, f]));
  const names = [...new Set([...Object.keys(job.extraction || {}), ...Object.keys(job.ground_truth || {})])];
  const rows = names.map((name) => {
    const input = h("input", { value: job.ground_truth[name] || "", "aria-label": `ground truth of ${name}` });
    const v = verdicts.get(name);
    const got = job.extraction ? job.extraction[name] : undefined;
    return h("tr", {},
      h("td", {}, name),
      h("td", { "data-testid": "extracted" }, got === undefined || got === null ? "—" : String(got)),
      h("td", {}, input),
      h("td", {}, v ? pill(v.passed ? "pass" : "fail") : "—", v ? h("span", { class: "muted" }, ` ${v.comparator} ${v.score.toFixed(2)}`) : ""),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: async () => {
        try { await api.patch(`/api/jobs/${id}`, { ground_truth: { [name]: input.value } }); page(root, [id]); }
        catch (err) { replace(message, errorBox(err)); }
      } }, "Save")));
  });
  const sessionCards = sessions.slice().reverse().map((s) => h("div", { class: "card" },
    h("h2", {}, `Attempt ${s.attempt} `, pill(s.status), h("span", { class: "muted" }, ` ${when(s.started_at)} · worker ${s.worker_id}`)),
    s.final_url ? h("p", { class: "mono" }, `ended on ${s.final_url}`) : "",
    s.error ? h("div", { class: "error-box" }, `${s.error.kind}: ${s.error.message}`) : "",
    s.usage && (s.usage.tokens_in || s.usage.cost_usd) ? h("p", { class: "muted" }, `${s.usage.tokens_in + s.usage.tokens_out} tokens, $${s.usage.cost_usd.toFixed(4)}`) : "",
    s.screenshot ? h("img", { class: "shot", src: `/api/artifacts/${s.screenshot}`, alt: "screenshot of the page", "data-testid": "screenshot" }) : "",
    h("div", { class: "log" }, (s.log || []).map((l) => h("div", { class: l.level }, `${new Date(l.at).toLocaleTimeString()} ${l.level.padEnd(5)} ${l.message}`)))));
  replace(root,
    h("p", {}, h("a", { href: `#/batches/${job.batch_id}/jobs` }, "← jobs")),
    h("h1", { "data-testid": "job-title" }, h("span", { class: "mono" }, job.site_url || "(no site)"), " ", pill(job.status), " ", job.accuracy ? pill(job.accuracy) : ""),
    job.invalid_reason ? h("div", { class: "error-box" }, job.invalid_reason) : "",
    job.last_error ? h("div", { class: "error-box" }, job.last_error) : "",
    h("h2", {}, "Extracted vs ground truth"),
    h("table", { "data-testid": "fields" }, h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Extracted"), h("th", {}, "Ground truth"), h("th", {}, "Verdict"), h("th", {}))), h("tbody", {}, rows)),
    message,
    h("h2", {}, "Inputs"),
    h("table", {}, h("tbody", {}, Object.entries(job.inputs || {}).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v))))),
    h("h2", {}, `Sessions (${sessions.length})`),
    sessions.length ? sessionCards : h("p", { class: "muted" }, "Not run yet."));
}
