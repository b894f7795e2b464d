//! Engine events between processes through Postgres `LISTEN`/`NOTIFY`.
//!
//! Every process sharing a database (servers and workers on any machine) publishes its shared
//! events with `NOTIFY` and listens on the same channel, so a server's dashboard sees the job
//! transitions of every worker. Locally, events are fanned out by a [`BroadcastSink`] at once;
//! a process ignores its own notifications when they come back.
//!
//! Events are batched into as few notifications as fit the 8,000-byte payload limit, in
//! publish order, by one task per process; a log line too long for a payload is shortened.

use std::sync::Arc;
use std::time::Duration;

use mino_core::events::{BroadcastSink, Event, EventReceiver, EventSink};
use mino_core::{Error, Result};
use serde::Deserialize;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};
use uuid::Uuid;

/// Postgres refuses payloads of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;
/// The longest log message sent to other processes.
const MAX_LOG_MESSAGE: usize = 2_000;

/// A notification: `{"o": origin, "e": [event, …]}`.
#[derive(Deserialize)]
struct Envelope {
    /// The publishing process.
    o: Uuid,
    /// Its events, in publish order.
    e: Vec<serde_json::Value>,
}

/// An [`EventSink`] shared by every process on one Postgres database (and schema).
#[derive(Debug)]
pub struct PgEventSink {
    local: BroadcastSink,
    outbox: mpsc::UnboundedSender<Event>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for PgEventSink {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl PgEventSink {
    /// Starts listening and publishing on `channel` (one channel per schema, so separate
    /// MINO installations in one database do not hear each other).
    pub async fn start(pool: PgPool, channel: &str) -> Result<Arc<Self>> {
        if channel.is_empty()
            || channel.len() > 63
            || !channel
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::validation(format!(
                "event channel {channel:?} must be 1–63 letters, digits or underscores"
            )));
        }
        let origin = Uuid::now_v7();
        let local = BroadcastSink::default();
        let mut listener = PgListener::connect_with(&pool)
            .await
            .map_err(|e| Error::storage("cannot listen for events", e))?;
        listener
            .listen(channel)
            .await
            .map_err(|e| Error::storage("cannot listen for events", e))?;
        let (outbox, rx) = mpsc::unbounded_channel();
        let tasks = vec![
            tokio::spawn(listen(listener, origin, local.clone())),
            tokio::spawn(send(pool, channel.to_owned(), origin, rx)),
        ];
        Ok(Arc::new(PgEventSink {
            local,
            outbox,
            tasks,
        }))
    }
}

impl EventSink for PgEventSink {
    fn publish(&self, event: Event) {
        if event.is_shared() {
            let _ = self.outbox.send(event.clone());
        }
        self.local.publish(event);
    }

    fn subscribe(&self) -> EventReceiver {
        self.local.subscribe()
    }
}

async fn listen(mut listener: PgListener, origin: Uuid, local: BroadcastSink) {
    loop {
        // `recv` reconnects by itself after a lost connection; notifications sent while it
        // was away are lost, which costs a dashboard a few updates, never a job.
        match listener.recv().await {
            Ok(note) => match serde_json::from_str::<Envelope>(note.payload()) {
                Ok(envelope) if envelope.o != origin => {
                    for value in envelope.e {
                        match serde_json::from_value::<Event>(value) {
                            Ok(event) => local.publish(event),
                            Err(err) => debug!(error = %err, "ignoring an unknown event"),
                        }
                    }
                }
                Ok(_) => {}
                Err(err) => debug!(error = %err, "ignoring a malformed notification"),
            },
            Err(err) => {
                warn!(error = %err, "event listener failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn send(pool: PgPool, channel: String, origin: Uuid, mut rx: mpsc::UnboundedReceiver<Event>) {
    let mut pending: Vec<String> = Vec::new();
    let mut size = 0usize;
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        // Gather what is already waiting into payloads of at most MAX_PAYLOAD bytes.
        while let Some(event) = next.take().or_else(|| rx.try_recv().ok()) {
            let Some(text) = encode(event) else {
                continue;
            };
            if size + text.len() + 64 > MAX_PAYLOAD && !pending.is_empty() {
                notify(&pool, &channel, origin, std::mem::take(&mut pending)).await;
                size = 0;
            }
            size += text.len() + 1;
            pending.push(text);
        }
        if !pending.is_empty() {
            notify(&pool, &channel, origin, std::mem::take(&mut pending)).await;
            size = 0;
        }
    }
}

/// The event as JSON; `None` when it cannot fit a notification at all.
fn encode(mut event: Event) -> Option<String> {
    if let Event::Log { line, .. } = &mut event {
        if line.message.len() > MAX_LOG_MESSAGE {
            let mut cut = MAX_LOG_MESSAGE;
            while !line.message.is_char_boundary(cut) {
                cut -= 1;
            }
            line.message.truncate(cut);
            line.message.push('…');
        }
    }
    let text = serde_json::to_string(&event).ok()?;
    if text.len() + 64 > MAX_PAYLOAD {
        debug!(len = text.len(), "event too large for a notification");
        return None;
    }
    Some(text)
}

async fn notify(pool: &PgPool, channel: &str, origin: Uuid, events: Vec<String>) {
    let payload = format!(r#"{{"o":"{origin}","e":[{}]}}"#, events.join(","));
    let sent = sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(&payload)
        .execute(pool)
        .await;
    if let Err(err) = sent {
        warn!(error = %err, "publishing events to other processes failed");
    }
}
