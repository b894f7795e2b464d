//! The hub: one task follows the platform's events, numbers them per execution, serialises
//! each once and hands it to the clients subscribed to its execution or job.
//!
//! A client has a bounded queue. When an event does not fit, the client is too slow: it is
//! dropped (told so, then disconnected) and nobody else waits for it. Live frames are the
//! exception: they go only to subscribers of their job, at most one per job per
//! `frame_interval`, and are skipped for a client whose queue is full.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use mino_core::events::Event;
use mino_core::model::{ExecutionId, JobId};
use mino_core::platform::Platform;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, Notify};

use crate::metrics::Metrics;
use crate::state::HttpConfig;

/// A client's registration.
#[derive(Debug)]
struct Client {
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Arc<Notify>,
    executions: HashSet<ExecutionId>,
    jobs: HashSet<JobId>,
    /// Events held back per execution until its snapshot is queued (see
    /// [`Hub::subscribe_execution`]).
    pending: HashMap<ExecutionId, Vec<Utf8Bytes>>,
}

#[derive(Debug)]
struct Inner {
    clients: RwLock<HashMap<u64, Client>>,
    seqs: Mutex<HashMap<ExecutionId, u64>>,
    last_frame: Mutex<HashMap<JobId, Instant>>,
    next_id: AtomicU64,
    config: Arc<HttpConfig>,
    metrics: Arc<Metrics>,
}

/// Live updates for WebSocket clients. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// What a connection gets when it joins the hub.
#[derive(Debug)]
pub struct Membership {
    /// Its id in the hub.
    pub id: u64,
    /// Messages for it, in order.
    pub rx: mpsc::Receiver<Utf8Bytes>,
    /// Its own sender, to queue answers and snapshots behind the events already queued.
    pub tx: mpsc::Sender<Utf8Bytes>,
    /// Notified when the hub drops it for being too slow.
    pub kill: Arc<Notify>,
}

impl Hub {
    /// A hub; [`Hub::follow`] starts it.
    pub fn new(config: Arc<HttpConfig>, metrics: Arc<Metrics>) -> Self {
        Hub {
            inner: Arc::new(Inner {
                clients: RwLock::new(HashMap::new()),
                seqs: Mutex::new(HashMap::new()),
                last_frame: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                config,
                metrics,
            }),
        }
    }

