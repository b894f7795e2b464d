use mino_core::model::NewProject;
use mino_core::store::{PageRequest, Store};
use mino_core::ErrorKind;

use super::{fresh_config, fresh_store, open, server_url};
use crate::postgres::{PostgresConfig, PostgresStore, SCHEMA_VERSION};

async fn applied_versions(store: &PostgresStore) -> Vec<i32> {
    sqlx::query_scalar("SELECT version FROM mino_schema_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("migrations table is readable")
}

#[tokio::test]
async fn a_fresh_schema_is_created_and_migrated() {
    let Some(store) = fresh_store().await else {
        return;
    };
    assert_eq!(
        applied_versions(&store).await,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    let schema = store.config().schema().expect("test schema").to_owned();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 \
         ORDER BY 1",
    )
    .bind(&schema)
    .fetch_all(store.pool())
    .await
    .expect("catalog is readable");
    for table in [
        "artifacts",
        "batches",
        "execution_jobs",
        "executions",
        "instruction_versions",
        "jobs",
        "metrics_snapshots",
        "projects",
        "sessions",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing: {tables:?}"
        );
    }
    // Nothing left to do the second time.
    assert_eq!(store.migrate().await.expect("migrates"), Vec::<i32>::new());
    store.drop_schema().await.expect("schema is dropped");
}

#[tokio::test]
async fn reopening_keeps_data_and_applies_nothing() {
    let config = fresh_config();
    let Some(first) = open(config.clone()).await else {
        return;
    };
    let project = first
        .create_project(NewProject::named("Kept"))
        .await
        .expect("created");
    first.close().await;

    let second = PostgresStore::connect(config).await.expect("reopens");
    assert_eq!(second.migrate().await.expect("migrates"), Vec::<i32>::new());
    assert_eq!(
        second.get_project(project.id).await.expect("found"),
        project
    );
    second.drop_schema().await.expect("schema is dropped");
}

#[tokio::test]
async fn concurrent_openers_migrate_once() {
    let config = fresh_config();
    // Probe the server first so a missing one is reported the usual way.
    let Some(probe) = open(fresh_config()).await else {
        return;
    };
    probe.drop_schema().await.expect("probe schema is dropped");

    let openers: Vec<_> = (0..6)
        .map(|_| {
            let config = config.clone();
            tokio::spawn(async move { PostgresStore::connect(config).await })
        })
        .collect();
    let mut stores = Vec::new();
    for opener in openers {
        stores.push(opener.await.expect("task ran").expect("store opened"));
    }
    assert_eq!(
        applied_versions(&stores[0]).await,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    stores[0].drop_schema().await.expect("schema is dropped");
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let config = fresh_config();
    let Some(store) = open(config.clone()).await else {
        return;
    };
    sqlx::query(
        "INSERT INTO mino_schema_migrations (version, name) VALUES ($1, 'from the future')",
    )
    .bind(SCHEMA_VERSION + 1)
    .execute(store.pool())
    .await
    .expect("inserted");
    let err = PostgresStore::connect(config).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.message().contains("newer"), "{err:?}");
    store.drop_schema().await.expect("schema is dropped");
}

#[tokio::test]
async fn schemas_are_isolated() {
    let Some(a) = fresh_store().await else { return };
    let Some(b) = fresh_store().await else { return };
    a.create_project(NewProject::named("Only in A"))
        .await
        .expect("created");
    let in_b = b
        .list_projects(PageRequest::default())
        .await
        .expect("listed");
    assert!(in_b.data.is_empty());
    a.drop_schema().await.expect("dropped");
    b.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn drop_schema_needs_a_schema() {
    let config = PostgresConfig::from_url(&server_url()).expect("valid URL");
    let store = match PostgresStore::connect_without_migrating(config).await {
        Ok(store) => store,
        Err(_) if std::env::var_os("CI").is_none() => return,
        Err(err) => panic!("Postgres is required when CI is set: {err:?}"),
    };
    let err = store.drop_schema().await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn an_unreachable_server_is_a_storage_error() {
    let config = PostgresConfig::from_url("postgres://postgres@127.0.0.1:1/test?acquire_timeout=2")
        .expect("valid URL");
    let err = PostgresStore::connect(config)
        .await
        .expect_err("no server on port 1");
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.is_transient());
}
