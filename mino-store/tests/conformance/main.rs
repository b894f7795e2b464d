//! The `Store` conformance suite: the same tests for every backend.
//!
//! Each test is a plain async function taking a `DynStore`; `store_tests!` turns the list into
//! one `#[tokio::test]` per backend. SQLite runs on a temporary file. Postgres runs in a fresh
//! schema per test on the server named by `MINO_TEST_DATABASE_URL` (default: the local server,
//! database `test`). When `CI` is set, a backend that cannot be reached fails the tests instead
//! of skipping them.

mod artifacts;
mod batches;
mod bulk;
mod cascade;
mod concurrency;
mod executions;
mod fixtures;
mod ground_truth;
mod jobs;
mod paging;
mod projects;
mod queue;
mod sessions;
mod snapshots;

use std::future::Future;

use mino_core::store::DynStore;

/// Runs `test` against a fresh SQLite store in a temporary directory.
#[cfg(feature = "sqlite")]
pub async fn with_sqlite<F, Fut>(test: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("conformance.db").display());
    let store = mino_store::open(&url).await.expect("open sqlite store");
    test(store).await;
}

/// Runs `test` against a fresh schema on the Postgres test server, dropping it afterwards.
#[cfg(feature = "postgres")]
pub async fn with_postgres<F, Fut>(test: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    use mino_store::postgres::{PostgresConfig, PostgresStore};
    use std::sync::Arc;

    let base = std::env::var("MINO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("mino_test_{}", uuid::Uuid::now_v7().simple());
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}schema={schema}&max_connections=8");
    let config = PostgresConfig::from_url(&url).expect("postgres config");
    let store = match PostgresStore::connect(config).await {
        Ok(store) => Arc::new(store),
        Err(err) => {
            if std::env::var_os("CI").is_some() {
                panic!("Postgres is required under CI but cannot be reached at {base}: {err:?}");
            }
            eprintln!("SKIPPED: Postgres not reachable at {base}: {err:?}");
            return;
        }
    };
    let dyn_store: DynStore = store.clone();
    test(dyn_store).await;
    store.drop_schema().await.expect("drop test schema");
}

macro_rules! store_tests {
    ($($module:ident :: $test:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::with_sqlite(super::$module::$test).await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::with_postgres(super::$module::$test).await;
                }
            )*
        }
    };
}

store_tests!(
    projects::create_get_and_list,
    projects::instruction_versions_only_on_change,
    projects::validation_errors,
    projects::unicode_and_long_values,
    projects::not_found,
    batches::create_counts_rows_and_keeps_invalid_ones,
    batches::failed_row_stores_nothing,
    batches::list_filter_update_delete,
    jobs::roundtrip_keeps_order_and_values,
    jobs::filters,
    jobs::update_merges_and_validates,
    jobs::evaluations_set_accuracy,
    paging::walks_every_row_once_in_order,
    paging::inserts_between_pages_cause_no_gaps_or_duplicates,
    paging::limits_and_bad_cursors,
    paging::filtered_paging,
    bulk::limits_are_validation_errors,
    bulk::delete_update_rerun,
    bulk::active_jobs_conflict,
    executions::create_from_ids_and_filter,
    executions::conflicts_and_validation,
    executions::update_and_list,
    sessions::lifecycle,
    sessions::usage_totals_sum_sessions_per_execution,
    snapshots::roundtrip_and_order,
    snapshots::an_execution_has_one_end_snapshot,
    ground_truth::every_change_is_recorded_once_with_its_author,
    ground_truth::update_each_is_all_or_nothing,
    artifacts::roundtrip,
    cascade::project_delete_removes_everything,
    cascade::batch_and_job_delete,
    concurrency::concurrent_writers,
    concurrency::concurrent_version_bumps,
    queue::claims_respect_concurrency_and_pause,
    queue::finishing_moves_jobs_and_completes_the_execution,
    queue::heartbeats_keep_leases_and_reclaim_takes_lost_work,
    queue::reclaim_fails_jobs_without_attempts_left,
    queue::stop_cancels_queued_and_aborts_running,
    queue::concurrent_claimers_never_exceed_the_limit,
);
