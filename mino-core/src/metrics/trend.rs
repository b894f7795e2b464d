//! Trends: metrics over successive executions or instruction versions.
//!
//! A trend is a list of points, each a key (an execution or an instruction version) and the
//! [`BatchMetrics`] measured there, oldest first. Today points come from stored metrics
//! snapshots; the engine will add points as executions finish.

use serde::{Deserialize, Serialize};

use crate::model::{BatchMetrics, ExecutionId, MetricsSnapshot};

/// What a trend point stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrendKey {
    /// One execution.
    Execution {
        /// The execution.
        execution_id: ExecutionId,
    },
    /// One instruction version.
    InstructionVersion {
        /// The version number.
        version: u32,
    },
}

/// One point of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// What the point stands for.
    pub key: TrendKey,
    /// The metrics measured there.
    pub metrics: BatchMetrics,
}

/// Metrics over successive executions or instruction versions, oldest first.
pub type Trend = Vec<TrendPoint>;

/// How snapshots are grouped into points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendBy {
    /// One point per execution.
    Execution,
    /// One point per instruction version.
    InstructionVersion,
}

/// Builds a trend from snapshots (in the order the store lists them, oldest first): one
/// point per execution or version, holding its latest snapshot, ordered by each key's first
/// appearance. Snapshots without the key (no execution, or no version) are left out.
pub fn trend_from_snapshots(snapshots: &[MetricsSnapshot], by: TrendBy) -> Trend {
    let mut points: Trend = Vec::new();
    for snapshot in snapshots {
        let key = match by {
            TrendBy::Execution => snapshot
                .execution_id
                .map(|execution_id| TrendKey::Execution { execution_id }),
            TrendBy::InstructionVersion => snapshot
                .instruction_version
                .map(|version| TrendKey::InstructionVersion { version }),
        };
        let Some(key) = key else { continue };
        match points.iter_mut().find(|p| p.key == key) {
            Some(point) => point.metrics = snapshot.metrics.clone(),
            None => points.push(TrendPoint {
                key,
                metrics: snapshot.metrics.clone(),
            }),
        }
    }
    points
}
