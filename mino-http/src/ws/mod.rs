//! `GET /ws`: live monitoring over WebSocket.
//!
//! # Protocol
//!
//! The client sends JSON messages:
//! `{"type":"subscribe","execution_id":"…"}`, `{"type":"subscribe","job_id":"…"}`,
//! `{"type":"unsubscribe",…}` and `{"type":"ping"}`. `/ws?execution_id=…&job_id=…`
//! subscribes at connect.
//!
//! The server sends:
//! - `{"type":"snapshot","execution_id","seq","stats":{…}}` on subscribing to an execution:
//!   the full figures now; events numbered up to `seq` are in it, and the execution's events
//!   that follow are numbered from `seq + 1` on, without a gap (for a job:
//!   `{"type":"snapshot","job_id","job":{…},"stats":{…}|null,"seq"}`);
//! - `{"type":"event","execution_id","seq","event":{"type":"stats"|"job_transition"|"log"|
//!   "execution_status"|"concurrency"|"frame",…}}`: `seq` grows by one per event of the
//!   execution (frames, sent only to subscribers of their job, repeat the last number);
//! - `{"type":"lagged","missed"}` when the server itself missed events;
//! - `{"type":"error","error":{"code","message"}}` for a bad message, and
//!   `{"type":"dropped"}` just before disconnecting a client that does not keep up.

mod hub;

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
pub use hub::{Hub, Membership};
use mino_core::model::{ExecutionId, JobId};
use mino_core::Error;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::error::{status_and_code, ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;

/// The most subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// The most queued messages written before one flush.
const WRITE_BATCH: usize = 64;

/// Subscriptions made at connect time.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConnectParams {
    /// An execution to follow.
    #[serde(default)]
    pub execution_id: Option<String>,
    /// A job to follow (its events and live frames).
    #[serde(default)]
    pub job_id: Option<String>,
}

/// A message from the client.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Subscribe {
        #[serde(default)]
        execution_id: Option<String>,
        #[serde(default)]
        job_id: Option<String>,
    },
    Unsubscribe {
        #[serde(default)]
        execution_id: Option<String>,
        #[serde(default)]
        job_id: Option<String>,
    },
    Ping,
}

/// Upgrades to a WebSocket connection.
pub async fn handler(
    State(state): State<AppState>,
    Query(params): Query<ConnectParams>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    // Ids given at connect are checked before the upgrade, so a typo is an HTTP 400.
    let execution = parse_opt(params.execution_id.as_deref(), ExecutionId::parse)?;
    let job = parse_opt(params.job_id.as_deref(), JobId::parse)?;
    Ok(upgrade
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| connection(state, socket, execution, job)))
}

fn parse_opt<T>(
    text: Option<&str>,
    parse: fn(&str) -> mino_core::Result<T>,
) -> ApiResult<Option<T>> {
    match text.filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(parse(t).map_err(ApiError::from)?)),
        None => Ok(None),
    }
}

async fn connection(
    state: AppState,
    socket: WebSocket,
    execution: Option<ExecutionId>,
    job: Option<JobId>,
) {
    let hub = state.hub.clone();
    let Membership { id, rx, tx, kill } = hub.join();
    state.metrics.ws_connections.inc();
    tracing::debug!(client = id, "WebSocket client connected");
    let (sink, mut stream) = socket.split();
    let send_timeout = state.config.ws_send_timeout;
    let writer = tokio::spawn(write_loop(sink, rx, kill, send_timeout));
    if let Some(execution) = execution {
        subscribe(&state, id, &tx, Some(execution), None).await;
    }
    if let Some(job) = job {
        subscribe(&state, id, &tx, None, Some(job)).await;
    }
    let mut writer = writer;
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some(Ok(Message::Text(text))) => handle(&state, id, &tx, &text).await,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = &mut writer => break,
        }
    }
    hub.leave(id);
    drop(tx);
    writer.abort();
    state.metrics.ws_connections.dec();
    tracing::debug!(client = id, "WebSocket client left");
}

