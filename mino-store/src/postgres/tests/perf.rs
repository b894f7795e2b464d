//! Loading and paging a million jobs. Ignored by default (it takes a while on a small
//! machine); run with `cargo test -p mino-store --features postgres -- --ignored million`.

use std::time::Instant;

use mino_core::model::{JobFilter, JobStatus};
use mino_core::store::{Cursor, PageRequest, Store};
use sqlx::Row;

use super::{fresh_store, new_batch, project, rows};

const ROWS: u64 = 1_000_000;

#[tokio::test]
#[ignore = "loads a million rows"]
async fn a_million_jobs_load_and_page_fast() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    // Rows are made lazily, as ingest does, so the test also shows memory stays flat.
    let data = (0..ROWS).map(|i| {
        let mut row = rows(1).remove(0);
        row.row_index = i;
        row.line = i + 2;
        if i % 5 == 4 {
            row.site_url = String::new();
            row.invalid_reason = Some("no site URL".to_owned());
        } else {
            row.site_url = format!("https://shop-{i}.example");
            row.invalid_reason = None;
        }
        Ok(row)
    });
    let started = Instant::now();
    let batch = store
        .create_batch(new_batch(&p), Box::new(data))
        .await
        .expect("batch");
    let load = started.elapsed();
    assert_eq!(batch.total_rows, ROWS);
    eprintln!("create_batch of {ROWS} rows: {load:?}");

    sqlx::query("ANALYZE jobs")
        .execute(store.pool())
        .await
        .expect("analyzed");

    // The cursor after the batch's 900,000th job; the page holds the pending jobs after it.
    let depth_id: uuid::Uuid =
        sqlx::query("SELECT id FROM jobs WHERE batch_id = $1 ORDER BY id OFFSET 899999 LIMIT 1")
            .bind(batch.id.0)
            .fetch_one(store.pool())
            .await
            .expect("found")
            .get(0);
    let filter = JobFilter {
        batch_id: Some(batch.id),
        statuses: vec![JobStatus::Pending],
        ..Default::default()
    };
    let page = PageRequest::new(50, Some(Cursor::Id(depth_id))).expect("page");
    // Warm up the statement cache and the buffers, then take the best of a few runs.
    let mut best = std::time::Duration::MAX;
    for _ in 0..10 {
        let started = Instant::now();
        let jobs = store.list_jobs(&filter, page).await.expect("listed");
        best = best.min(started.elapsed());
        assert_eq!(jobs.data.len(), 50);
    }
    eprintln!("50-job status page at depth 900,000: {best:?}");

    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM jobs WHERE batch_id = $1 AND status = 'pending' AND id > $2 \
         ORDER BY id LIMIT 51",
    )
    .bind(batch.id.0)
    .bind(depth_id)
    .fetch_all(store.pool())
    .await
    .expect("explained");
    eprintln!("{}", plan.join("\n"));
    assert!(
        plan.iter().any(|l| l.contains("jobs_batch_status_idx")),
        "{plan:?}"
    );
    assert!(best.as_millis() <= 5, "page took {best:?}");
    store.drop_schema().await.expect("dropped");
}
