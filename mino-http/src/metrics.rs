//! Prometheus metrics at `/metrics`: request latency and errors per route, WebSocket
//! connections, jobs by status, executions by outcome, agent time and cost.
//!
//! Request figures are recorded by the [`track`] middleware; engine figures by a task that
//! follows the platform's events (so remote workers' jobs count too); jobs by status are
//! counted from the store when scraped.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mino_core::events::Event;
use mino_core::model::{JobFilter, JobStatus};
use mino_core::platform::Platform;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiResult;
use crate::state::AppState;

/// Labels of a request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// The route pattern (`/api/jobs/{id}`), never the raw path.
    pub route: String,
}

/// Labels of a request's outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// HTTP method.
    pub method: String,
    /// The route pattern.
    pub route: String,
    /// The status code.
    pub status: u16,
}

/// One label naming a status or outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The status or outcome.
    pub state: String,
}

type Buckets = fn() -> Histogram;

fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn agent_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.25, 2.0, 12))
}

/// Every metric of the server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<StatusLabels, Counter>,
    errors: Family<StatusLabels, Counter>,
    latency: Family<RouteLabels, Histogram, Buckets>,
    /// Open WebSocket connections.
    pub ws_connections: Gauge,
    /// WebSocket clients dropped for being too slow.
    pub ws_dropped: Counter,
    /// Live frames skipped for slow clients or by the rate cap.
    pub ws_frames_skipped: Counter,
    jobs: Family<StateLabel, Gauge>,
    executions: Family<StateLabel, Counter>,
    transitions: Family<StateLabel, Counter>,
    agent_seconds: Histogram,
    agent_cost: Counter<f64, AtomicU64>,
    agent_tokens: Counter,
}

impl Metrics {
    /// A fresh set of metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mino");
        let requests = Family::<StatusLabels, Counter>::default();
        let errors = Family::<StatusLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, Buckets>::new_with_constructor(
            latency_buckets as Buckets,
        );
        let ws_connections = Gauge::default();
        let ws_dropped = Counter::default();
        let ws_frames_skipped = Counter::default();
        let jobs = Family::<StateLabel, Gauge>::default();
        let executions = Family::<StateLabel, Counter>::default();
        let transitions = Family::<StateLabel, Counter>::default();
        let agent_seconds = agent_buckets();
        let agent_cost = Counter::<f64, AtomicU64>::default();
        let agent_tokens = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_errors",
            "HTTP responses with status 400 or above",
            errors.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register(
            "ws_connections",
            "Open WebSocket connections",
            ws_connections.clone(),
        );
        registry.register(
            "ws_dropped_clients",
            "WebSocket clients dropped for being too slow",
            ws_dropped.clone(),
        );
        registry.register(
            "ws_frames_skipped",
            "Live frames not sent (rate cap or slow client)",
            ws_frames_skipped.clone(),
        );
        registry.register("jobs", "Jobs by status, counted when scraped", jobs.clone());
        registry.register(
            "executions_finished",
            "Executions that ended, by outcome",
            executions.clone(),
        );
        registry.register(
            "job_transitions",
            "Job transitions seen, by new status",
            transitions.clone(),
        );
        registry.register(
            "agent_attempt_seconds",
            "Duration of finished attempts",
            agent_seconds.clone(),
        );
        registry.register(
            "agent_cost_usd",
            "Agent cost of finished attempts",
            agent_cost.clone(),
        );
        registry.register(
            "agent_tokens",
            "Agent tokens (in and out) of finished attempts",
            agent_tokens.clone(),
        );
        Metrics {
            registry,
            requests,
            errors,
            latency,
            ws_connections,
            ws_dropped,
            ws_frames_skipped,
            jobs,
            executions,
            transitions,
            agent_seconds,
            agent_cost,
            agent_tokens,
        }
    }

    fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = StatusLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        if status >= 400 {
            self.errors.get_or_create(&labels).inc();
        }
        self.latency
            .get_or_create(&RouteLabels {
                method: labels.method,
                route: labels.route,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Follows the platform's events to count executions, transitions, agent time and cost.
    pub fn follow(self: &Arc<Self>, platform: Platform) -> tokio::task::JoinHandle<()> {
        let metrics = Arc::clone(self);
        let mut events = platform.subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => metrics.note(&platform, &event).await,
                    Err(RecvError::Lagged(n)) => {
                        tracing::debug!(missed = n, "metrics fell behind the events");
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    async fn note(&self, platform: &Platform, event: &Event) {
        match event {
            Event::ExecutionStatus { status, .. } if !status.is_active() => {
                self.executions
                    .get_or_create(&StateLabel {
                        state: status.as_str().to_owned(),
                    })
                    .inc();
            }
            Event::JobTransition { to, session_id, .. } => {
                self.transitions
                    .get_or_create(&StateLabel {
                        state: to.as_str().to_owned(),
                    })
                    .inc();
                let Some(session) = session_id else { return };
                if !matches!(
                    to,
                    JobStatus::Completed | JobStatus::Failed | JobStatus::Queued
                ) {
                    return;
                }
                match platform.store().get_session(*session).await {
                    Ok(session) => {
                        if let Some(ms) = session.duration_ms() {
                            self.agent_seconds.observe(ms.max(0) as f64 / 1000.0);
                        }
                        self.agent_cost.inc_by(session.usage.cost_usd);
                        self.agent_tokens
                            .inc_by(session.usage.tokens_in + session.usage.tokens_out);
                    }
                    Err(err) => tracing::debug!(error = ?err, "session of a transition not read"),
                }
            }
            _ => {}
        }
    }

    /// The text exposition, with jobs by status counted now.
    pub async fn render(&self, platform: &Platform) -> ApiResult<String> {
        let counts = platform.store().count_jobs(&JobFilter::default()).await?;
        for status in JobStatus::ALL {
            self.jobs
                .get_or_create(&StateLabel {
                    state: status.as_str().to_owned(),
                })
                .set(counts.get(status) as i64);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry)
            .map_err(|e| mino_core::Error::internal(format!("encoding metrics failed: {e}")))?;
        Ok(text)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Records the latency and status of every API request under its route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    state.metrics.record_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`.
pub async fn endpoint(State(state): State<AppState>) -> ApiResult<Response> {
    let text = state.metrics.render(&state.platform).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