async fn write_loop(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Utf8Bytes>,
    kill: std::sync::Arc<tokio::sync::Notify>,
    send_timeout: Duration,
) {
    loop {
        tokio::select! {
            biased;
            _ = kill.notified() => {
                let bye = json!({"type": "dropped", "message": "the client did not keep up with the events"});
                let _ = tokio::time::timeout(Duration::from_millis(200), sink.send(Message::Text(Utf8Bytes::from(bye.to_string())))).await;
                let _ = tokio::time::timeout(Duration::from_millis(200), sink.send(Message::Close(Some(CloseFrame {
                    code: 1008,
                    reason: Utf8Bytes::from_static("too slow"),
                })))).await;
                return;
            }
            next = rx.recv() => {
                let Some(text) = next else { return };
                // Everything already queued goes out in one flush (one write for many small
                // messages when a client is busy).
                let batch = async {
                    sink.feed(Message::Text(text)).await?;
                    for _ in 1..WRITE_BATCH {
                        match rx.try_recv() {
                            Ok(more) => sink.feed(Message::Text(more)).await?,
                            Err(_) => break,
                        }
                    }
                    sink.flush().await
                };
                match tokio::time::timeout(send_timeout, batch).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return,
                    Err(_) => {
                        tracing::info!("a WebSocket send stalled; closing the connection");
                        return;
                    }
                }
            }
        }
    }
}

async fn handle(state: &AppState, id: u64, tx: &mpsc::Sender<Utf8Bytes>, text: &str) {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(err) => {
            send_error(tx, &Error::validation(format!("unreadable message: {err}"))).await;
            return;
        }
    };
    let ids =
        |e: Option<String>, j: Option<String>| -> ApiResult<(Option<ExecutionId>, Option<JobId>)> {
            Ok((
                parse_opt(e.as_deref(), ExecutionId::parse)?,
                parse_opt(j.as_deref(), JobId::parse)?,
            ))
        };
    match message {
        ClientMessage::Ping => {
            let _ = tx.send(Utf8Bytes::from_static("{\"type\":\"pong\"}")).await;
        }
        ClientMessage::Subscribe {
            execution_id,
            job_id,
        } => match ids(execution_id, job_id) {
            Ok((None, None)) => {
                send_error(
                    tx,
                    &Error::validation("subscribe needs execution_id or job_id"),
                )
                .await
            }
            Ok((execution, job)) => subscribe(state, id, tx, execution, job).await,
            Err(err) => send_error(tx, &err.0).await,
        },
        ClientMessage::Unsubscribe {
            execution_id,
            job_id,
        } => match ids(execution_id, job_id) {
            Ok((execution, job)) => state.hub.unsubscribe(id, execution, job),
            Err(err) => send_error(tx, &err.0).await,
        },
    }
}

async fn subscribe(
    state: &AppState,
    id: u64,
    tx: &mpsc::Sender<Utf8Bytes>,
    execution: Option<ExecutionId>,
    job: Option<JobId>,
) {
    if state.hub.subscriptions(id) >= MAX_SUBSCRIPTIONS {
        send_error(
            tx,
            &Error::validation(format!(
                "at most {MAX_SUBSCRIPTIONS} subscriptions per connection"
            )),
        )
        .await;
        return;
    }
    if let Some(execution) = execution {
        // Subscribe first, then read: nothing between the two is missed.
        let seq = state.hub.subscribe_execution(id, execution);
        match state.platform.execution_stats(execution).await {
            Ok(stats) => {
                let snapshot = json!({
                    "type": "snapshot", "execution_id": execution, "seq": seq, "stats": stats,
                });
                state
                    .hub
                    .snapshot_ready(id, execution, Utf8Bytes::from(snapshot.to_string()));
            }
            Err(err) => {
                state.hub.unsubscribe(id, Some(execution), None);
                send_error(tx, &err).await;
            }
        }
    }
    if let Some(job) = job {
        state.hub.subscribe_job(id, job);
        match state.platform.job(job).await {
            Ok(detail) => {
                let (stats, seq) = match detail.job.execution_id {
                    Some(e) => {
                        let seq = state.hub.seq_of(e);
                        (state.platform.execution_stats(e).await.ok(), seq)
                    }
                    None => (None, 0),
                };
                let snapshot = json!({
                    "type": "snapshot", "job_id": job, "execution_id": detail.job.execution_id,
                    "seq": seq, "job": detail.job, "stats": stats,
                });
                let _ = tx.send(Utf8Bytes::from(snapshot.to_string())).await;
            }
            Err(err) => {
                state.hub.unsubscribe(id, None, Some(job));
                send_error(tx, &err).await;
            }
        }
    }
}

async fn send_error(tx: &mpsc::Sender<Utf8Bytes>, err: &Error) {
    let (_, code) = status_and_code(err.kind());
    let message = json!({
        "type": "error",
        "error": { "code": code, "message": err.message() },
    });
    let _ = tx.send(Utf8Bytes::from(message.to_string())).await;
}
