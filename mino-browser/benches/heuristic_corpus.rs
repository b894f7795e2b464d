//! The heuristic agent on real Chromium over the fixture corpus: accuracy per field and time
//! per page, beside the pure extraction without a browser.
//!
//! Each site of the corpus (`tests/fixtures/sites/<site>/`) is served from memory at the root
//! of its own 127.0.0.1 port, so the pages whose content a script writes (`needs_js`) render
//! too and links resolve as on a real site. `expected.csv` goes through MINO's own CSV ingest (`site` column, `gt_*` ground
//! truth), each row runs through `HeuristicAgent::run` on a `ChromiumDriver` session with the
//! default settings, and the values are scored by `JobEvaluator` with the fields' types (the
//! comparators a project uses: number, date, e-mail, phone, folded text). The nine fields and
//! their descriptions are those of `mino-core/tests/heuristic_corpus.rs`.
//!
//! Times, per page, p50 and p95 over all repetitions:
//! - `agent.run` on Chromium (navigation, HTML, a followed link when a field is missing, the
//!   final screenshot), and the whole session (open → run → close);
//! - the same with the screenshot turned off, to separate its cost;
//! - `extract_site` on the pages that need no JavaScript, with the HTML and followed links
//!   read from memory: the extraction alone. Its share of the agent's time on the same pages
//!   shows what the browser costs.
//!
//! Run: `cargo bench -p mino-browser --bench heuristic_corpus`. Needs Chromium (`MINO_CHROME`
//! or on `PATH`). `MINO_BENCH_REPS` (default 3) sets the passes over the corpus per
//! configuration; `MINO_BENCH_MISSES=1` lists every cell the agent got wrong.

#[path = "support/bench_env.rs"]
mod bench_env;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bench_env::load_average;
use mino_browser::chrome::find_chromium;
use mino_browser::{ChromiumConfig, ChromiumDriver};
use mino_core::agent::heuristic::{extract_site, HeuristicAgent, HeuristicSettings};
use mino_core::agent::{Agent, AgentTask};
use mino_core::browser::{BrowserDriver, SessionOptions};
use mino_core::evaluation::JobEvaluator;
use mino_core::ingest::{analyze, CsvSource, IngestOptions};
use mino_core::model::{Evaluation, Extraction, NewJob, OutputField, ProjectSettings};

/// Calls of the pure extraction per page and repetition: it takes well under a millisecond,
/// so a few calls per page give stable percentiles.
const PURE_CALLS: usize = 20;
const TARGET_ACCURACY: f64 = 0.95;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/sites")
        .canonicalize()
        .expect("the fixture corpus exists")
}

/// The task every corpus site is run with (`task.json` beside `expected.csv`): the
/// instructions and the output fields, whose types and descriptions steer the agent.
#[derive(serde::Deserialize)]
struct CorpusTask {
    instructions: String,
    output_fields: Vec<OutputField>,
}

fn corpus_task() -> CorpusTask {
    let text = std::fs::read_to_string(corpus_dir().join("task.json")).expect("task.json");
    serde_json::from_str(&text).expect("task.json is a corpus task")
}

/// The HTML files of one site folder by file name (`index.html`, `contact.html`).
type SiteFiles = HashMap<String, String>;

/// Every site folder of the corpus with its HTML files.
fn load_corpus(root: &Path) -> Vec<(String, SiteFiles)> {
    let mut sites = Vec::new();
    for site in std::fs::read_dir(root).expect("corpus dir").flatten() {
        if !site.path().is_dir() {
            continue;
        }
        let mut files = SiteFiles::new();
        for file in std::fs::read_dir(site.path()).expect("site dir").flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "html") {
                let html = std::fs::read_to_string(&path).expect("a readable page");
                files.insert(file.file_name().to_string_lossy().into_owned(), html);
            }
        }
        sites.push((site.file_name().to_string_lossy().into_owned(), files));
    }
    sites
}

async fn serve_file(State(files): State<Arc<SiteFiles>>, uri: Uri) -> Response {
    match files.get(uri.path().trim_start_matches('/')) {
        Some(html) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html.clone(),
        )
            .into_response(),
        // Links to `/about`, `/privacy` and the like lead nowhere, as they do from `file://`.
        None => (StatusCode::NOT_FOUND, "not in the corpus").into_response(),
    }
}

