use mino_core::model::{OutputField, ProjectId, ProjectUpdate};
use mino_core::store::{PageRequest, Store};
use mino_core::ErrorKind;

use super::{fresh_store, job_rows, new_batch, project, rows};

#[tokio::test]
async fn versions_change_only_with_instructions_or_fields() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    assert_eq!(p.instruction_version, 1);
    assert_eq!(store.get_project(p.id).await.expect("found"), p);

    let renamed = store
        .update_project(
            p.id,
            ProjectUpdate {
                name: Some("Renamed".to_owned()),
                instructions: Some(p.instructions.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(renamed.instruction_version, 1);
    assert_eq!(renamed.name, "Renamed");

    let v2 = store
        .update_project(
            p.id,
            ProjectUpdate {
                instructions: Some("Find the price".to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(v2.instruction_version, 2);
    let v3 = store
        .update_project(
            p.id,
            ProjectUpdate {
                output_fields: Some(vec![OutputField::named("price")]),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(v3.instruction_version, 3);

    let first = store
        .list_instruction_versions(p.id, PageRequest::first(2).expect("limit"))
        .await
        .expect("listed");
    assert_eq!(
        first.data.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let cursor = first.next_cursor.as_deref();
    let rest = store
        .list_instruction_versions(p.id, PageRequest::parse(Some(2), cursor).expect("page"))
        .await
        .expect("listed");
    assert_eq!(rest.data.len(), 1);
    assert_eq!(
        rest.data[0].output_fields,
        vec![OutputField::named("price")]
    );
    assert_eq!(rest.next_cursor, None);

    let v2_stored = store.get_instruction_version(p.id, 2).await.expect("found");
    assert_eq!(v2_stored.instructions, "Find the price");
    let missing = store
        .get_instruction_version(p.id, 9)
        .await
        .expect_err("missing");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn projects_page_and_unknown_ids_are_not_found() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(project(&store).await.id);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_projects(PageRequest::parse(Some(2), cursor.as_deref()).expect("page"))
            .await
            .expect("listed");
        seen.extend(page.data.iter().map(|p| p.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ids);

    let unknown = ProjectId::new();
    for kind in [
        store.get_project(unknown).await.map(|_| ()).err(),
        store.delete_project(unknown).await.err(),
        store
            .update_project(unknown, ProjectUpdate::default())
            .await
            .map(|_| ())
            .err(),
    ] {
        assert_eq!(kind.map(|e| e.kind()), Some(ErrorKind::NotFound));
    }
    // Lists are filters: an unknown parent has nothing under it.
    let versions = store
        .list_instruction_versions(unknown, PageRequest::default())
        .await
        .expect("listed");
    assert!(versions.data.is_empty());
    let bad_name = store
        .create_project(mino_core::model::NewProject::named("  "))
        .await
        .expect_err("invalid");
    assert_eq!(bad_name.kind(), ErrorKind::Validation);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn deleting_a_project_deletes_everything_under_it() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let batch = store
        .create_batch(new_batch(&p), job_rows(rows(20)))
        .await
        .expect("batch");
    store.delete_project(p.id).await.expect("deleted");
    assert_eq!(
        store.get_batch(batch.id).await.expect_err("gone").kind(),
        ErrorKind::NotFound
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(store.pool())
        .await
        .expect("counted");
    assert_eq!(left, 0);
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM instruction_versions")
        .fetch_one(store.pool())
        .await
        .expect("counted");
    assert_eq!(versions, 0);
    store.drop_schema().await.expect("dropped");
}
