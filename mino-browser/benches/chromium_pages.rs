//! Chromium page throughput: MINO's `ChromiumDriver` against a bare chromiumoxide loop.
//!
//! The bench serves 200 pages on 127.0.0.1 (the fixture corpus of `tests/fixtures/sites`,
//! each page under several addresses, held in memory so the disk is not measured) and visits
//! each once at concurrency 1, 4 and 8, two ways, in the same process:
//!
//! - **MINO**: `driver.open` → `goto(url, WaitUntil::Load)` → `html()` → `close()`;
//! - **bare**: one chromiumoxide `Browser` launched with the same flags, a fresh browser
//!   context and page per visit → `goto` (waits for the load event) → `content()` → dispose
//!   the context.
//!
//! Both browsers are launched once and warmed up before anything is timed, so launch time
//! counts for neither. The order alternates between repetitions (bare first, then MINO first…)
//! and the table shows the median of the repetitions.
//!
//! Time: pages per second of wall time, and CPU per page — the user and system time of the
//! browser's process tree (ended renderers included, through their parents' child times) plus
//! this process's own (the driver or chromiumoxide, and the page server), less the memory
//! sampler's. On a machine shared with other work the CPU figure is the steadier of the two.
//!
//! Memory: while each run lasts, a thread sums `VmRSS` over the browser process and all its
//! descendants every 100 ms and keeps the peak. An RSS sum counts the pages Chromium's
//! processes share (its binary, fonts) once per process, so it grows by far more than a session
//! costs; the bench therefore also reads the proportional set size (`Pss` of
//! `/proc/<pid>/smaps_rollup`, shared pages split between their users) whenever the RSS sum
//! reaches a new peak, and at idle just before the run, and reports what each session in
//! flight adds to it.
//!
//! Run: `cargo bench -p mino-browser --bench chromium_pages`. Needs Chromium (`MINO_CHROME`
//! or on `PATH`). `MINO_BENCH_REPS` (default 3) and `MINO_BENCH_PAGES` (default 200) change the
//! size.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bare_chromium::Bare;
use bench_env::{env_usize, load_average, median};
use mino_browser::chrome::{find_chromium, DEFAULT_FLAGS};
use mino_browser::{ChromiumConfig, ChromiumDriver};
use mino_core::browser::{BrowserDriver, SessionOptions, WaitUntil, DEFAULT_VIEWPORT};

#[path = "support/bare_chromium.rs"]
mod bare_chromium;
#[path = "support/bench_env.rs"]
mod bench_env;

const CONCURRENCY: [usize; 3] = [1, 4, 8];
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Memory sampling interval. A renderer lives for one visit (hundreds of milliseconds here), so
/// this catches every one; sampling costs CPU the browsers then lack, so not much more often.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// The ratio the driver should reach: its own work per page (event subscriptions, the status
/// of the main document, the crash guard) may cost at most a tenth of the throughput.
const TARGET_RATIO: f64 = 0.9;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sites")
}

/// The start pages of the corpus, in a fixed order.
fn corpus_pages() -> Vec<String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the fixture corpus exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.join("index.html").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|dir| std::fs::read_to_string(dir.join("index.html")).expect("a readable page"))
        .collect()
}

/// `/p/{n}` serves corpus page `n % corpus size`: 200 addresses over the 53 pages, so no
/// visit hits a page its browser context has cached (every visit has a fresh context anyway).
async fn page(State(pages): State<Arc<Vec<String>>>, UrlPath(n): UrlPath<usize>) -> Response {
    let html = pages[n % pages.len()].clone();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

async fn serve(pages: Arc<Vec<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local addr");
    let router = Router::new().route("/p/{n}", get(page)).with_state(pages);
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("page server");
    });
    format!("http://{addr}")
}

/// One bare visit: a fresh context and page → `goto` → `content()`; an error says which step
/// failed.
async fn bare_visit(bare: &Bare, url: &str) -> Result<usize, String> {
    bare.in_fresh_page(|page| async move {
        bare_chromium::goto(&page, url, LOAD_TIMEOUT).await?;
        let html = page.content().await.map_err(|e| format!("content: {e}"))?;
        Ok(html.len())
    })
    .await
}

/// One visit through the driver; an error says which step failed.
async fn mino_visit(driver: &ChromiumDriver, url: &str) -> Result<usize, String> {
    let mut session = driver
        .open(SessionOptions::default())
        .await
        .map_err(|e| format!("open: {e}"))?;
    let loaded = async {
        session.goto(url, WaitUntil::Load, LOAD_TIMEOUT).await?;
        session.html().await
    }
    .await;
    let closed = session.close().await;
    let html = loaded.map_err(|e| format!("goto/html: {e}"))?;
    closed.map_err(|e| format!("close: {e}"))?;
    Ok(html.len())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Mino,
    Bare,
}

