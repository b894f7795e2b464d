use std::collections::HashSet;

use mino_core::model::*;
use mino_core::store::{DynStore, JobRows, PageRequest};

use crate::fixtures::{in_batch, new_batch, project, row};

pub async fn concurrent_writers(store: DynStore) {
    let p = project(&store, "P").await;
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let store = store.clone();
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let rows: JobRows = Box::new((0..500u64).map(move |i| Ok(row(t * 1000 + i, 0))));
            let b = store
                .create_batch(new_batch(&p, &format!("b{t}")), rows)
                .await
                .expect("batch");
            let project = store
                .create_project(NewProject::named(format!("concurrent {t}")))
                .await
                .expect("project");
            (b, project)
        }));
    }
    let mut batches = Vec::new();
    for task in tasks {
        batches.push(task.await.expect("task"));
    }
    for (b, _) in &batches {
        assert_eq!(b.total_rows, 500);
        assert_eq!(
            store.count_jobs(&in_batch(b)).await.expect("count").pending,
            500
        );
    }
    let projects = store
        .list_projects(PageRequest::first(100).expect("page"))
        .await
        .expect("list");
    assert_eq!(projects.data.len(), 9);
}

pub async fn concurrent_version_bumps(store: DynStore) {
    let p = project(&store, "P").await;
    let mut tasks = Vec::new();
    for t in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .update_project(
                    p.id,
                    ProjectUpdate {
                        instructions: Some(format!("instructions #{t}")),
                        ..ProjectUpdate::default()
                    },
                )
                .await
                .expect("update")
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let versions = store
        .list_instruction_versions(p.id, PageRequest::first(100).expect("page"))
        .await
        .expect("versions");
    let numbers: Vec<u32> = versions.data.iter().map(|v| v.version).collect();
    assert_eq!(
        numbers,
        (1..=11).collect::<Vec<_>>(),
        "no lost or doubled versions"
    );
    let texts: HashSet<_> = versions.data[1..]
        .iter()
        .map(|v| v.instructions.clone())
        .collect();
    assert_eq!(texts.len(), 10);
    let current = store.get_project(p.id).await.expect("project");
    assert_eq!(current.instruction_version, 11);
    assert_eq!(
        current.instructions, versions.data[10].instructions,
        "the project's current instructions are those of its newest version"
    );
}
