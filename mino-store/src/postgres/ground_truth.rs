//! Listing the audit trail of ground truth (changes are written with the job updates in
//! `job_writes`).

use chrono::{DateTime, Utc};
use mino_core::model::{BatchId, ChangeId, GroundTruthChange, GroundTruthChangeFilter, JobId};
use mino_core::store::{Page, PageRequest};
use mino_core::Result;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::codec::{id_page, push_id_page};
use super::error::DbResultExt;

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: Uuid,
    job_id: Uuid,
    batch_id: Uuid,
    field: String,
    old_value: Option<String>,
    new_value: Option<String>,
    changed_by: String,
    changed_at: DateTime<Utc>,
}

impl From<ChangeRow> for GroundTruthChange {
    fn from(row: ChangeRow) -> Self {
        GroundTruthChange {
            id: ChangeId(row.id),
            job_id: JobId(row.job_id),
            batch_id: BatchId(row.batch_id),
            field: row.field,
            old_value: row.old_value,
            new_value: row.new_value,
            changed_by: row.changed_by,
            changed_at: row.changed_at,
        }
    }
}

/// Changes matching `filter`, oldest first.
pub(crate) async fn list(
    pool: &PgPool,
    filter: &GroundTruthChangeFilter,
    page: PageRequest,
) -> Result<Page<GroundTruthChange>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT id, job_id, batch_id, field, old_value, new_value, changed_by, changed_at \
         FROM ground_truth_changes WHERE true",
    );
    if let Some(job) = filter.job_id {
        qb.push(" AND job_id = ").push_bind(job.0);
    }
    if let Some(batch) = filter.batch_id {
        qb.push(" AND batch_id = ").push_bind(batch.0);
    }
    if let Some(field) = &filter.field {
        qb.push(" AND field = ").push_bind(field.clone());
    }
    push_id_page(&mut qb, &page)?;
    let rows: Vec<ChangeRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let changes = rows.into_iter().map(GroundTruthChange::from).collect();
    Ok(id_page(changes, &page, |c| c.id.0))
}
