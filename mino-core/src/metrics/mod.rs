//! Batch metrics: accuracy per job and per column, cost joined with accuracy, and trends.
//!
//! [`AccuracyTally`] and [`CostTally`] accumulate one job at a time in constant memory, so
//! metrics can be computed from any stream of jobs (an export computes them while it writes);
//! [`batch_metrics`] and [`batch_report`] page through a store.

mod columns;
mod cost;
mod store;
mod trend;

pub use columns::{metrics_of, AccuracyTally};
pub use cost::{CostMetrics, CostTally, ExecutionCost, UsageTotals};
pub use store::{
    batch_metrics, batch_report, snapshot_execution_end, usage_by_paging, MetricsReport,
};
pub use trend::{trend_from_snapshots, Trend, TrendBy, TrendKey, TrendPoint};