/// One timed run: every page once, `concurrency` visits in flight.
struct Run {
    pages_per_sec: f64,
    visited: usize,
    idle_kib: u64,
    idle_pss_kib: u64,
    peak_kib: u64,
    /// Peak of the summed proportional set sizes: shared pages split between the processes
    /// that map them, so the Chromium binary is not counted once per renderer.
    peak_pss_kib: u64,
    bytes: usize,
    failures: Vec<String>,
    elapsed: Duration,
    /// CPU time the memory sampler used, taken from the browsers on this small machine.
    sampler_cpu: Duration,
    /// CPU the browser's process tree spent on the run.
    browser_cpu: Duration,
    /// CPU this process spent on the run, less the sampler's: the driver or chromiumoxide,
    /// the Tokio runtime, and the page server (which serves both sides alike).
    own_cpu: Duration,
}

async fn run(
    side: Side,
    driver: &Arc<ChromiumDriver>,
    bare: &Arc<Bare>,
    urls: &Arc<Vec<String>>,
    concurrency: usize,
) -> Run {
    let root = match side {
        Side::Mino => driver.browser_pid().await.expect("MINO's browser runs"),
        Side::Bare => bare.pid,
    };
    let (idle_kib, idle_pss_kib) = tree_memory_kib(root, true);
    let (tree_before, self_before) = (tree_cpu(root), cpu_of("/proc/self/stat", false));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut rss, mut pss) = (0, 0);
            loop {
                // PSS costs the kernel a walk of every mapping (several ms per Chromium
                // process), so it is read only when the cheap RSS sum reaches a new peak.
                let (r, _) = tree_memory_kib(root, false);
                if r > rss {
                    rss = r;
                    pss = pss.max(tree_memory_kib(root, true).1);
                }
                if stop.load(Ordering::Relaxed) {
                    break (rss, pss, cpu_of("/proc/thread-self/stat", false));
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, urls) = (next.clone(), urls.clone());
            let (driver, bare) = (driver.clone(), bare.clone());
            tokio::spawn(async move {
                let (mut bytes, mut failures) = (0, Vec::new());
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(url) = urls.get(i) else { break };
                    let visited = match side {
                        Side::Mino => mino_visit(&driver, url).await,
                        Side::Bare => bare_visit(&bare, url).await,
                    };
                    match visited {
                        Ok(n) => bytes += n,
                        Err(err) => failures.push(format!("{url}: {err}")),
                    }
                }
                (bytes, failures)
            })
        })
        .collect();
    let (mut bytes, mut failures) = (0, Vec::new());
    for worker in workers {
        let (b, f) = worker.await.expect("a visiting task");
        bytes += b;
        failures.extend(f);
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (peak_kib, peak_pss_kib, sampler_cpu) = sampler.join().expect("the memory sampler");
    // Chromium's time plus this process's (the driver or chromiumoxide, and the page server,
    // which serves both sides alike), without the sampler's.
    let browser_cpu = tree_cpu(root).saturating_sub(tree_before);
    let own_cpu = cpu_of("/proc/self/stat", false).saturating_sub(self_before + sampler_cpu);
    Run {
        pages_per_sec: (urls.len() - failures.len()) as f64 / elapsed.as_secs_f64(),
        visited: urls.len() - failures.len(),
        idle_kib,
        idle_pss_kib,
        peak_kib,
        peak_pss_kib,
        bytes,
        failures,
        elapsed,
        sampler_cpu,
        browser_cpu,
        own_cpu,
    }
}

/// `root` and every process descending from it (renderers are children of the zygote, which
/// is a child of the browser).
fn tree_pids(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(fields) = stat_fields(&format!("/proc/{pid}/stat")) {
                if let Some(ppid) = fields.get(1).and_then(|f| f.parse().ok()) {
                    children.entry(ppid).or_default().push(pid);
                }
            }
        }
    }
    let mut tree = Vec::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        tree.push(pid);
        if let Some(kids) = children.get(&pid) {
            stack.extend(kids);
        }
    }
    tree
}

impl Run {
    fn pages(&self) -> usize {
        self.visited.max(1)
    }
}

/// Sums of `VmRSS` and (when `with_pss`, else 0) of `Pss` over the tree of `root`.
fn tree_memory_kib(root: u32, with_pss: bool) -> (u64, u64) {
    let (mut rss, mut pss) = (0, 0);
    for pid in tree_pids(root) {
        rss += kib_field(&format!("/proc/{pid}/status"), "VmRSS:");
        if with_pss {
            pss += kib_field(&format!("/proc/{pid}/smaps_rollup"), "Pss:");
        }
    }
    (rss, pss)
}

