//! The worker loop: claim jobs, run attempts, keep leases alive, reclaim lost work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::attempt::{run_attempt, AttemptContext};
use super::config::WorkerConfig;
use crate::events::Event;
use crate::model::{ExecutionId, ExecutionStatus, JobId, JobStatus};
use crate::store::Reclaimed;

/// How a worker stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Claim nothing more and let running attempts finish.
    Graceful,
    /// Abort running attempts and hand their jobs back to the queue at once.
    HandBack,
}

/// A running worker. Dropping the handle without [`shutdown`](Self::shutdown) stops it
/// gracefully.
#[derive(Debug)]
pub struct WorkerHandle {
    worker_id: String,
    stop: watch::Sender<Option<Shutdown>>,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// The worker's id.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Makes the worker look for jobs now instead of at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A handle that wakes the worker, for callers that outlive a borrow of this one.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Stops the worker and waits until it has stopped.
    pub async fn shutdown(self, how: Shutdown) {
        let _ = self.stop.send(Some(how));
        if let Err(err) = self.task.await {
            warn!(error = %err, "worker task ended abnormally");
        }
    }

    /// Whether the worker loop has ended (it only ends on shutdown, or by panicking).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// The cancellation handles of the attempts a worker runs, shared by its claim loop and its
/// heartbeat task. Never held across an await.
type Running = Arc<Mutex<HashMap<JobId, CancellationToken>>>;

fn lock(running: &Running) -> MutexGuard<'_, HashMap<JobId, CancellationToken>> {
    running
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts a worker on the current Tokio runtime.
pub(crate) fn spawn_worker(ctx: Arc<AttemptContext>) -> WorkerHandle {
    let (stop, stop_rx) = watch::channel(None);
    let wake = Arc::new(Notify::new());
    let worker_id = ctx.config.worker_id.clone();
    let task = tokio::spawn(worker_loop(ctx, stop_rx, wake.clone()));
    WorkerHandle {
        worker_id,
        stop,
        wake,
        task,
    }
}

async fn worker_loop(
    ctx: Arc<AttemptContext>,
    mut stop: watch::Receiver<Option<Shutdown>>,
    wake: Arc<Notify>,
) {
    let config: &WorkerConfig = &ctx.config;
    info!(worker = %config.worker_id, "worker started");
    // Told when an execution stops, so its running attempts are aborted at once instead of
    // at the next heartbeat (a third of the lease: ten seconds by default).
    let check_leases = Arc::new(Notify::new());
    let wake_on_events = tokio::spawn(wake_on_control_events(
        ctx.clone(),
        wake.clone(),
        check_leases.clone(),
    ));
    let running: Running = Arc::default();
    // Heartbeats run on their own task: behind a slow claim or reclaim on a busy database
    // they would come late, and a live worker would lose its leases.
    let stop_beating = CancellationToken::new();
    let heartbeats = tokio::spawn(keep_leases(
        ctx.clone(),
        running.clone(),
        check_leases,
        stop_beating.clone(),
    ));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<JobId>();
    // As often as heartbeats: a dead worker's jobs run again at most a lease plus one
    // heartbeat interval after its last beat.
    let mut reclaim = tokio::time::interval(config.heartbeat_interval());
    reclaim.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut claim_failures = 0u32;

    let shutdown = loop {
        if let Some(how) = *stop.borrow() {
            break how;
        }
        // The handle was dropped without a shutdown: nobody can stop this worker any more,
        // so it stops now, letting running attempts finish.
        if stop.has_changed().is_err() {
            break Shutdown::Graceful;
        }
        let free = config.max_in_flight.saturating_sub(lock(&running).len());
        let mut claimed_all = false;
        if free > 0 {
            match ctx
                .store
                .claim_jobs(&config.worker_id, free as u32, config.lease)
                .await
            {
                Ok(claims) => {
                    claim_failures = 0;
                    claimed_all = claims.len() == free;
                    for claim in claims {
                        let cancel = CancellationToken::new();
                        let job_id = claim.job.id;
                        lock(&running).insert(job_id, cancel.clone());
                        let ctx = ctx.clone();
                        let done = done_tx.clone();
                        tokio::spawn(async move {
                            run_attempt(&ctx, claim, cancel).await;
                            let _ = done.send(job_id);
                        });
                    }
                }
                Err(err) => {
                    claim_failures += 1;
                    warn!(error = ?err, failures = claim_failures, "claiming jobs failed");
                }
            }
        }
        // After a full claim there may be more work: look again at once (once a slot is free).
        let idle = if claimed_all && lock(&running).len() < config.max_in_flight {
            Duration::ZERO
        } else {
            // Back off a little while the store is failing, up to 5 s.
            config.poll_interval * (1 + claim_failures.min(20))
        };
        tokio::select! {
            biased;
            // A shutdown, or a dropped handle (checked at the top of the loop).
            _ = stop.changed() => {}
            Some(job) = done_rx.recv() => {
                lock(&running).remove(&job);
                gather_finished(config, &running, &mut done_rx, &mut stop).await;
            }
            _ = reclaim.tick() => reclaim_expired(&ctx).await,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(idle) => {}
        }
    };

    let left = lock(&running).len();
    info!(worker = %config.worker_id, ?shutdown, running = left, "worker stopping");
    if shutdown == Shutdown::HandBack {
        ctx.handing_back.cancel();
        for cancel in lock(&running).values() {
            cancel.cancel();
        }
    }
    // The heartbeat task keeps the leases alive while the last attempts finish.
    while !lock(&running).is_empty() {
        if let Some(job) = done_rx.recv().await {
            lock(&running).remove(&job);
        }
    }
    stop_beating.cancel();
    let _ = heartbeats.await;
    wake_on_events.abort();
    info!(worker = %config.worker_id, "worker stopped");
}

/// How long a worker waits after an attempt finishes for others to finish too, so that one
/// claim fetches work for all of them.
const CLAIM_GATHER: Duration = Duration::from_millis(5);

/// Takes finished attempts off `running` until a quarter of the worker's slots are free, none
/// is running, or [`CLAIM_GATHER`] has passed. Attempts finish one by one; claiming after
/// each would cost the store a claim per job, and a few milliseconds of idle slots cost
/// nothing next to attempts that take seconds.
async fn gather_finished(
    config: &WorkerConfig,
    running: &Running,
    done_rx: &mut mpsc::UnboundedReceiver<JobId>,
    stop: &mut watch::Receiver<Option<Shutdown>>,
) {
    let enough = (config.max_in_flight / 4).max(1);
    let deadline = tokio::time::Instant::now() + CLAIM_GATHER;
    loop {
        {
            let mut running = lock(running);
            while let Ok(job) = done_rx.try_recv() {
                running.remove(&job);
            }
            if running.is_empty() || config.max_in_flight.saturating_sub(running.len()) >= enough {
                return;
            }
        }
        tokio::select! {
            biased;
            _ = stop.changed() => return,
            job = done_rx.recv() => match job {
                Some(job) => {
                    lock(running).remove(&job);
                }
                None => return,
            },
            _ = tokio::time::sleep_until(deadline) => return,
        }
    }
}

/// Extends the leases of the running attempts every third of the lease, and at once when
/// `check` is notified.
async fn keep_leases(
    ctx: Arc<AttemptContext>,
    running: Running,
    check: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(ctx.config.heartbeat_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
            _ = check.notified() => {}
        }
        beat(&ctx, &running).await;
    }
}

