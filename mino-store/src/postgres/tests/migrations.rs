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

/// A schema of version 2 (the counts on the execution's row) upgrades to the sharded counts
/// with every count kept, and its execution goes on.
#[tokio::test]
async fn counts_survive_the_upgrade_to_shards() {
    use crate::postgres::migrate::MIGRATIONS;
    use sqlx::Connection;

    let config = fresh_config();
    let schema = config.schema().expect("test schema").to_owned();
    let Ok(mut conn) = sqlx::PgConnection::connect(&server_url()).await else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Postgres is required when CI is set"
        );
        return;
    };
    let setup = format!(
        "CREATE SCHEMA {schema}; SET search_path TO {schema};
         CREATE TABLE mino_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now());"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
        .execute(&mut conn)
        .await
        .expect("schema");
    for m in MIGRATIONS.iter().filter(|m| m.version <= 2) {
        sqlx::raw_sql(m.sql)
            .execute(&mut conn)
            .await
            .expect("old migration");
        sqlx::query("INSERT INTO mino_schema_migrations (version, name) VALUES ($1, $2)")
            .bind(m.version)
            .bind(m.name)
            .execute(&mut conn)
            .await
            .expect("recorded");
    }
    // One execution of three jobs: one completed, one running, one queued, counted by the
    // version-2 triggers into the execution's row.
    let data = "
        INSERT INTO projects (id, name, description, instructions, output_fields, agent,
            settings, instruction_version)
        VALUES ('00000000-0000-7000-8000-000000000001', 'p', '', 'find', '[]', '{}', '{}', 1);
        INSERT INTO batches (id, project_id, name, columns, site_url_column, preview, warnings)
        VALUES ('00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000001',
            'b', '[]', 'url', '[]', '[]');
        INSERT INTO executions (id, project_id, batch_id, mode, concurrency, max_attempts,
            job_timeout_secs, instruction_version, status)
        VALUES ('00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000001',
            '00000000-0000-7000-8000-000000000002', 'production', 2, 3, 60, 1, 'running');
        INSERT INTO jobs (id, batch_id, project_id, row_index, line, site_url, status,
            execution_id)
        SELECT ('00000000-0000-7000-8000-00000000001' || n)::uuid,
            '00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000001',
            n, n + 2, 'https://example.invalid/' || n, s, '00000000-0000-7000-8000-000000000003'
        FROM (VALUES (0, 'completed'), (1, 'running'), (2, 'queued')) AS v (n, s);
        INSERT INTO execution_jobs (execution_id, job_id, status)
        SELECT execution_id, id, status FROM jobs;";
    sqlx::raw_sql(data)
        .execute(&mut conn)
        .await
        .expect("version-2 data");
    conn.close().await.expect("closed");

    let store = open(config).await.expect("opened and upgraded");
    assert_eq!(
        applied_versions(&store).await,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    let id = mino_core::model::ExecutionId(
        uuid::Uuid::parse_str("00000000-0000-7000-8000-000000000003").expect("uuid"),
    );
    let execution = store.get_execution(id).await.expect("execution");
    let counts = execution.counts;
    assert_eq!(
        (
            counts.completed,
            counts.running,
            counts.queued,
            execution.total
        ),
        (1, 1, 1, 3),
        "{counts:?}"
    );
    // Room for one more under the concurrency of 2: the queued job.
    let claims = store
        .claim_jobs("w", 5, std::time::Duration::from_secs(30))
        .await
        .expect("claimed");
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].execution.counts.running, 2);
    store.drop_schema().await.expect("schema is dropped");
}
