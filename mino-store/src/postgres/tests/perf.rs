//! Loading and paging a million jobs. Ignored by default (it takes a minute or two on a small
//! machine); run with `cargo test -p mino-store --features postgres -- --ignored million`.

use std::time::{Duration, Instant};

use mino_core::model::{ExecutionMode, JobFilter, JobSelection, JobStatus, NewExecution};
use mino_core::store::{Cursor, PageRequest, Store};
use uuid::Uuid;

use super::{fresh_store, new_batch, project, rows};
use crate::postgres::jobs::list_query;
use crate::postgres::PostgresStore;

const ROWS: u64 = 1_000_000;

/// The best of a few runs of one page, after warming up caches.
async fn best_page_time(store: &PostgresStore, filter: &JobFilter, page: PageRequest) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..10 {
        let started = Instant::now();
        let jobs = store.list_jobs(filter, page).await.expect("listed");
        best = best.min(started.elapsed());
        assert_eq!(jobs.data.len(), 50);
    }
    best
}

async fn plan(store: &PostgresStore, filter: &JobFilter, page: PageRequest) -> String {
    let mut qb = list_query("EXPLAIN ", filter, &page).expect("query");
    let lines: Vec<String> = qb
        .build_query_scalar()
        .fetch_all(store.pool())
        .await
        .expect("explained");
    lines.join("\n")
}

#[tokio::test]
#[ignore = "loads a million rows"]
async fn a_million_jobs_load_and_page_fast() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    // Rows are made lazily, as ingest does, so memory stays flat however many there are.
    let template = rows(1).remove(0);
    let data = (0..ROWS).map(move |i| {
        let mut row = template.clone();
        row.row_index = i;
        row.line = i + 2;
        if i % 5 == 4 {
            row.site_url = String::new();
            row.invalid_reason = Some("no site URL".to_owned());
        } else {
            row.site_url = format!("https://shop-{i}.example");
        }
        Ok(row)
    });
    let started = Instant::now();
    let batch = store
        .create_batch(new_batch(&p), Box::new(data))
        .await
        .expect("batch");
    eprintln!("create_batch of {ROWS} rows: {:?}", started.elapsed());
    assert_eq!((batch.total_rows, batch.invalid_rows), (ROWS, ROWS / 5));

    // Some failures spread through the batch, as a run leaves them; then fresh statistics.
    sqlx::query("UPDATE jobs SET status = 'failed' WHERE row_index % 500 = 1")
        .execute(store.pool())
        .await
        .expect("updated");
    sqlx::query("ANALYZE jobs")
        .execute(store.pool())
        .await
        .expect("analyzed");

    let depth: Uuid = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE batch_id = $1 ORDER BY id OFFSET 899999 LIMIT 1",
    )
    .bind(batch.id.0)
    .fetch_one(store.pool())
    .await
    .expect("found");
    let page = PageRequest::new(50, Some(Cursor::Id(depth))).expect("page");
    for status in [JobStatus::Pending, JobStatus::Invalid, JobStatus::Failed] {
        let filter = JobFilter {
            batch_id: Some(batch.id),
            statuses: vec![status],
            ..Default::default()
        };
        let best = best_page_time(&store, &filter, page).await;
        let plan = plan(&store, &filter, page).await;
        eprintln!(
            "{} page at depth 900,000: {best:?}\n{plan}",
            status.as_str()
        );
        // An ordered index scan bounded by the cursor: no sort, no sequential scan.
        assert!(
            !plan.contains("Sort") && !plan.contains("Seq Scan"),
            "{plan}"
        );
        assert!(best <= Duration::from_millis(5), "page took {best:?}");
        if status == JobStatus::Failed {
            assert!(plan.contains("jobs_batch_status_idx"), "{plan}");
        }
    }

    // Substring search goes through the trigram index.
    let filter = JobFilter {
        batch_id: Some(batch.id),
        search: Some("SHOP-12345".to_owned()),
        ..Default::default()
    };
    let started = Instant::now();
    let found = store
        .list_jobs(&filter, PageRequest::default())
        .await
        .expect("listed");
    let plan = plan(&store, &filter, PageRequest::default()).await;
    eprintln!(
        "search: {} jobs in {:?}\n{plan}",
        found.data.len(),
        started.elapsed()
    );
    // shop-12345 and shop-123450 … shop-123459, less the invalid 123454 and 123459.
    assert_eq!(found.data.len(), 9);
    assert!(plan.contains("jobs_site_url_trgm_idx"), "{plan}");

    // Running every row: one execution over 800,000 jobs, then the engine's hot path.
    let new = NewExecution {
        project_id: p.id,
        batch_id: batch.id,
        mode: ExecutionMode::Production,
        sample_size: None,
        seed: None,
        concurrency: 50,
        max_attempts: 3,
        job_timeout_secs: 60,
        instruction_version: 1,
    };
    let started = Instant::now();
    let execution = store
        .create_execution(new, JobSelection::Filter(JobFilter::default()))
        .await
        .expect("execution");
    eprintln!(
        "create_execution over {} jobs: {:?}",
        execution.total,
        started.elapsed()
    );
    let started = Instant::now();
    let claims = store
        .claim_jobs("perf", 50, Duration::from_secs(60))
        .await
        .expect("claimed");
    eprintln!("claim of {} jobs: {:?}", claims.len(), started.elapsed());
    assert_eq!(claims.len(), 50);
    let started = Instant::now();
    let now = store.get_execution(execution.id).await.expect("found");
    eprintln!("get_execution with counts: {:?}", started.elapsed());
    assert_eq!(now.counts.running, 50);
    assert!(started.elapsed() <= Duration::from_millis(50));

    let started = Instant::now();
    store.delete_batch(batch.id).await.expect("deleted");
    eprintln!("delete_batch of {ROWS} jobs: {:?}", started.elapsed());
    store.drop_schema().await.expect("dropped");
}
