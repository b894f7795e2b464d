//! Metrics snapshots.

use chrono::{DateTime, Utc};
use mino_core::model::{
    BatchId, BatchMetrics, ExecutionId, MetricsSnapshot, NewSnapshot, SnapshotId,
};
use mino_core::store::{Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::codec::{id_page, push_id_page, to_i32, to_u32};
use super::error::DbResultExt;

const SNAPSHOT_COLUMNS: &str =
    "id, batch_id, execution_id, instruction_version, metrics, at_end, created_at";

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    id: Uuid,
    batch_id: Uuid,
    execution_id: Option<Uuid>,
    instruction_version: Option<i32>,
    metrics: Json<BatchMetrics>,
    at_end: bool,
    created_at: DateTime<Utc>,
}

impl SnapshotRow {
    fn into_model(self) -> Result<MetricsSnapshot> {
        Ok(MetricsSnapshot {
            id: SnapshotId(self.id),
            batch_id: BatchId(self.batch_id),
            execution_id: self.execution_id.map(ExecutionId),
            instruction_version: self
                .instruction_version
                .map(|v| to_u32(v, "instruction_version"))
                .transpose()?,
            metrics: self.metrics.0,
            at_end: self.at_end,
            created_at: self.created_at,
        })
    }
}

/// Stores a snapshot; an execution's end snapshot is stored once, later ones return it.
pub(crate) async fn create(pool: &PgPool, new: NewSnapshot) -> Result<MetricsSnapshot> {
    if new.at_end && new.execution_id.is_none() {
        return Err(
            Error::validation("an end-of-execution snapshot needs its execution")
                .with_context("field", "execution_id"),
        );
    }
    let version = new
        .instruction_version
        .map(|v| to_i32(v, "instruction_version"))
        .transpose()?;
    // A missing batch or execution fails on its foreign key and comes back as not found.
    // An end snapshot already stored wins: the insert does nothing and the select finds it.
    let sql = format!(
        "WITH inserted AS ( \
             INSERT INTO metrics_snapshots (id, batch_id, execution_id, instruction_version, \
             metrics, at_end) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (execution_id) WHERE at_end DO NOTHING \
             RETURNING {SNAPSHOT_COLUMNS}) \
         SELECT {SNAPSHOT_COLUMNS} FROM inserted \
         UNION ALL \
         SELECT {SNAPSHOT_COLUMNS} FROM metrics_snapshots \
         WHERE $6 AND execution_id = $3 AND at_end AND NOT EXISTS (SELECT 1 FROM inserted)"
    );
    let row = sqlx::query_as::<_, SnapshotRow>(sqlx::AssertSqlSafe(sql))
        .bind(SnapshotId::new().0)
        .bind(new.batch_id.0)
        .bind(new.execution_id.map(|e| e.0))
        .bind(version)
        .bind(Json(&new.metrics))
        .bind(new.at_end)
        .fetch_optional(pool)
        .await
        .db()?;
    match row {
        Some(row) => row.into_model(),
        // A concurrent insert of the same end snapshot committed after this statement's
        // snapshot was taken: read it now.
        None => {
            let sql = format!(
                "SELECT {SNAPSHOT_COLUMNS} FROM metrics_snapshots \
                 WHERE execution_id = $1 AND at_end"
            );
            sqlx::query_as::<_, SnapshotRow>(sqlx::AssertSqlSafe(sql))
                .bind(new.execution_id.map(|e| e.0))
                .fetch_one(pool)
                .await
                .db()?
                .into_model()
        }
    }
}

/// A batch's snapshots; like every list, an unknown batch gives an empty page.
pub(crate) async fn list(
    pool: &PgPool,
    batch: BatchId,
    page: PageRequest,
) -> Result<Page<MetricsSnapshot>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "SELECT {SNAPSHOT_COLUMNS} FROM metrics_snapshots WHERE batch_id = "
    ));
    qb.push_bind(batch.0);
    push_id_page(&mut qb, &page)?;
    let rows: Vec<SnapshotRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let snapshots = rows
        .into_iter()
        .map(SnapshotRow::into_model)
        .collect::<Result<Vec<_>>>()?;
    Ok(id_page(snapshots, &page, |s| s.id.0))
}