    /// Follows the platform's events until they close.
    pub fn follow(&self, platform: &Platform) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        let mut events = platform.subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => hub.dispatch(&event),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "the WebSocket hub fell behind the events");
                        hub.broadcast_lagged(missed);
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    /// Registers a connection with no subscription yet.
    pub fn join(&self) -> Membership {
        let (tx, rx) = mpsc::channel(self.inner.config.ws_queue.max(2));
        let kill = Arc::new(Notify::new());
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.write_clients().insert(
            id,
            Client {
                tx: tx.clone(),
                kill: kill.clone(),
                executions: HashSet::new(),
                jobs: HashSet::new(),
                pending: HashMap::new(),
            },
        );
        Membership { id, rx, tx, kill }
    }

    /// Removes a connection.
    pub fn leave(&self, id: u64) {
        self.write_clients().remove(&id);
    }

    /// Subscribes a connection to an execution's events and answers the execution's current
    /// sequence number. Until [`Hub::snapshot_ready`] queues the snapshot, the execution's
    /// events for this connection are held back, so the client always gets the snapshot
    /// first and then every later event, numbered from `seq + 1` without a gap.
    pub fn subscribe_execution(&self, id: u64, execution: ExecutionId) -> u64 {
        // Under the write lock no event is being numbered, so `seq` splits the events
        // exactly: up to it before the subscription, after it held back for this client.
        let mut clients = self.write_clients();
        if let Some(client) = clients.get_mut(&id) {
            client.executions.insert(execution);
            client.pending.entry(execution).or_default();
        }
        self.seq_of(execution)
    }

    /// Queues the snapshot of a subscription, then the events held back since.
    pub fn snapshot_ready(&self, id: u64, execution: ExecutionId, snapshot: Utf8Bytes) {
        let too_slow = {
            let mut clients = self.write_clients();
            let Some(client) = clients.get_mut(&id) else {
                return;
            };
            let held = client.pending.remove(&execution).unwrap_or_default();
            std::iter::once(snapshot).chain(held).any(|text| {
                matches!(
                    client.tx.try_send(text),
                    Err(mpsc::error::TrySendError::Full(_))
                )
            })
        };
        if too_slow {
            self.drop_slow(id);
        }
    }

    /// Subscribes a connection to a job's events and live frames.
    pub fn subscribe_job(&self, id: u64, job: JobId) {
        if let Some(client) = self.write_clients().get_mut(&id) {
            client.jobs.insert(job);
        }
    }

    /// Ends a subscription.
    pub fn unsubscribe(&self, id: u64, execution: Option<ExecutionId>, job: Option<JobId>) {
        if let Some(client) = self.write_clients().get_mut(&id) {
            if let Some(execution) = execution {
                client.executions.remove(&execution);
                client.pending.remove(&execution);
            }
            if let Some(job) = job {
                client.jobs.remove(&job);
            }
        }
    }

    /// How many subscriptions a connection holds.
    pub fn subscriptions(&self, id: u64) -> usize {
        self.read_clients()
            .get(&id)
            .map_or(0, |c| c.executions.len() + c.jobs.len())
    }

    /// The last sequence number given to an event of `execution` (0: none yet).
    pub fn seq_of(&self, execution: ExecutionId) -> u64 {
        self.inner
            .seqs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&execution)
            .copied()
            .unwrap_or(0)
    }

    /// Connections now in the hub.
    pub fn len(&self) -> usize {
        self.read_clients().len()
    }

    /// Whether no connection is in the hub.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn dispatch(&self, event: &Event) {
        let execution = event.execution_id();
        let job = event.job_id();
        if let Event::Frame { .. } = event {
            self.dispatch_frame(execution, job, event);
            return;
        }
        let mut too_slow = Vec::new();
        {
            // The write lock orders numbering against subscriptions (see
            // `subscribe_execution`); only this task and (rarely) subscribing connections
            // take it.
            let mut clients = self.write_clients();
            let seq = {
                let mut seqs = self.inner.seqs.lock().unwrap_or_else(|p| p.into_inner());
                let seq = seqs.entry(execution).or_insert(0);
                *seq += 1;
                *seq
            };
            let text = message(execution, seq, event);
            let limit = self.inner.config.ws_queue.max(2);
            for (id, client) in clients.iter_mut() {
                let wants = client.executions.contains(&execution)
                    || job.is_some_and(|j| client.jobs.contains(&j));
                if !wants {
                    continue;
                }
                if let Some(held) = client.pending.get_mut(&execution) {
                    if held.len() >= limit {
                        too_slow.push(*id);
                    } else {
                        held.push(text.clone());
                    }
                    continue;
                }
                match client.tx.try_send(text.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => too_slow.push(*id),
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
        }
        for id in too_slow {
            self.drop_slow(id);
        }
    }

    fn dispatch_frame(&self, execution: ExecutionId, job: Option<JobId>, event: &Event) {
        let Some(job) = job else { return };
        {
            let now = Instant::now();
            let mut last = self
                .inner
                .last_frame
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last
                .get(&job)
                .is_some_and(|at| now.duration_since(*at) < self.inner.config.frame_interval)
            {
                self.inner.metrics.ws_frames_skipped.inc();
                return;
            }
            if last.len() > 10_000 {
                last.retain(|_, at| now.duration_since(*at) < self.inner.config.frame_interval);
            }
            last.insert(job, now);
        }
        let text = message(execution, self.seq_of(execution), event);
        let clients = self.read_clients();
        for client in clients.values().filter(|c| c.jobs.contains(&job)) {
            if client.tx.try_send(text.clone()).is_err() {
                self.inner.metrics.ws_frames_skipped.inc();
            }
        }
    }

    fn drop_slow(&self, id: u64) {
        if let Some(client) = self.write_clients().remove(&id) {
            tracing::info!(
                client = id,
                "dropping a WebSocket client that does not keep up"
            );
            self.inner.metrics.ws_dropped.inc();
            client.kill.notify_one();
        }
    }

    fn broadcast_lagged(&self, missed: u64) {
        let text = Utf8Bytes::from(
            json!({ "type": "lagged", "missed": missed, "message": "the server missed events; fetch the stats again" })
                .to_string(),
        );
        let mut too_slow = Vec::new();
        for (id, client) in self.read_clients().iter() {
            if let Err(mpsc::error::TrySendError::Full(_)) = client.tx.try_send(text.clone()) {
                too_slow.push(*id);
            }
        }
        for id in too_slow {
            self.drop_slow(id);
        }
    }

    fn read_clients(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u64, Client>> {
        self.inner.clients.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_clients(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u64, Client>> {
        self.inner
            .clients
            .write()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// The wire form of an event: `{"type":"event","execution_id","seq","event":{…}}`.
fn message(execution: ExecutionId, seq: u64, event: &Event) -> Utf8Bytes {
    let text = serde_json::to_string(&json!({
        "type": "event",
        "execution_id": execution,
        "seq": seq,
        "event": event,
    }))
    .unwrap_or_else(|_| "{\"type\":\"error\"}".to_owned());
    Utf8Bytes::from(text)
}
