//! Tests against a real Postgres, each on a fresh schema.
//!
//! The server comes from `MINO_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached the tests say so
//! and pass, unless `CI` is set: then a missing server is a failure.

mod batches;
mod executions;
mod jobs;
mod migrations;
mod perf;
mod projects;
mod queue;
mod sessions;

use indexmap::IndexMap;
use mino_core::model::{NewBatch, NewJob, NewProject, Project};
use mino_core::store::{JobRows, Store};
use uuid::Uuid;

use super::{PostgresConfig, PostgresStore};

pub(super) fn server_url() -> String {
    std::env::var("MINO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A config for a schema no other test uses.
pub(super) fn fresh_config() -> PostgresConfig {
    let schema = format!("mino_test_{}", Uuid::now_v7().simple());
    PostgresConfig::from_url(&format!("{}?schema={schema}", server_url()))
        .expect("test URL is valid")
}

/// Opens a store on a fresh schema, or `None` (after saying why) when no server runs here.
pub(super) async fn fresh_store() -> Option<PostgresStore> {
    open(fresh_config()).await
}

pub(super) async fn open(config: PostgresConfig) -> Option<PostgresStore> {
    match PostgresStore::connect(config).await {
        Ok(store) => Some(store),
        Err(err) if err.kind() == mino_core::ErrorKind::Storage => {
            if std::env::var_os("CI").is_some() {
                panic!("Postgres is required when CI is set: {err:?}");
            }
            eprintln!(
                "skipping: Postgres is not reachable at {}: {err}",
                server_url()
            );
            None
        }
        Err(err) => panic!("opening the store failed: {err:?}"),
    }
}

pub(super) async fn project(store: &PostgresStore) -> Project {
    store
        .create_project(NewProject::named("Shops"))
        .await
        .expect("project is created")
}

pub(super) fn new_batch(project: &Project) -> NewBatch {
    NewBatch {
        project_id: project.id,
        name: "shops.csv".to_owned(),
        source_filename: Some("shops.csv".to_owned()),
        columns: Vec::new(),
        site_url_column: "website".to_owned(),
        preview: vec![vec!["website".to_owned()]],
        warnings: Vec::new(),
    }
}

/// `n` rows; every fifth has no URL and is invalid, every other one has ground truth.
pub(super) fn rows(n: u64) -> Vec<NewJob> {
    (0..n)
        .map(|i| {
            let invalid = i % 5 == 4;
            let mut inputs = IndexMap::new();
            inputs.insert("name".to_owned(), format!("Shop {i}"));
            inputs.insert("city".to_owned(), "Zürich".to_owned());
            let mut ground_truth = IndexMap::new();
            if i % 2 == 0 {
                ground_truth.insert("price".to_owned(), format!("{i}.00"));
            }
            NewJob {
                row_index: i,
                line: i + 2,
                site_url: if invalid {
                    String::new()
                } else {
                    format!("https://shop-{i}.example")
                },
                inputs,
                ground_truth,
                invalid_reason: invalid.then(|| "no site URL".to_owned()),
            }
        })
        .collect()
}

pub(super) fn job_rows(rows: Vec<NewJob>) -> JobRows {
    Box::new(rows.into_iter().map(Ok))
}
