// The execution monitor: live stats (progress bar, counts, ETA, throughput), pause, resume,
// stop, a concurrency slider, a grid of running agents with live browser frames, and a feed
// of job transitions and log lines.

import { api } from "./api.js";
import { h, replace, append, pill, duration, errorBox } from "./dom.js";
import { Live } from "./live.js";
import { setStatus } from "./app.js";

const MAX_CARDS = 6;
const MAX_FEED = 200;

export async function page(root, [id]) {
  const x = await api.get(`/api/executions/${id}`);
  const bar = h("div", { "data-testid": "progress-bar" });
  const figures = h("div", { class: "stats", "data-testid": "stats" });
  const statusNode = h("span", { "data-testid": "exec-status" }, pill(x.status));
  const message = h("div");
  const grid = h("div", { class: "agents", "data-testid": "agents" });
  const feed = h("div", { class: "log", "data-testid": "feed" });
  const cards = new Map();
  const slider = h("input", { type: "range", min: 1, max: 50, value: x.concurrency, "data-testid": "concurrency" });
  const sliderValue = h("b", {}, String(x.concurrency));

  const act = (what) => async () => {
    try { render(await api.post(`/api/executions/${id}/${what}`)); } catch (err) { replace(message, errorBox(err)); }
  };
  const pause = h("button", { type: "button", "data-testid": "pause", onclick: act("pause") }, "Pause");
  const resume = h("button", { type: "button", "data-testid": "resume", onclick: act("resume") }, "Resume");
  const stop = h("button", { type: "button", class: "danger", "data-testid": "stop", onclick: act("stop") }, "Stop");
  slider.addEventListener("input", () => { sliderValue.textContent = slider.value; });
  slider.addEventListener("change", async () => {
    try { render(await api.post(`/api/executions/${id}/concurrency`, { concurrency: Number(slider.value) })); }
    catch (err) { replace(message, errorBox(err)); }
  });

  function render(e) {
    replace(statusNode, pill(e.status));
    pause.disabled = e.status !== "running";
    resume.disabled = e.status !== "paused";
    stop.disabled = !["running", "paused"].includes(e.status);
    slider.disabled = !["running", "paused", "stopping"].includes(e.status);
  }

  function stats(s) {
    bar.style.width = `${Math.round(s.progress * 100)}%`;
    const done = s.counts.completed + s.counts.failed + s.counts.cancelled + s.counts.invalid;
    replace(figures,
      h("div", { class: "stat" }, h("b", { "data-testid": "stat-progress" }, `${Math.round(s.progress * 100)}%`), `${done} of ${s.total} done`),
      h("div", { class: "stat" }, h("b", { "data-testid": "stat-completed" }, String(s.counts.completed)), "completed"),
      h("div", { class: "stat" }, h("b", {}, String(s.counts.running)), "running"),
      h("div", { class: "stat" }, h("b", {}, String(s.counts.queued)), "queued"),
      h("div", { class: "stat" }, h("b", {}, String(s.counts.failed)), "errors"),
      h("div", { class: "stat" }, h("b", {}, duration(s.eta_secs)), "ETA"),
      h("div", { class: "stat" }, h("b", {}, s.throughput_per_min.toFixed(1)), "jobs / min"));
    render({ status: s.status });
    if (document.activeElement !== slider) { slider.value = s.concurrency; sliderValue.textContent = String(s.concurrency); }
  }

  function line(text, cls) {
    append(feed, h("div", { class: cls || "" }, text));
    while (feed.childNodes.length > MAX_FEED) feed.removeChild(feed.firstChild);
    feed.scrollTop = feed.scrollHeight;
  }

  function addCard(jobId, site) {
    if (cards.has(jobId) || cards.size >= MAX_CARDS) return;
    const img = h("img", { alt: "live browser view" });
    const card = h("div", { class: "agent", "data-testid": "agent-card" },
      h("div", { class: "mono" }, h("a", { href: `#/jobs/${jobId}` }, site)), img);
    cards.set(jobId, { card, img });
    grid.append(card);
    live.subscribe({ job_id: jobId });
  }

  function removeCard(jobId) {
    const c = cards.get(jobId);
    if (!c) return;
    c.card.remove();
    cards.delete(jobId);
    live.unsubscribe({ job_id: jobId });
  }

  const live = new Live((msg) => {
    if (msg.type === "snapshot" && msg.stats && msg.execution_id === id && !msg.job_id) stats(msg.stats);
    if (msg.type !== "event") return;
    const ev = msg.event;
    if (msg.execution_id !== id) return;
    switch (ev.type) {
      case "stats": stats(ev); break;
      case "execution_status": render({ status: ev.status }); line(`execution ${ev.status}`); break;
      case "concurrency": line(`concurrency ${ev.concurrency}`); break;
      case "job_transition":
        line(`${ev.site_url}: ${ev.from} → ${ev.to}${ev.error ? ` (${ev.error})` : ""}`, ev.to === "failed" ? "error" : "");
        if (ev.to === "running") addCard(ev.job_id, ev.site_url);
        else removeCard(ev.job_id);
        break;
      case "log": line(`${ev.line.level} ${ev.line.message}`, ev.line.level); break;
      case "frame": {
        const c = cards.get(ev.job_id);
        if (c) c.img.src = `data:image/jpeg;base64,${ev.jpeg}`;
        break;
      }
      default: break;
    }
  }, setStatus);
  live.subscribe({ execution_id: id });

  render(x);
  replace(root,
    h("p", {}, h("a", { href: `#/batches/${x.batch_id}` }, "← batch"), " · ", h("a", { href: `#/batches/${x.batch_id}/jobs?execution_id=${id}` }, "jobs of this execution")),
    h("h1", {}, `Execution ${id.slice(0, 8)} `, statusNode, " ", h("span", { class: "muted" }, `${x.mode}, instructions v${x.instruction_version}`)),
    h("div", { class: "card" },
      h("div", { class: "progress" }, bar), figures,
      h("div", { class: "row", style: "margin-top:.8rem" }, pause, resume, stop,
        h("label", { class: "grow" }, h("span", {}, "Concurrency ", sliderValue), slider)),
      message),
    h("h2", {}, "Running agents"), grid,
    h("h2", {}, "Activity"), feed);
  return () => live.close();
}
