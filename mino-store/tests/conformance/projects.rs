use mino_core::model::*;
use mino_core::store::{DynStore, PageRequest};
use mino_core::ErrorKind;

use crate::fixtures::{assert_kind, project};

pub async fn create_get_and_list(store: DynStore) {
    let a = project(&store, "Alpha").await;
    let b = project(&store, "Beta").await;
    assert_eq!(a.instruction_version, 1);
    assert_eq!(a.agent.name, "heuristic");
    assert_eq!(a.settings.max_attempts, 5);

    let got = store.get_project(a.id).await.expect("get");
    assert_eq!(got, a, "a stored project reads back unchanged");

    let page = store
        .list_projects(PageRequest::first(10).expect("page"))
        .await
        .expect("list");
    let ids: Vec<_> = page.data.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![a.id, b.id], "creation order");
    assert!(page.next_cursor.is_none());

    let v1 = store
        .get_instruction_version(a.id, 1)
        .await
        .expect("version 1");
    assert_eq!(v1.instructions, a.instructions);
    assert_eq!(v1.output_fields, a.output_fields);
}

pub async fn instruction_versions_only_on_change(store: DynStore) {
    let p = project(&store, "Versions").await;

    // Same instructions, new name: no new version.
    let same = store
        .update_project(
            p.id,
            ProjectUpdate {
                name: Some("Renamed".into()),
                instructions: Some(p.instructions.clone()),
                ..ProjectUpdate::default()
            },
        )
        .await
        .expect("rename");
    assert_eq!(same.name, "Renamed");
    assert_eq!(same.instruction_version, 1);
    assert!(same.updated_at >= p.updated_at);

    let v2 = store
        .update_project(
            p.id,
            ProjectUpdate {
                instructions: Some("Find the price only".into()),
                ..ProjectUpdate::default()
            },
        )
        .await
        .expect("new instructions");
    assert_eq!(v2.instruction_version, 2);

    let mut fields = v2.output_fields.clone();
    fields.push(OutputField::named("author"));
    let v3 = store
        .update_project(
            p.id,
            ProjectUpdate {
                output_fields: Some(fields.clone()),
                ..ProjectUpdate::default()
            },
        )
        .await
        .expect("new fields");
    assert_eq!(v3.instruction_version, 3);
    assert_eq!(v3.output_fields, fields);

    let old = store.get_instruction_version(p.id, 1).await.expect("v1");
    assert_eq!(old.instructions, "Find the product title and price");
    assert_eq!(old.output_fields.len(), 2);

    let first = store
        .list_instruction_versions(p.id, PageRequest::first(2).expect("page"))
        .await
        .expect("versions");
    assert_eq!(
        first.data.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let cursor = mino_core::store::Cursor::decode(first.next_cursor.as_deref().expect("more"))
        .expect("cursor");
    let second = store
        .list_instruction_versions(p.id, PageRequest::new(2, Some(cursor)).expect("page"))
        .await
        .expect("versions page 2");
    assert_eq!(
        second.data.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![3]
    );
    assert!(second.next_cursor.is_none());
    assert_kind(
        store.get_instruction_version(p.id, 4).await,
        ErrorKind::NotFound,
    );
}

pub async fn validation_errors(store: DynStore) {
    assert_kind(
        store.create_project(NewProject::named("  ")).await,
        ErrorKind::Validation,
    );
    assert_kind(
        store
            .create_project(NewProject::named("x".repeat(201)))
            .await,
        ErrorKind::Validation,
    );
    let mut dup = NewProject::named("dup fields");
    dup.output_fields = vec![OutputField::named("Title"), OutputField::named("title")];
    assert_kind(store.create_project(dup).await, ErrorKind::Validation);
    let mut bad = NewProject::named("bad settings");
    bad.settings.max_attempts = 0;
    assert_kind(store.create_project(bad).await, ErrorKind::Validation);

    let p = project(&store, "valid").await;
    assert_kind(
        store
            .update_project(
                p.id,
                ProjectUpdate {
                    name: Some(String::new()),
                    ..ProjectUpdate::default()
                },
            )
            .await,
        ErrorKind::Validation,
    );
    // Nothing of the failed update was written.
    assert_eq!(store.get_project(p.id).await.expect("get").name, "valid");
    let page = store
        .list_projects(PageRequest::first(50).expect("page"))
        .await
        .expect("list");
    assert_eq!(page.data.len(), 1, "no invalid project was stored");
}

pub async fn unicode_and_long_values(store: DynStore) {
    let mut new = NewProject::named("Café ☕ 日本語 🚀 \u{200d} «quotes» 'single' \"double\"");
    new.description = "line1\nline2\ttab\\backslash; DROP TABLE projects; --".to_owned();
    new.instructions = "ünïcödé ".repeat(20_000); // ~180 KB
    new.output_fields = vec![OutputField {
        name: "名前".to_owned(),
        description: "the name, in 日本語".to_owned(),
        field_type: FieldType::Text,
        selector: Some("h1 > span[data-x='1']".to_owned()),
        comparator: serde_json::json!({"threshold": 0.8}),
    }];
    new.agent = AgentConfig {
        name: "llm".to_owned(),
        settings: serde_json::json!({"model": "m", "nested": {"a": [1, 2, {"b": null}]}}),
    };
    let p = store.create_project(new.clone()).await.expect("create");
    let got = store.get_project(p.id).await.expect("get");
    assert_eq!(got.name, new.name);
    assert_eq!(got.description, new.description);
    assert_eq!(got.instructions, new.instructions);
    assert_eq!(got.output_fields, new.output_fields);
    assert_eq!(got.agent, new.agent);
}

pub async fn not_found(store: DynStore) {
    let id = ProjectId::new();
    assert_kind(store.get_project(id).await, ErrorKind::NotFound);
    assert_kind(
        store.update_project(id, ProjectUpdate::default()).await,
        ErrorKind::NotFound,
    );
    assert_kind(store.delete_project(id).await, ErrorKind::NotFound);
    assert_kind(store.get_batch(BatchId::new()).await, ErrorKind::NotFound);
    assert_kind(store.get_job(JobId::new()).await, ErrorKind::NotFound);
    assert_kind(
        store.get_execution(ExecutionId::new()).await,
        ErrorKind::NotFound,
    );
    assert_kind(
        store.get_session(SessionId::new()).await,
        ErrorKind::NotFound,
    );
    assert_kind(
        store.get_artifact(ArtifactId::new()).await,
        ErrorKind::NotFound,
    );
    let err = store.get_project(id).await.expect_err("missing");
    assert_eq!(err.context_value("id"), Some(id.to_string().as_str()));
}
