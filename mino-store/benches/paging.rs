//! Deep paging benchmark: a 50-row page of jobs with a status filter at depth 900,000 of a
//! 1,000,000-job batch, per store: p50 and p99, the ratio against page 1, and the ratio
//! against OFFSET paging at the same depth (the same query with `OFFSET` instead of a cursor,
//! straight on the database).
//!
//! Run: `cargo bench -p mino-store --features postgres --bench paging`
//! (`MINO_BENCH_JOBS` changes the batch size; the depth stays at 90% of it).

mod common;

use std::time::{Duration, Instant};

use common::*;
use indexmap::IndexMap;
use mino_core::model::*;
use mino_core::store::{Cursor, DynStore, JobRows, PageRequest};

const SAMPLES: usize = 200;
const OFFSET_SAMPLES: usize = 10;

fn main() {
    let jobs: u64 = std::env::var("MINO_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let depth = jobs * 9 / 10;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("paging benchmark: {jobs} jobs, 50-row pages, status filter, depth {depth}");
    println!();
    println!("| store | page 1 p50 ms | deep p50 ms | deep p99 ms | deep / page 1 | OFFSET p50 ms | OFFSET / cursor |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    runtime.block_on(async {
        let path = scratch_dir().join("paging-bench.db");
        remove_db(&path);
        let sqlite = mino_store::open(&format!("sqlite:{}", path.display()))
            .await
            .expect("sqlite");
        let r = measure(&sqlite, jobs, depth).await;
        let offset = sqlite_offset(&path, r.batch, depth);
        r.print("SQLite", offset);
        drop(sqlite);
        remove_db(&path);

        let schema = format!("mino_bench_{}", uuid::Uuid::now_v7().simple());
        let base = postgres_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        let pg = mino_store::open(&format!("{base}{sep}schema={schema}"))
            .await
            .expect("postgres");
        let r = measure(&pg, jobs, depth).await;
        let offset = postgres_offset(&base, &schema, r.batch, depth).await;
        r.print("Postgres", offset);
        drop(pg);
        let pool = sqlx::PgPool::connect(&base).await.expect("pg");
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&pool)
            .await
            .expect("drop schema");
    });
}

struct Measured {
    batch: BatchId,
    first: Vec<Duration>,
    deep: Vec<Duration>,
}

impl Measured {
    fn print(&self, name: &str, offset: Vec<Duration>) {
        let first = percentile_ms(&self.first, 50.0);
        let deep = percentile_ms(&self.deep, 50.0);
        let deep99 = percentile_ms(&self.deep, 99.0);
        let off = percentile_ms(&offset, 50.0);
        println!(
            "| {name} | {first:.2} | {deep:.2} | {deep99:.2} | {:.2}× | {off:.1} | {:.0}× |",
            deep / first,
            off / deep
        );
    }
}

/// Every 20th job is invalid, so the `pending` filter really filters.
fn rows(n: u64) -> JobRows {
    Box::new((0..n).map(|i| {
        let mut inputs = IndexMap::new();
        inputs.insert("company".to_owned(), format!("Company {i}"));
        inputs.insert("country".to_owned(), "DE".to_owned());
        let mut ground_truth = IndexMap::new();
        ground_truth.insert("title".to_owned(), format!("Title {i}"));
        let invalid = i % 20 == 19;
        Ok(NewJob {
            row_index: i,
            line: i + 2,
            site_url: format!("https://shop-{i}.example.com/"),
            inputs,
            ground_truth,
            invalid_reason: invalid.then(|| "no usable site URL".to_owned()),
        })
    }))
}

async fn measure(store: &DynStore, jobs: u64, depth: u64) -> Measured {
    let project = store
        .create_project(NewProject::named("paging bench"))
        .await
        .expect("project");
    let load = Instant::now();
    let batch = store
        .create_batch(
            NewBatch {
                project_id: project.id,
                name: "bench".into(),
                source_filename: None,
                columns: vec![],
                site_url_column: "url".into(),
                preview: vec![],
                warnings: vec![],
            },
            rows(jobs),
        )
        .await
        .expect("batch");
    eprintln!(
        "{}: loaded {jobs} jobs in {:.1} s",
        store.backend(),
        load.elapsed().as_secs_f64()
    );
    let filter = JobFilter {
        batch_id: Some(batch.id),
        statuses: vec![JobStatus::Pending],
        ..JobFilter::default()
    };
    let ids = store.job_ids(&filter).await.expect("ids");
    let cursor = Cursor::Id(ids[(depth as usize - 1).min(ids.len() - 1)].as_uuid());
    let mut first = Vec::with_capacity(SAMPLES);
    let mut deep = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let page = store
            .list_jobs(&filter, PageRequest::first(50).expect("page"))
            .await
            .expect("page 1");
        first.push(t.elapsed());
        assert_eq!(page.data.len(), 50);
        let t = Instant::now();
        let page = store
            .list_jobs(&filter, PageRequest::new(50, Some(cursor)).expect("page"))
            .await
            .expect("deep page");
        deep.push(t.elapsed());
        assert_eq!(page.data.len(), 50);
    }
    first.sort();
    deep.sort();
    Measured {
        batch: batch.id,
        first,
        deep,
    }
}

fn sqlite_offset(path: &std::path::Path, batch: BatchId, depth: u64) -> Vec<Duration> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT * FROM jobs WHERE batch_id = ?1 AND status = 'pending' \
             ORDER BY id LIMIT 50 OFFSET ?2",
        )
        .expect("prepare");
    let mut out = Vec::new();
    for _ in 0..OFFSET_SAMPLES {
        let t = Instant::now();
        let n = stmt
            .query_map(
                rusqlite::params![batch.as_uuid().as_bytes().to_vec(), depth as i64],
                |_| Ok(()),
            )
            .expect("query")
            .count();
        out.push(t.elapsed());
        assert_eq!(n, 50);
    }
    out.sort();
    out
}

async fn postgres_offset(base: &str, schema: &str, batch: BatchId, depth: u64) -> Vec<Duration> {
    let pool = sqlx::PgPool::connect(base).await.expect("pg");
    let sql = format!(
        "SELECT * FROM {schema}.jobs WHERE batch_id = $1 AND status = 'pending' \
         ORDER BY id LIMIT 50 OFFSET $2"
    );
    let mut out = Vec::new();
    for _ in 0..OFFSET_SAMPLES {
        let t = Instant::now();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(batch.as_uuid())
            .bind(depth as i64)
            .fetch_all(&pool)
            .await
            .expect("offset query");
        out.push(t.elapsed());
        assert_eq!(rows.len(), 50);
    }
    out.sort();
    out
}