/// Serves one site at the root of its own origin (`http://127.0.0.1:<port>/index.html`), as
/// a real site is. Serving the corpus folder as one root would put the site's folder name
/// into every link's path, and the agent reads link paths: `saas-contact-ledgerly/pricing.html`
/// would promise contact details like `contact.html` does.
async fn serve(files: SiteFiles) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local addr");
    let router = Router::new()
        .fallback(serve_file)
        .with_state(Arc::new(files));
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("corpus server");
    });
    format!("http://{addr}/")
}

/// One row of the corpus, ready to run.
struct Site {
    /// Path below the corpus root.
    path: String,
    needs_js: bool,
    task: AgentTask,
    job: NewJob,
}

/// Reads `expected.csv` with MINO's ingest and points each row at the local server.
fn sites(root: &Path, origins: &HashMap<String, String>, corpus: &CorpusTask) -> Vec<Site> {
    let options = IngestOptions::default()
        .with_site_column("site")
        .with_base_dir(root);
    let plan = analyze(&CsvSource::path(root.join("expected.csv")), &options).expect("ingest");
    let root_url = url_of_dir(root);
    plan.rows()
        .expect("rows")
        .map(|row| {
            let job = row.expect("a valid row");
            assert!(job.invalid_reason.is_none(), "{:?}", job.invalid_reason);
            // Ingest made the relative site a file:// URL inside the corpus; serve it instead.
            let path = job
                .site_url
                .strip_prefix(&root_url)
                .unwrap_or_else(|| panic!("{} is inside {root_url}", job.site_url))
                .to_owned();
            let needs_js = job.inputs.get("needs_js").is_some_and(|v| v == "true");
            let (dir, file) = path.split_once('/').expect("a page inside a site folder");
            let task = AgentTask {
                instructions: corpus.instructions.clone(),
                site_url: format!("{}{file}", origins[dir]),
                inputs: job.inputs.clone(),
                output_fields: corpus.output_fields.clone(),
            };
            Site {
                path,
                needs_js,
                task,
                job,
            }
        })
        .collect()
}

/// `file:///…/sites/` for the corpus root. The corpus lives under plain ASCII paths, which a
/// `file://` URL spells as they are (ingest builds its URLs with `Url::from_file_path`).
fn url_of_dir(dir: &Path) -> String {
    format!("file://{}/", dir.display())
}

/// Cells and passes per field, in field order.
#[derive(Default, Clone)]
struct Tally {
    per_field: Vec<(String, usize, usize)>,
}

impl Tally {
    fn new(fields: &[OutputField]) -> Tally {
        Tally {
            per_field: fields.iter().map(|f| (f.name.clone(), 0, 0)).collect(),
        }
    }

    fn add(&mut self, evaluation: &Evaluation) {
        for fe in &evaluation.fields {
            if let Some(entry) = self.per_field.iter_mut().find(|(n, _, _)| *n == fe.field) {
                entry.1 += 1;
                entry.2 += usize::from(fe.passed);
            }
        }
    }

    fn total(&self) -> (usize, usize) {
        self.per_field
            .iter()
            .fold((0, 0), |(n, ok), (_, c, p)| (n + c, ok + p))
    }

    fn cell(&self, i: usize) -> String {
        let (_, n, ok) = &self.per_field[i];
        percent(*ok, *n)
    }
}

fn percent(ok: usize, n: usize) -> String {
    if n == 0 {
        "—".to_owned()
    } else {
        format!("{ok}/{n} {:5.1}%", 100.0 * ok as f64 / n as f64)
    }
}

/// Nearest-rank percentile.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Timings of one path, sorted when reported.
struct Timings {
    label: String,
    samples: Vec<Duration>,
}

impl Timings {
    fn new(label: &str) -> Timings {
        Timings {
            label: label.to_owned(),
            samples: Vec::new(),
        }
    }

    fn print(&mut self) -> (Duration, Duration) {
        self.samples.sort();
        let (p50, p95) = (pct(&self.samples, 50.0), pct(&self.samples, 95.0));
        println!(
            "  {:<52} {:>6} {:>10.2} {:>10.2}",
            self.label,
            self.samples.len(),
            ms(p50),
            ms(p95)
        );
        (p50, p95)
    }
}

