//! Cost joined with accuracy: what the sessions of a set of jobs spent, per job, per
//! execution and per correct field.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::model::{ExecutionId, Session};

/// Cost of one execution's sessions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecutionCost {
    /// The execution (`None` for sessions run outside any execution).
    pub execution_id: Option<ExecutionId>,
    /// Sessions (attempts) counted.
    pub sessions: u64,
    /// Distinct jobs those sessions ran.
    pub jobs: u64,
    /// Their cost, US dollars.
    pub cost_usd: f64,
    /// `cost_usd / jobs`.
    pub cost_per_job: Option<f64>,
}

/// Tokens and cost of the sessions of a set of jobs, joined with their accuracy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CostMetrics {
    /// Sessions (attempts) counted.
    pub sessions: u64,
    /// Jobs with at least one session counted.
    pub jobs_run: u64,
    /// Prompt tokens.
    pub tokens_in: u64,
    /// Completion tokens.
    pub tokens_out: u64,
    /// Total cost, US dollars.
    pub cost_usd: f64,
    /// `cost_usd / jobs_run`.
    pub cost_per_job: Option<f64>,
    /// `cost_usd` over the number of executions counted.
    pub cost_per_execution: Option<f64>,
    /// `cost_usd` over the fields that passed evaluation, all columns together.
    pub cost_per_correct_field: Option<f64>,
    /// Per execution, in first-seen order.
    pub executions: Vec<ExecutionCost>,
}

/// Accumulates [`CostMetrics`] from the sessions of one job at a time.
#[derive(Debug, Clone, Default)]
pub struct CostTally {
    only_execution: Option<ExecutionId>,
    totals: CostMetrics,
    executions: IndexMap<Option<ExecutionId>, ExecutionCost>,
}

impl CostTally {
    /// A tally counting every session, or only those of `execution` when given.
    pub fn new(execution: Option<ExecutionId>) -> Self {
        CostTally {
            only_execution: execution,
            ..Self::default()
        }
    }

    /// Counts the sessions of one job (all of them, in any order).
    pub fn add_job_sessions(&mut self, sessions: &[Session]) {
        let mut ran = false;
        let mut seen: Vec<Option<ExecutionId>> = Vec::new();
        for session in sessions {
            if self
                .only_execution
                .is_some_and(|e| session.execution_id != Some(e))
            {
                continue;
            }
            ran = true;
            self.totals.sessions += 1;
            self.totals.tokens_in += session.usage.tokens_in;
            self.totals.tokens_out += session.usage.tokens_out;
            self.totals.cost_usd += session.usage.cost_usd;
            let execution = self
                .executions
                .entry(session.execution_id)
                .or_insert_with(|| ExecutionCost {
                    execution_id: session.execution_id,
                    ..ExecutionCost::default()
                });
            execution.sessions += 1;
            execution.cost_usd += session.usage.cost_usd;
            if !seen.contains(&session.execution_id) {
                seen.push(session.execution_id);
                execution.jobs += 1;
            }
        }
        if ran {
            self.totals.jobs_run += 1;
        }
    }

    /// The totals so far, with cost per correct field computed from `fields_passed`.
    pub fn metrics(&self, fields_passed: u64) -> CostMetrics {
        let cost = self.totals.cost_usd;
        CostMetrics {
            cost_per_job: share(cost, self.totals.jobs_run),
            cost_per_execution: share(cost, self.executions.len() as u64),
            cost_per_correct_field: share(cost, fields_passed),
            executions: self
                .executions
                .values()
                .map(|e| ExecutionCost {
                    cost_per_job: share(e.cost_usd, e.jobs),
                    ..e.clone()
                })
                .collect(),
            ..self.totals.clone()
        }
    }
}

/// `total / n`, or `None` when `n` is 0.
fn share(total: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| total / n as f64)
}
