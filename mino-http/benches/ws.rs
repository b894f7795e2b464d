//! WebSocket benchmark: N subscribers (default 1,000) to one execution while events are
//! published at R per second (default 1,000) for S seconds: the delivery lag (from the
//! event's timestamp to its arrival at a client) at p50, p99 and max over every delivery;
//! then the same with one more client that subscribes and never reads, to show that a
//! stalled client slows nobody else.
//!
//! Run: `cargo bench -p mino-http --bench ws` (`MINO_BENCH_SUBSCRIBERS`, `MINO_BENCH_RATE`,
//! `MINO_BENCH_SECS`; it opens two sockets per subscriber, so `ulimit -n` must allow it).

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use mino_core::events::Event;
use mino_core::model::{JobId, LogLevel, LogLine, NewProject, SessionId};
use mino_core::platform::{Platform, StartExecution};
use mino_http::HttpConfig;
use support::{env_or, serving_platform};
use tokio_tungstenite::tungstenite::Message;

const END: &str = "bench-end";

fn main() {
    let subscribers = env_or("MINO_BENCH_SUBSCRIBERS", 1000) as usize;
    let rate = env_or("MINO_BENCH_RATE", 1000);
    let secs = env_or("MINO_BENCH_SECS", 10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(subscribers, rate, secs));
}

async fn run(subscribers: usize, rate: u64, secs: u64) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let url = format!("sqlite:{}", dir.path().join("ws-bench.db").display());
    let (store, events) = mino_store::open_with_events(&url)
        .await
        .expect("the store opens");
    let platform = serving_platform(store, events);
    let mut new = NewProject::named("ws bench");
    new.output_fields = vec![mino_core::model::OutputField::named("title")];
    let project = platform.create_project(new).await.expect("a project");
    let rows: Vec<indexmap::IndexMap<String, String>> = (0..10)
        .map(|i| {
            let mut row = indexmap::IndexMap::new();
            row.insert("url".to_owned(), format!("https://s{i}.example/"));
            row
        })
        .collect();
    let (batch, _) = platform
        .create_batch_from_rows(project.id, "bench", &rows)
        .await
        .expect("a batch");
    // No worker: the execution stays running, and the benchmark publishes its events.
    let execution = platform
        .start_execution(project.id, batch.id, StartExecution::default())
        .await
        .expect("an execution");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    let app = mino_http::router_with(platform.clone(), HttpConfig::default());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let ws_url = format!("ws://{addr}/ws?execution_id={}", execution.id);

    println!(
        "WebSocket benchmark: {subscribers} subscribers to one execution, {rate} events/s for {secs} s"
    );
    println!();
    println!("| run | deliveries | complete clients | lag p50 ms | lag p99 ms | lag max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for stalled in [false, true] {
        let result = phase(
            &platform,
            execution.id,
            &ws_url,
            subscribers,
            rate,
            secs,
            stalled,
        )
        .await;
        println!(
            "| {} | {} | {}/{} | {:.1} | {:.1} | {:.1} |",
            if stalled {
                "with one stalled client"
            } else {
                "all clients reading"
            },
            result.deliveries,
            result.complete,
            subscribers,
            result.p50,
            result.p99,
            result.max
        );
    }
}

struct PhaseResult {
    deliveries: usize,
    complete: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

async fn phase(
    platform: &Platform,
    execution: mino_core::model::ExecutionId,
    ws_url: &str,
    subscribers: usize,
    rate: u64,
    secs: u64,
    stalled: bool,
) -> PhaseResult {
    let lags: Arc<Mutex<Vec<u32>>> = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let (mut client, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .expect("a WebSocket");
        // The snapshot first.
        let _ = client.next().await;
        let lags = lags.clone();
        readers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut done = false;
            while let Some(Ok(message)) = client.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let text = text.as_str();
                if let Some(at) = timestamp(text) {
                    let lag = (Utc::now() - at).num_microseconds().unwrap_or(0).max(0);
                    mine.push(lag as u32);
                }
                if text.contains(END) {
                    done = true;
                    break;
                }
            }
            lags.lock().unwrap_or_else(|p| p.into_inner()).extend(mine);
            done
        }));
    }
    // A client that subscribes and then never reads again.
    let stalled_client = if stalled {
        let (mut client, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .expect("a WebSocket");
        let _ = client.next().await;
        Some(client)
    } else {
        None
    };

    let events = platform.events().clone();
    let per_tick = (rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        for _ in 0..per_tick {
            events.publish(log(execution, format!("event {n}")));
            n += 1;
        }
    }
    events.publish(log(execution, END.to_owned()));
    let mut complete = 0;
    for reader in readers {
        if let Ok(Ok(true)) = tokio::time::timeout(Duration::from_secs(60), reader).await {
            complete += 1;
        }
    }
    drop(stalled_client);
    let mut lags = std::mem::take(&mut *lags.lock().unwrap_or_else(|p| p.into_inner()));
    lags.sort_unstable();
    let pick = |p: f64| -> f64 {
        if lags.is_empty() {
            return f64::NAN;
        }
        let i = ((lags.len() as f64 - 1.0) * p / 100.0).round() as usize;
        f64::from(lags[i]) / 1000.0
    };
    PhaseResult {
        deliveries: lags.len(),
        complete,
        p50: pick(50.0),
        p99: pick(99.0),
        max: pick(100.0),
    }
}

fn log(execution: mino_core::model::ExecutionId, message: String) -> Event {
    Event::Log {
        execution_id: execution,
        job_id: JobId::new(),
        session_id: SessionId::new(),
        line: LogLine {
            at: Utc::now(),
            level: LogLevel::Info,
            message,
        },
    }
}

/// The `at` of a log event, read without parsing the whole message.
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let start = text.find("\"at\":\"")? + 6;
    let end = start + text[start..].find('"')?;
    DateTime::parse_from_rfc3339(&text[start..end])
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
