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

/// What the sessions of a set of jobs spent, before it is joined with accuracy: what a store
/// sums up in one query ([`Store::usage_totals`](crate::store::Store::usage_totals)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageTotals {
    /// Distinct jobs with at least one session counted.
    pub jobs_run: u64,
    /// Prompt tokens.
    pub tokens_in: u64,
    /// Completion tokens.
    pub tokens_out: u64,
    /// Per execution, oldest first (`cost_per_job` left empty).
    pub executions: Vec<ExecutionCost>,
}

impl CostMetrics {
    /// Joins usage with accuracy: costs per job, per execution and per correct field.
    pub fn from_usage(usage: &UsageTotals, fields_passed: u64) -> Self {
        let cost: f64 = usage.executions.iter().map(|e| e.cost_usd).sum();
        CostMetrics {
            sessions: usage.executions.iter().map(|e| e.sessions).sum(),
            jobs_run: usage.jobs_run,
            tokens_in: usage.tokens_in,
            tokens_out: usage.tokens_out,
            cost_usd: cost,
            cost_per_job: share(cost, usage.jobs_run),
            cost_per_execution: share(cost, usage.executions.len() as u64),
            cost_per_correct_field: share(cost, fields_passed),
            executions: usage
                .executions
                .iter()
                .map(|e| ExecutionCost {
                    cost_per_job: share(e.cost_usd, e.jobs),
                    ..e.clone()
                })
                .collect(),
        }
    }
}

/// Accumulates [`UsageTotals`] from the sessions of one job at a time: how a store without
/// an aggregate query sums usage.
#[derive(Debug, Clone, Default)]
pub struct CostTally {
    only_execution: Option<ExecutionId>,
    jobs_run: u64,
    tokens_in: u64,
    tokens_out: u64,
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
            self.tokens_in += session.usage.tokens_in;
            self.tokens_out += session.usage.tokens_out;
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
            self.jobs_run += 1;
        }
    }

    /// The totals so far, executions in first-seen order.
    pub fn usage(&self) -> UsageTotals {
        UsageTotals {
            jobs_run: self.jobs_run,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            executions: self.executions.values().cloned().collect(),
        }
    }

    /// The totals so far, with cost per correct field computed from `fields_passed`.
    pub fn metrics(&self, fields_passed: u64) -> CostMetrics {
        CostMetrics::from_usage(&self.usage(), fields_passed)
    }
}

/// `total / n`, or `None` when `n` is 0.
fn share(total: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| total / n as f64)
}
