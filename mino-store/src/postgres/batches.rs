//! Batches: the batch row and, through [`copy`](super::copy), its jobs.

use std::time::Instant;

use chrono::{DateTime, Utc};
use mino_core::model::{Batch, BatchId, BatchUpdate, ColumnSchema, NewBatch, ProjectId};
use mino_core::store::{BatchFilter, JobRows, Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};
use tracing::info;
use uuid::Uuid;

use super::codec::{id_page, push_id_page, to_i64, to_u64};
use super::copy::copy_jobs;
use super::error::DbResultExt;

const BATCH_COLUMNS: &str = "id, project_id, name, source_filename, columns, site_url_column, \
     preview, warnings, total_rows, valid_rows, invalid_rows, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: Uuid,
    project_id: Uuid,
    name: String,
    source_filename: Option<String>,
    columns: Json<Vec<ColumnSchema>>,
    site_url_column: String,
    preview: Json<Vec<Vec<String>>>,
    warnings: Json<Vec<String>>,
    total_rows: i64,
    valid_rows: i64,
    invalid_rows: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl BatchRow {
    fn into_model(self) -> Result<Batch> {
        Ok(Batch {
            id: BatchId(self.id),
            project_id: ProjectId(self.project_id),
            name: self.name,
            source_filename: self.source_filename,
            columns: self.columns.0,
            site_url_column: self.site_url_column,
            preview: self.preview.0,
            warnings: self.warnings.0,
            total_rows: to_u64(self.total_rows, "total_rows")?,
            valid_rows: to_u64(self.valid_rows, "valid_rows")?,
            invalid_rows: to_u64(self.invalid_rows, "invalid_rows")?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) async fn create(pool: &PgPool, new: NewBatch, rows: JobRows) -> Result<Batch> {
    validate_name(&new.name)?;
    let started = Instant::now();
    let id = BatchId::new();
    let mut tx = pool.begin().await.db()?;
    // A missing project fails here, on the batch's foreign key, before any row is read.
    sqlx::query(
        "INSERT INTO batches (id, project_id, name, source_filename, columns, \
         site_url_column, preview, warnings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.0)
    .bind(new.project_id.0)
    .bind(&new.name)
    .bind(&new.source_filename)
    .bind(Json(&new.columns))
    .bind(&new.site_url_column)
    .bind(Json(&new.preview))
    .bind(Json(&new.warnings))
    .execute(&mut *tx)
    .await
    .db()?;

    let counts = copy_jobs(&mut tx, id.0, new.project_id.0, rows).await?;

    let sql = format!(
        "UPDATE batches SET total_rows = $2, valid_rows = $3, invalid_rows = $4 \
         WHERE id = $1 RETURNING {BATCH_COLUMNS}"
    );
    let row: BatchRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .bind(to_i64(counts.total, "total_rows")?)
        .bind(to_i64(counts.total - counts.invalid, "valid_rows")?)
        .bind(to_i64(counts.invalid, "invalid_rows")?)
        .fetch_one(&mut *tx)
        .await
        .db()?;
    tx.commit().await.db()?;
    info!(
        batch_id = %id,
        rows = counts.total,
        invalid = counts.invalid,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "batch stored"
    );
    row.into_model()
}

pub(crate) async fn get(pool: &PgPool, id: BatchId) -> Result<Batch> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1");
    sqlx::query_as::<_, BatchRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("batch", id))?
        .into_model()
}

pub(crate) async fn list(
    pool: &PgPool,
    filter: BatchFilter,
    page: PageRequest,
) -> Result<Page<Batch>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("SELECT {BATCH_COLUMNS} FROM batches WHERE true"));
    if let Some(project) = filter.project_id {
        qb.push(" AND project_id = ").push_bind(project.0);
    }
    push_id_page(&mut qb, &page)?;
    let rows: Vec<BatchRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let batches = rows
        .into_iter()
        .map(BatchRow::into_model)
        .collect::<Result<Vec<_>>>()?;
    Ok(id_page(batches, &page, |b| b.id.0))
}

pub(crate) async fn update(pool: &PgPool, id: BatchId, update: BatchUpdate) -> Result<Batch> {
    if let Some(name) = &update.name {
        validate_name(name)?;
    }
    let sql = format!(
        "UPDATE batches SET name = COALESCE($2, name), updated_at = now() \
         WHERE id = $1 RETURNING {BATCH_COLUMNS}"
    );
    sqlx::query_as::<_, BatchRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .bind(update.name)
        .fetch_optional(pool)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("batch", id))?
        .into_model()
}

pub(crate) async fn delete(pool: &PgPool, id: BatchId) -> Result<()> {
    let mut tx = pool.begin().await.db()?;
    // Jobs go first: left to the cascade from executions, each job would first get its
    // execution_id set to NULL and only then be deleted.
    sqlx::query("DELETE FROM jobs WHERE batch_id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?;
    let deleted = sqlx::query("DELETE FROM batches WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
    if deleted == 0 {
        return Err(Error::not_found("batch", id));
    }
    tx.commit().await.db()?;
    Ok(())
}

/// Checks that a batch's display name is 1–200 characters (not counting outer spaces).
fn validate_name(name: &str) -> Result<()> {
    let len = name.trim().chars().count();
    if len == 0 || len > 200 {
        return Err(
            Error::validation("batch name must be between 1 and 200 characters")
                .with_context("field", "name"),
        );
    }
    Ok(())
}
