//! `mino serve`: the HTTP API, live WebSocket updates and the dashboard, with an embedded
//! worker unless `--no-worker`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mino_core::engine::WorkerConfig;
use mino_http::HttpConfig;

use super::signals::Signals;
use super::worker::finish_running_jobs;
use super::GlobalArgs;

/// How long open connections (WebSocket clients included) get to finish after a signal.
const DRAIN: Duration = Duration::from_secs(5);

/// Arguments of `mino serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3001)]
    pub port: u16,
    /// Address to listen on (`0.0.0.0` for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Serve only: run no worker in this process (workers run elsewhere, e.g. `mino worker`).
    #[arg(long)]
    pub no_worker: bool,
    /// Browser of the embedded worker: chromium, cdp:ws://…, webdriver or webdriver:http://…
    #[arg(long, default_value = "chromium")]
    pub browser: String,
    /// The most jobs the embedded worker runs at once.
    #[arg(long, default_value_t = 50)]
    pub max_in_flight: usize,
    /// An origin allowed by CORS (repeatable); by default any localhost origin.
    #[arg(long = "allow-origin")]
    pub allow_origins: Vec<String>,
    /// The largest CSV upload, in megabytes.
    #[arg(long, default_value_t = 100)]
    pub max_upload_mb: u64,
}

pub async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let mut signals = Signals::install()?;
    let upload_bytes = args.max_upload_mb.clamp(1, 4096) * 1024 * 1024;
    let platform = mino::connect(mino::PlatformOptions {
        database: global.database.clone(),
        browser: args.browser.clone(),
        worker: WorkerConfig {
            max_in_flight: args.max_in_flight.clamp(1, 500),
            ..WorkerConfig::default()
        },
        ingest: mino_core::ingest::IngestOptions::default().with_max_bytes(upload_bytes),
    })
    .await?;
    if !args.no_worker {
        let id = platform.start_worker()?;
        tracing::info!(worker = %id, "embedded worker running");
    }
    let config = HttpConfig {
        allowed_origins: args.allow_origins.clone(),
        max_upload_bytes: upload_bytes as usize,
        ..HttpConfig::default()
    };
    let app = mino_http::router_with(platform.clone(), config);
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .with_context(|| format!("{}:{} is not an address to listen on", args.host, args.port))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    eprintln!("MINO dashboard on http://{local}/ (API under /api, Ctrl-C stops)");
    tracing::info!(address = %local, database = %global.database, worker = !args.no_worker, "serving");

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    signals.next().await;
    tracing::info!("stopping: no new connections; open ones get {DRAIN:?}");
    let _ = stop_tx.send(());
    match tokio::time::timeout(DRAIN, server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(err))) => tracing::warn!(error = %err, "the server ended with an error"),
        Ok(Err(err)) => tracing::warn!(error = %err, "the server task failed"),
        Err(_) => tracing::info!("connections still open after {DRAIN:?} are closed"),
    }
    if platform.has_worker() {
        finish_running_jobs(&platform, &mut signals).await;
    }
    Ok(())
}
