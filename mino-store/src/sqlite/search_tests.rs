//! The search index must return exactly the jobs a plain LIKE scan returns, in every state:
//! nothing indexed, partly indexed, fully indexed, after updates and deletes, after a
//! rebuild, with the index driving the query and with a scan.

use indexmap::IndexMap;
use mino_core::model::{BatchId, JobFilter, JobId, JobUpdate, NewBatch, NewJob, NewProject};
use mino_core::store::{Store, BULK_DELETE_MAX};

use super::search_index::index_chunk;
use super::{SqliteConfig, SqliteStore};

const SEARCHES: &[&str] = &[
    "a",
    "Z",
    "%",
    "_",
    "\\",
    "\"",
    "sITE-1",
    "site-12",
    "-12",
    "ple.com/",
    "EXAMPLE.COM/P",
    "100%_off",
    "a\\b",
    "q\"x",
    "über",
    "ÜBER",
    "zzz-nothing",
    "  site-3  ",
    "e-5",
    "é",
    "/",
    "https://",
    "site-5999.",
    "site-59",
];

fn url(i: u64) -> String {
    let path = match i % 7 {
        0 => "page".to_owned(),
        1 => "100%_off".to_owned(),
        2 => "a\\b".to_owned(),
        3 => "q\"x".to_owned(),
        4 => "ÜBER-uns".to_owned(),
        5 => "café".to_owned(),
        _ => format!("p{}", i % 13),
    };
    format!("https://Site-{i}.Example.com/{path}")
}

async fn batch(store: &SqliteStore, from: u64, n: u64) -> BatchId {
    let project = store
        .create_project(NewProject::named("search"))
        .await
        .expect("project");
    let rows = (from..from + n).map(|i| {
        Ok(NewJob {
            row_index: i,
            line: i + 2,
            site_url: url(i),
            inputs: IndexMap::new(),
            ground_truth: IndexMap::new(),
            invalid_reason: None,
        })
    });
    let new = NewBatch {
        project_id: project.id,
        name: "search".into(),
        source_filename: None,
        columns: vec![],
        site_url_column: "url".into(),
        preview: vec![],
        warnings: vec![],
    };
    store
        .create_batch(new, Box::new(rows))
        .await
        .expect("batch")
        .id
}

/// The ids a plain LIKE scan finds, with the pattern built independently of the store.
fn like_scan(store: &SqliteStore, batch: Option<BatchId>, text: &str) -> Vec<JobId> {
    let text = text.trim();
    let mut pattern = String::from("%");
    for ch in text.chars() {
        if "%_\\".contains(ch) {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    let conn = store.conns.lock_writer();
    let mut stmt = conn
        .prepare(
            "SELECT id FROM jobs WHERE (?1 IS NULL OR batch_id = ?1) \
             AND site_url LIKE ?2 ESCAPE '\\' ORDER BY id",
        )
        .expect("prepare");
    let batch = batch.map(|b| b.0.as_bytes().to_vec());
    let rows = stmt
        .query_map((batch, pattern), |r| {
            Ok(JobId(uuid::Uuid::from_bytes(r.get::<_, [u8; 16]>(0)?)))
        })
        .expect("query");
    rows.collect::<rusqlite::Result<_>>().expect("rows")
}

async fn assert_agrees(store: &SqliteStore, batch: BatchId, state: &str) {
    for text in SEARCHES {
        for scope in [Some(batch), None] {
            let filter = JobFilter {
                batch_id: scope,
                search: Some((*text).to_owned()),
                ..JobFilter::default()
            };
            let expected = like_scan(store, scope, text);
            let found = store.job_ids(&filter).await.expect("search");
            assert_eq!(found, expected, "{state}: search {text:?} in {scope:?}");
            let counted = store.count_jobs(&filter).await.expect("count").total();
            assert_eq!(counted, expected.len() as u64, "{state}: count {text:?}");
        }
    }
}

fn upkeep(store: &SqliteStore, min_stale: i64) {
    let conn = store.conns.lock_writer();
    while index_chunk(&conn, min_stale).expect("index") {}
}

#[tokio::test]
async fn search_agrees_with_like_in_every_index_state() {
    let store = SqliteStore::open(SqliteConfig::memory())
        .await
        .expect("open");
    // Enough rows that common texts make the search scan instead of using the index.
    let first = batch(&store, 0, 6_000).await;
    assert_agrees(&store, first, "before indexing").await;
    upkeep(&store, i64::MAX);
    assert_agrees(&store, first, "indexed").await;

    let second = batch(&store, 6_000, 300).await;
    assert_agrees(&store, second, "second batch not indexed").await;
    assert_agrees(&store, first, "first batch indexed, second not").await;
    upkeep(&store, i64::MAX);

    // Change some URLs and delete some jobs: the index keeps up, leftovers never match.
    let ids = store.job_ids(&JobFilter::default()).await.expect("ids");
    for id in ids.iter().step_by(97).take(40) {
        let update = JobUpdate {
            site_url: Some(format!("https://moved-{id}.example.org/über")),
            ..JobUpdate::default()
        };
        store.update_job(*id, update).await.expect("update");
    }
    let doomed: Vec<JobId> = ids
        .iter()
        .skip(1)
        .step_by(7)
        .take(BULK_DELETE_MAX)
        .copied()
        .collect();
    store.bulk_delete_jobs(&doomed).await.expect("delete");
    assert_agrees(&store, first, "after updates and deletes").await;

    // Once leftovers outnumber live entries, the index is emptied and filled again.
    store.delete_batch(second).await.expect("delete batch");
    let third = batch(&store, 7_000, 200).await;
    store.delete_batch(first).await.expect("delete batch");
    upkeep(&store, 1);
    let stale: i64 = store
        .conns
        .lock_writer()
        .query_row("SELECT stale_rows FROM jobs_search_state", [], |r| r.get(0))
        .expect("state");
    assert_eq!(stale, 0, "the index was rebuilt");
    assert_agrees(&store, third, "after a rebuild").await;
}