/// One pass of the agent over the corpus; returns its evaluations in site order.
async fn agent_pass(
    driver: &ChromiumDriver,
    agent: &HeuristicAgent,
    evaluator: &JobEvaluator,
    sites: &[Site],
    run_all: &mut Timings,
    run_static: &mut Timings,
    session_all: &mut Timings,
) -> Vec<(Evaluation, Extraction)> {
    let mut out = Vec::with_capacity(sites.len());
    for site in sites {
        let opened = Instant::now();
        let mut session = driver
            .open(SessionOptions::default())
            .await
            .expect("open a session");
        let started = Instant::now();
        let outcome = agent
            .run(&site.task, session.as_mut())
            .await
            .unwrap_or_else(|err| panic!("{}: {err}", site.path));
        let ran = started.elapsed();
        session.close().await.expect("close");
        session_all.samples.push(opened.elapsed());
        run_all.samples.push(ran);
        if !site.needs_js {
            run_static.samples.push(ran);
        }
        let evaluation = evaluator.evaluate(&site.job.ground_truth, Some(&outcome.values));
        out.push((evaluation, outcome.values));
    }
    out
}

#[tokio::main]
async fn main() {
    let Some(executable) = find_chromium() else {
        eprintln!("heuristic_corpus: no Chromium found (set MINO_CHROME); nothing measured");
        return;
    };
    let reps = std::env::var("MINO_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(3);
    let show_misses = std::env::var("MINO_BENCH_MISSES").is_ok_and(|v| v == "1");
    let root = corpus_dir();
    // Every page by the URL it is served at, for the pure extraction; each site's origin.
    let mut pages: HashMap<String, String> = HashMap::new();
    let mut origins: HashMap<String, String> = HashMap::new();
    for (dir, files) in load_corpus(&root) {
        let origin = serve(files.clone()).await;
        pages.extend(
            files
                .into_iter()
                .map(|(file, html)| (format!("{origin}{file}"), html)),
        );
        origins.insert(dir, origin);
    }
    let corpus = corpus_task();
    let fields = corpus.output_fields.clone();
    let sites = sites(&root, &origins, &corpus);
    let evaluator =
        JobEvaluator::new(&fields, &ProjectSettings::default()).expect("valid comparators");
    let static_count = sites.iter().filter(|s| !s.needs_js).count();
    println!(
        "heuristic_corpus: {} sites ({} need JavaScript), each on its own 127.0.0.1 port, {reps} passes per configuration, {}, load average {}",
        sites.len(),
        sites.len() - static_count,
        executable.display(),
        load_average()
    );

    let driver = ChromiumDriver::new(ChromiumConfig::local().executable(&executable));
    let with_shot = HeuristicAgent::new(HeuristicSettings::default()).expect("default settings");
    let without_shot = HeuristicAgent::new(HeuristicSettings {
        screenshot: false,
        ..HeuristicSettings::default()
    })
    .expect("valid settings");

    // Warm-up: launch the browser and run the agent once before timing.
    {
        let mut session = driver
            .open(SessionOptions::default())
            .await
            .expect("open a session");
        with_shot
            .run(&sites[0].task, session.as_mut())
            .await
            .expect("warm-up run");
        session.close().await.expect("close");
    }

    let mut run_all = Timings::new("agent.run on Chromium, all pages");
    let mut run_static = Timings::new("agent.run on Chromium, pages without JS");
    let mut session_all = Timings::new("open + agent.run + close, all pages");
    let mut run_all_ns = Timings::new("agent.run without screenshot, all pages");
    let mut run_static_ns = Timings::new("agent.run without screenshot, pages without JS");
    let mut session_all_ns = Timings::new("open + run + close without screenshot, all pages");
    let mut browser_results: Option<Vec<(Evaluation, Extraction)>> = None;
    let mut unstable = 0;
    for rep in 0..reps {
        // Alternate which configuration goes first, against warm-up and drift.
        let order: [bool; 2] = if rep % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for screenshot in order {
            let results = if screenshot {
                agent_pass(
                    &driver,
                    &with_shot,
                    &evaluator,
                    &sites,
                    &mut run_all,
                    &mut run_static,
                    &mut session_all,
                )
                .await
            } else {
                agent_pass(
                    &driver,
                    &without_shot,
                    &evaluator,
                    &sites,
                    &mut run_all_ns,
                    &mut run_static_ns,
                    &mut session_all_ns,
                )
                .await
            };
            // The agent is deterministic: every pass must extract the same values.
            match &browser_results {
                None => browser_results = Some(results),
                Some(first) => {
                    unstable += first
                        .iter()
                        .zip(&results)
                        .filter(|((_, a), (_, b))| a != b)
                        .count();
                }
            }
        }
    }
    let browser_results = browser_results.expect("at least one pass");

    // The pure extraction: same tasks and URLs, pages and followed links from memory.
    let fetch = |url: &str| pages.get(url).cloned();
    let max_follow = HeuristicSettings::default().max_follow_links;
    let mut pure = Timings::new("extract_site without a browser, pages without JS");
    let mut pure_results = Vec::new();
    for rep in 0..reps {
        for site in sites.iter().filter(|s| !s.needs_js) {
            let html = &pages[&site.task.site_url];
            for call in 0..PURE_CALLS {
                let started = Instant::now();
                let extraction =
                    extract_site(&site.task, html, &site.task.site_url, max_follow, fetch);
                pure.samples.push(started.elapsed());
                std::hint::black_box(&extraction);
                if rep == 0 && call == 0 {
                    pure_results
                        .push(evaluator.evaluate(&site.job.ground_truth, Some(&extraction.values)));
                }
            }
        }
    }

    let mut browser_all = Tally::new(&fields);
    let mut browser_static = Tally::new(&fields);
    let mut browser_js = Tally::new(&fields);
    let mut pure_tally = Tally::new(&fields);
    let mut misses = Vec::new();
    for (site, (evaluation, _)) in sites.iter().zip(&browser_results) {
        browser_all.add(evaluation);
        if site.needs_js {
            browser_js.add(evaluation);
        } else {
            browser_static.add(evaluation);
        }
        for fe in evaluation.fields.iter().filter(|f| !f.passed) {
            misses.push(format!(
                "  {:<40} {:<8} want {:?} got {:?}",
                site.path, fe.field, fe.expected, fe.actual
            ));
        }
    }
    for evaluation in &pure_results {
        pure_tally.add(evaluation);
    }

    println!();
    println!("accuracy per field (MINO's comparators by field type; cells passed / evaluated):");
    println!(
        "  {:<8} {:>16} {:>16} {:>16} {:>16}",
        "field", "agent, all", "agent, no JS", "agent, JS pages", "pure, no JS"
    );
    for (i, f) in fields.iter().enumerate() {
        println!(
            "  {:<8} {:>16} {:>16} {:>16} {:>16}",
            f.name,
            browser_all.cell(i),
            browser_static.cell(i),
            browser_js.cell(i),
            pure_tally.cell(i)
        );
    }
    let overall = |t: &Tally| {
        let (n, ok) = t.total();
        (percent(ok, n), ok as f64 / n.max(1) as f64)
    };
    let (all_text, all_rate) = overall(&browser_all);
    println!(
        "  {:<8} {:>16} {:>16} {:>16} {:>16}",
        "overall",
        all_text,
        overall(&browser_static).0,
        overall(&browser_js).0,
        overall(&pure_tally).0
    );
    println!(
        "  target >= {:.0}% on Chromium: {}; passes with other values than the first: {unstable}",
        100.0 * TARGET_ACCURACY,
        if all_rate >= TARGET_ACCURACY {
            "met"
        } else {
            "NOT met"
        },
    );
    if show_misses {
        println!("misses of the agent on Chromium:");
        for m in &misses {
            println!("{m}");
        }
    } else {
        println!(
            "  {} cells missed (MINO_BENCH_MISSES=1 lists them)",
            misses.len()
        );
    }

    println!();
    println!("time per page (ms):");
    println!("  {:<52} {:>6} {:>10} {:>10}", "path", "n", "p50", "p95");
    run_all.print();
    let (agent_p50, agent_p95) = run_static.print();
    session_all.print();
    run_all_ns.print();
    let (agent_ns_p50, _) = run_static_ns.print();
    session_all_ns.print();
    let (pure_p50, pure_p95) = pure.print();
    let share =
        |agent: Duration, pure: Duration| 100.0 * (1.0 - pure.as_secs_f64() / agent.as_secs_f64());
    println!(
        "  browser's share of agent.run on pages without JS: {:.1}% at p50, {:.1}% at p95 ({:.1}% at p50 without the screenshot)",
        share(agent_p50, pure_p50),
        share(agent_p95, pure_p95),
        share(agent_ns_p50, pure_p50),
    );
    println!("  load average at the end {}", load_average());
    driver.shutdown().await;
}