/// Wakes the worker when an execution starts, resumes or gets more concurrency, and has it
/// check its leases when one stops, in this process or (through a shared event sink) in
/// another.
async fn wake_on_control_events(
    ctx: Arc<AttemptContext>,
    wake: Arc<Notify>,
    check_leases: Arc<Notify>,
) {
    let mut events = ctx.events.subscribe();
    loop {
        match events.recv().await {
            Ok(event) => match &*event {
                Event::ExecutionStatus {
                    status: ExecutionStatus::Stopping,
                    ..
                } => check_leases.notify_one(),
                Event::ExecutionStatus { .. } | Event::Concurrency { .. } => wake.notify_one(),
                _ => {}
            },
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                // A missed event may have been any of them.
                wake.notify_one();
                check_leases.notify_one();
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Extends the leases of running attempts and aborts the ones the store says are gone.
async fn beat(ctx: &AttemptContext, running: &Running) {
    let jobs: Vec<JobId> = lock(running).keys().copied().collect();
    if jobs.is_empty() {
        return;
    }
    match ctx
        .store
        .heartbeat(&ctx.config.worker_id, &jobs, ctx.config.lease)
        .await
    {
        Ok(gone) => {
            let running = lock(running);
            for job in gone {
                // Absent: the attempt finished while the heartbeat was under way.
                if let Some(cancel) = running.get(&job) {
                    debug!(%job, "aborting attempt: stopped or lease lost");
                    cancel.cancel();
                }
            }
        }
        Err(err) => warn!(error = ?err, "heartbeat failed"),
    }
}

/// Announces the end of an execution that a reclaim ended.
async fn end_if_ended(ctx: &AttemptContext, id: ExecutionId) {
    match ctx.store.get_execution(id).await {
        Ok(execution) if !execution.status.is_active() => {
            ctx.events.publish(Event::ExecutionStatus {
                execution_id: id,
                batch_id: execution.batch_id,
                status: execution.status,
                at: chrono::Utc::now(),
            });
            super::on_execution_end(ctx.store.clone(), execution);
        }
        Ok(_) => {}
        Err(err) => warn!(execution = %id, error = ?err, "reading an execution failed"),
    }
}

/// Closes attempts of dead workers so their jobs run again.
async fn reclaim_expired(ctx: &AttemptContext) {
    match ctx.store.reclaim_expired().await {
        Ok(reclaimed) => {
            for Reclaimed {
                job,
                session,
                worker_id,
            } in reclaimed
            {
                warn!(job = %job.id, worker = %worker_id, "reclaimed a job whose lease expired");
                if let Some(execution_id) = job.execution_id {
                    ctx.events.publish(Event::JobTransition {
                        execution_id,
                        job_id: job.id,
                        session_id: Some(session.id),
                        from: JobStatus::Running,
                        to: job.status,
                        attempt: session.attempt,
                        worker_id: Some(worker_id),
                        site_url: job.site_url.clone(),
                        error: session.error.as_ref().map(|e| e.message.clone()),
                        at: chrono::Utc::now(),
                    });
                    // A reclaimed job that failed or was cancelled may have been its
                    // execution's last open job.
                    if job.status.is_terminal() {
                        end_if_ended(ctx, execution_id).await;
                    }
                }
            }
        }
        Err(err) => warn!(error = ?err, "reclaiming expired leases failed"),
    }
}