/// CPU used so far by the tree of `root`: user and system time of each process plus that of
/// its children that have ended and been waited for (a renderer's time moves to the zygote
/// when it exits), so the difference over a run is what the browser spent on it.
fn tree_cpu(root: u32) -> Duration {
    tree_pids(root)
        .iter()
        .map(|pid| cpu_of(&format!("/proc/{pid}/stat"), true))
        .sum()
}

/// The fields of a `/proc/…/stat` file after `pid (comm)`, so that field 3 (state) is at
/// index 0. `comm` may hold spaces and parentheses, hence the split at the last `)`.
fn stat_fields(path: &str) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User + system time from a stat file (fields 14 and 15; with `children`, also 16 and 17),
/// in clock ticks of 10 ms (`CLK_TCK` is 100 on Linux for x86 and ARM).
fn cpu_of(path: &str, children: bool) -> Duration {
    let count = if children { 4 } else { 2 };
    let ticks: u64 = stat_fields(path)
        .map(|fields| {
            fields[11..11 + count]
                .iter()
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// A `Name:   123 kB` line of a /proc file; 0 when the process ended meanwhile.
fn kib_field(path: &str, name: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

#[tokio::main]
async fn main() {
    let Some(executable) = find_chromium() else {
        eprintln!("chromium_pages: no Chromium found (set MINO_CHROME); nothing measured");
        return;
    };
    let reps = env_usize("MINO_BENCH_REPS", 3);
    let page_count = env_usize("MINO_BENCH_PAGES", 200);
    let corpus = Arc::new(corpus_pages());
    let base = serve(corpus.clone()).await;
    let urls: Arc<Vec<String>> =
        Arc::new((0..page_count).map(|n| format!("{base}/p/{n}")).collect());
    println!(
        "chromium_pages: {page_count} pages ({} distinct corpus pages) from {base}, {reps} repetitions, {}, load average {}",
        corpus.len(),
        executable.display(),
        load_average()
    );

    // The driver's defaults, except the health check: on this shared two-core machine, with
    // other builds running, opening a context and a tab at concurrency 8 took longer than the
    // default 10 s, and the driver (rightly, for production) declared the browser hung and
    // replaced it mid-run. A minute keeps the check without measuring the machine's queue.
    let driver = Arc::new(ChromiumDriver::new(
        ChromiumConfig::local()
            .executable(&executable)
            .health_timeout(Duration::from_secs(60)),
    ));
    let bare = Arc::new(Bare::launch(&executable, "mino-bench-bare-").await);
    // Warm-up: launch MINO's browser and let both load a few pages before any timing.
    for url in urls.iter().take(8) {
        mino_visit(&driver, url)
            .await
            .expect("warm-up visit (MINO)");
        bare_visit(&bare, url).await.expect("warm-up visit (bare)");
    }

    // results[concurrency index][side] = runs
    let mut results: Vec<[Vec<Run>; 2]> = CONCURRENCY.iter().map(|_| [vec![], vec![]]).collect();
    let mut failed = 0;
    for rep in 0..reps {
        let order = if rep % 2 == 0 {
            [Side::Bare, Side::Mino]
        } else {
            [Side::Mino, Side::Bare]
        };
        for (ci, &concurrency) in CONCURRENCY.iter().enumerate() {
            for side in order {
                let r = run(side, &driver, &bare, &urls, concurrency).await;
                let name = if side == Side::Mino { "MINO" } else { "bare" };
                println!(
                    "  rep {} c={concurrency:<2} {name}: {:6.2} pages/s ({:5.1} s, CPU browser {:5.1} s + own {:4.1} s), RSS idle {:5.0} peak {:5.0} MiB, PSS idle {:5.0} peak {:5.0} MiB, {} KiB of HTML, {} failed, sampler CPU {:.2} s, load {}",
                    rep + 1,
                    r.pages_per_sec,
                    r.elapsed.as_secs_f64(),
                    r.browser_cpu.as_secs_f64(),
                    r.own_cpu.as_secs_f64(),
                    mib(r.idle_kib as f64),
                    mib(r.peak_kib as f64),
                    mib(r.idle_pss_kib as f64),
                    mib(r.peak_pss_kib as f64),
                    r.bytes / 1024,
                    r.failures.len(),
                    r.sampler_cpu.as_secs_f64(),
                    load_average(),
                );
                for failure in r.failures.iter().take(3) {
                    println!("      {failure}");
                }
                failed += r.failures.len();
                results[ci][side as usize].push(r);
            }
        }
    }

    println!();
    println!("median of {reps} repetitions, {page_count} pages each; c = visits in flight:");
    println!(
        "{:>4} | {:>9} | {:>9} | {:>6} | {:>11} | {:>11} | {:>6} | {:>11} | {:>11}",
        "c",
        "MINO p/s",
        "bare p/s",
        "ratio",
        "MINO CPU/p",
        "bare CPU/p",
        "ratio",
        "MINO own/p",
        "bare own/p",
    );
    let stat =
        |runs: &[Run], f: &dyn Fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    // Per repetition (the two sides ran back to back), then the median of those.
    let ratio = |mino: &[Run], bare: &[Run], f: &dyn Fn(&Run, &Run) -> f64| {
        median(
            &mut mino
                .iter()
                .zip(bare)
                .map(|(m, b)| f(m, b))
                .collect::<Vec<_>>(),
        )
    };
    let mut worst = f64::INFINITY;
    for (ci, &concurrency) in CONCURRENCY.iter().enumerate() {
        let [mino, bare_runs] = &results[ci];
        let rate = |r: &Run| r.pages_per_sec;
        let rate_ratio = ratio(mino, bare_runs, &|m, b| m.pages_per_sec / b.pages_per_sec);
        worst = worst.min(rate_ratio);
        // CPU per page: steadier than wall time when other work shares the cores. The ratio
        // is bare / MINO, so that like the throughput ratio it is 1 when MINO costs nothing.
        let per_page = |d: Duration, r: &Run| 1000.0 * d.as_secs_f64() / r.pages() as f64;
        let cpu = |r: &Run| per_page(r.browser_cpu + r.own_cpu, r);
        let own = |r: &Run| per_page(r.own_cpu, r);
        let cpu_ratio = ratio(mino, bare_runs, &|m, b| cpu(b) / cpu(m));
        println!(
            "{concurrency:>4} | {:>9.2} | {:>9.2} | {rate_ratio:>5.2}x | {:>8.0} ms | {:>8.0} ms | {cpu_ratio:>5.2}x | {:>8.1} ms | {:>8.1} ms",
            stat(mino, &rate),
            stat(bare_runs, &rate),
            stat(mino, &cpu),
            stat(bare_runs, &cpu),
            stat(mino, &own),
            stat(bare_runs, &own),
        );
    }
    println!("  CPU/p: CPU of the browser's process tree and of this process per page (ratio: bare / MINO);");
    println!(
        "  own/p: of that, this process alone (driver or chromiumoxide, runtime, page server)"
    );
    println!();
    println!(
        "{:>4} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} | {:>9} | {:>11} | {:>11}",
        "c",
        "MINO RSS",
        "RSS/c",
        "bare RSS",
        "RSS/c",
        "MINO PSS",
        "bare PSS",
        "MINO +PSS/c",
        "bare +PSS/c",
    );
    for (ci, &concurrency) in CONCURRENCY.iter().enumerate() {
        let [mino, bare_runs] = &results[ci];
        let c = concurrency as f64;
        let rss = |runs: &[Run]| mib(stat(runs, &|r| r.peak_kib as f64));
        let pss = |runs: &[Run]| mib(stat(runs, &|r| r.peak_pss_kib as f64));
        // The idle browser (browser, zygote, GPU, network and storage processes) is a fixed
        // cost; what each session in flight adds above it is the marginal figure.
        let added = |runs: &[Run]| {
            mib(stat(runs, &|r| {
                r.peak_pss_kib.saturating_sub(r.idle_pss_kib) as f64
            })) / c
        };
        println!(
            "{concurrency:>4} | {:>9.0} | {:>9.0} | {:>9.0} | {:>9.0} | {:>9.0} | {:>9.0} | {:>11.0} | {:>11.0}",
            rss(mino),
            rss(mino) / c,
            rss(bare_runs),
            rss(bare_runs) / c,
            pss(mino),
            pss(bare_runs),
            added(mino),
            added(bare_runs),
        );
    }
    println!("  MiB, summed over the browser's process tree. RSS: peak of summed VmRSS (shared pages counted in every process); RSS/c: that / concurrency;");
    println!("  PSS: peak of summed Pss (shared pages split); +PSS/c: (peak PSS - idle PSS before the run) / concurrency");
    println!(
        "worst ratio {worst:.2}x (target >= {TARGET_RATIO}x): {}; {failed} visits failed; load average {}",
        if worst >= TARGET_RATIO {
            "met"
        } else {
            "NOT met"
        },
        load_average()
    );
    driver.shutdown().await;
    if let Ok(mut bare) = Arc::try_unwrap(bare) {
        let _ = bare.browser.close().await;
        let _ = bare.browser.wait().await;
    }
}
