//! Metrics against ground truth: per column, snapshots, trends and the dashboard summary.

use mino::metrics::TrendBy;
use mino::model::{BatchId, ExecutionId};
use pyo3::prelude::*;

use crate::convert::{id_of, opt_id, parse_enum};
use crate::paging::{Item, PageIterator};
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::{BatchDashboard, MetricsReport, MetricsSnapshot, TrendPoint};

#[pymethods]
impl Platform {
    /// Accuracy per job and per column, and cost, of a batch's jobs, or of the jobs one
    /// execution of it ran.
    #[pyo3(signature = (batch, execution = None))]
    fn metrics(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        execution: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<MetricsReport> {
        let batch: BatchId = id_of(batch)?;
        let execution: Option<ExecutionId> = opt_id(execution)?;
        let platform = self.core()?;
        let report = run(py, async move {
            platform.column_metrics(batch, execution).await
        })?;
        Ok(MetricsReport::from(&report))
    }

    /// Stores a snapshot of a batch's metrics now (of one execution's jobs when given).
    #[pyo3(signature = (batch, execution = None))]
    fn create_snapshot(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        execution: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<MetricsSnapshot> {
        let batch: BatchId = id_of(batch)?;
        let execution: Option<ExecutionId> = opt_id(execution)?;
        let platform = self.core()?;
        let snapshot = run(py, async move {
            platform.create_snapshot(batch, execution).await
        })?;
        Ok(MetricsSnapshot::from(&snapshot))
    }

    /// A batch's metrics snapshots, oldest first, fetched lazily. The engine takes one when
    /// each execution ends.
    #[pyo3(signature = (batch, *, page_size = 50))]
    fn snapshots(
        slf: &Bound<'_, Self>,
        batch: &Bound<'_, PyAny>,
        page_size: u32,
    ) -> PyResult<PageIterator> {
        let batch: BatchId = id_of(batch)?;
        PageIterator::new(slf, page_size, None, move |platform, page| {
            Box::pin(async move {
                let page = platform.snapshots(batch, page).await?;
                Ok(page.map(|s| Item::Snapshot(Box::new(MetricsSnapshot::from(&s)))))
            })
        })
    }

    /// How a batch's metrics moved: one point per execution (``by="execution"``) or per
    /// instruction version (``by="instruction_version"``), oldest first.
    #[pyo3(signature = (batch, by = "execution"))]
    fn trends(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        by: &str,
    ) -> PyResult<Vec<TrendPoint>> {
        let batch: BatchId = id_of(batch)?;
        let by: TrendBy = parse_enum(py, by, "by")?;
        let platform = self.core()?;
        let trend = run(py, async move { platform.trends(batch, by).await })?;
        Ok(trend.iter().map(TrendPoint::from).collect())
    }

    /// Everything a dashboard shows about a batch: counts, metrics, the trend per execution
    /// and the newest execution's live figures.
    fn dashboard(&self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<BatchDashboard> {
        let batch: BatchId = id_of(batch)?;
        let platform = self.core()?;
        let dashboard = run(py, async move { platform.analytics_dashboard(batch).await })?;
        Ok(BatchDashboard::from(&dashboard))
    }
}
