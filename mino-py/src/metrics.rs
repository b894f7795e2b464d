//! Metrics against ground truth.

use mino::model::{BatchId, ExecutionId, JobFilter};
use pyo3::prelude::*;

use crate::convert::{id_of, opt_id};
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::MetricsReport;

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
            platform.batch(batch).await?;
            let filter = JobFilter {
                batch_id: Some(batch),
                execution_id: execution,
                ..JobFilter::default()
            };
            mino::metrics::batch_report(platform.store().as_ref(), &filter).await
        })?;
        Ok(MetricsReport::from(&report))
    }
}
