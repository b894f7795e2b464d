//! Live execution figures: progress, throughput and ETA, published as `Stats` events.
//!
//! Each process derives the figures from the job transitions it sees (its own workers' and,
//! through a shared event sink, everyone else's) and the counts in the store, at most four
//! times a second per execution, so a dashboard gets smooth updates without a store query per
//! transition.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::engine::Throughput;
use crate::error::Result;
use crate::events::{DynEventSink, Event, ExecutionStats};
use crate::model::{Execution, ExecutionId};
use crate::store::DynStore;

const WINDOW: Duration = Duration::from_secs(120);
const TICK: Duration = Duration::from_millis(250);

#[derive(Debug, Default)]
struct State {
    rates: HashMap<ExecutionId, Throughput>,
}

/// Tracks throughput per execution and publishes stats.
#[derive(Debug)]
pub(crate) struct StatsTracker {
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for StatsTracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StatsTracker {
    pub fn start(store: DynStore, events: DynEventSink) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let task = tokio::spawn(run(store, events, state.clone()));
        StatsTracker { state, task }
    }

    /// The figures of one execution now.
    pub fn stats_of(&self, execution: &Execution) -> ExecutionStats {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        compute(execution, state.rates.get_mut(&execution.id))
    }
}

fn compute(execution: &Execution, rate: Option<&mut Throughput>) -> ExecutionStats {
    let counts = execution.counts;
    let done = counts.completed + counts.failed + counts.cancelled + counts.invalid;
    let remaining = execution.total.saturating_sub(done);
    let now = Instant::now();
    let (per_sec, eta) = match rate {
        Some(rate) => (rate.per_second(now), rate.eta_secs(now, remaining)),
        None => (None, (remaining == 0).then_some(0)),
    };
    ExecutionStats {
        execution_id: execution.id,
        batch_id: execution.batch_id,
        status: execution.status,
        total: execution.total,
        counts,
        progress: if execution.total == 0 {
            1.0
        } else {
            done as f64 / execution.total as f64
        },
        throughput_per_min: per_sec.unwrap_or(0.0) * 60.0,
        eta_secs: if execution.status.is_active() {
            eta
        } else {
            Some(0)
        },
        concurrency: execution.concurrency,
        at: chrono::Utc::now(),
    }
}

async fn run(store: DynStore, events: DynEventSink, state: Arc<Mutex<State>>) {
    let mut rx = events.subscribe();
    let mut dirty: HashSet<ExecutionId> = HashSet::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Ok(event) => note(&event, &state, &mut dirty),
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                for id in std::mem::take(&mut dirty) {
                    if let Err(err) = publish(&store, &events, &state, id).await {
                        tracing::debug!(execution = %id, error = ?err, "stats not published");
                    }
                }
            }
        }
    }
}

fn note(event: &Event, state: &Mutex<State>, dirty: &mut HashSet<ExecutionId>) {
    match event {
        Event::JobTransition {
            execution_id, to, ..
        } => {
            if to.is_terminal() {
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                state
                    .rates
                    .entry(*execution_id)
                    .or_insert_with(|| Throughput::new(WINDOW))
                    .record(Instant::now(), 1);
            }
            dirty.insert(*execution_id);
        }
        Event::ExecutionStatus { execution_id, .. } | Event::Concurrency { execution_id, .. } => {
            dirty.insert(*execution_id);
        }
        _ => {}
    }
}

async fn publish(
    store: &DynStore,
    events: &DynEventSink,
    state: &Mutex<State>,
    id: ExecutionId,
) -> Result<()> {
    let execution = store.get_execution(id).await?;
    let stats = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        let stats = compute(&execution, state.rates.get_mut(&id));
        if !execution.status.is_active() {
            state.rates.remove(&id);
        }
        stats
    };
    events.publish(Event::Stats(stats));
    Ok(())
}
