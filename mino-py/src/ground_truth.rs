//! Ground truth: bulk edits with an audit trail.

use mino::model::{BatchId, GroundTruthChangeFilter, JobId};
use mino::platform::{BulkEditGroundTruth, BulkSetGroundTruth};
use pyo3::prelude::*;

use crate::convert::{id_of, ids_of, opt_id};
use crate::paging::{Item, PageIterator};
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::{GroundTruthChange, GroundTruthResult};

#[pymethods]
impl Platform {
    /// Takes what the agent extracted as the ground truth of up to 1,000 jobs of ``batch``
    /// (only ``fields`` when given; empty extracted values are not copied), records who did
    /// it, and scores the jobs again.
    #[pyo3(signature = (batch, jobs, *, fields = None, changed_by = None))]
    fn bulk_set_ground_truth(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        jobs: &Bound<'_, PyAny>,
        fields: Option<Vec<String>>,
        changed_by: Option<String>,
    ) -> PyResult<GroundTruthResult> {
        let batch: BatchId = id_of(batch)?;
        let request = BulkSetGroundTruth {
            job_ids: ids_of(jobs)?,
            fields: fields.unwrap_or_default(),
            changed_by,
        };
        let platform = self.core()?;
        let result = run(py, async move {
            platform.bulk_set_ground_truth(batch, request).await
        })?;
        Ok(GroundTruthResult::from(&result))
    }

    /// Gives ``field`` the ground truth ``value`` on up to 1,000 jobs of ``batch`` (an empty
    /// value removes it), records who did it, and scores the jobs again.
    #[pyo3(signature = (batch, jobs, field, value, *, changed_by = None))]
    fn bulk_edit_ground_truth(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        jobs: &Bound<'_, PyAny>,
        field: String,
        value: String,
        changed_by: Option<String>,
    ) -> PyResult<GroundTruthResult> {
        let batch: BatchId = id_of(batch)?;
        let request = BulkEditGroundTruth {
            job_ids: ids_of(jobs)?,
            field,
            value,
            changed_by,
        };
        let platform = self.core()?;
        let result = run(py, async move {
            platform.bulk_edit_ground_truth(batch, request).await
        })?;
        Ok(GroundTruthResult::from(&result))
    }

    /// The audit trail of ground-truth changes (of a batch, a job and/or a field), oldest
    /// first, fetched lazily.
    #[pyo3(signature = (*, batch = None, job = None, field = None, page_size = 100))]
    fn ground_truth_changes(
        slf: &Bound<'_, Self>,
        batch: Option<&Bound<'_, PyAny>>,
        job: Option<&Bound<'_, PyAny>>,
        field: Option<String>,
        page_size: u32,
    ) -> PyResult<PageIterator> {
        let filter = GroundTruthChangeFilter {
            batch_id: opt_id::<BatchId>(batch)?,
            job_id: opt_id::<JobId>(job)?,
            field,
        };
        PageIterator::new(slf, page_size, None, move |platform, page| {
            let filter = filter.clone();
            Box::pin(async move {
                let page = platform.ground_truth_changes(filter, page).await?;
                Ok(page.map(|c| Item::Change(Box::new(GroundTruthChange::from(&c)))))
            })
        })
    }
}
