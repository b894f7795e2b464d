use mino_core::model::*;
use mino_core::store::{DynStore, PageRequest};

use crate::fixtures::{batch, project};

pub async fn roundtrip_and_order(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 1, 0).await;
    let metrics = BatchMetrics {
        jobs_evaluated: 10,
        jobs_passed: 7,
        jobs_partial: 2,
        jobs_failed: 1,
        pass_rate: Some(0.7),
        columns: vec![ColumnMetrics {
            field: "price".into(),
            evaluated: 10,
            passed: 8,
            failed: 2,
            missing: 1,
            wrong: 1,
            accuracy: Some(0.8),
        }],
        cost_usd: 0.25,
    };
    let first = store
        .create_snapshot(NewSnapshot {
            batch_id: b.id,
            execution_id: None,
            instruction_version: Some(1),
            metrics: metrics.clone(),
            at_end: false,
        })
        .await
        .expect("snapshot");
    assert_eq!(first.metrics, metrics);
    let second = store
        .create_snapshot(NewSnapshot {
            batch_id: b.id,
            execution_id: None,
            instruction_version: Some(2),
            metrics: BatchMetrics::default(),
            at_end: false,
        })
        .await
        .expect("snapshot 2");
    let list = store
        .list_snapshots(b.id, PageRequest::first(10).expect("page"))
        .await
        .expect("list");
    assert_eq!(list.data, vec![first, second]);
}

pub async fn an_execution_has_one_end_snapshot(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 2, 0).await;
    let execution = store
        .create_execution(
            crate::fixtures::new_execution(&b),
            JobSelection::Filter(JobFilter::default()),
        )
        .await
        .expect("execution");
    let end = |passed: u64| NewSnapshot {
        batch_id: b.id,
        execution_id: Some(execution.id),
        instruction_version: Some(1),
        metrics: BatchMetrics {
            jobs_passed: passed,
            ..BatchMetrics::default()
        },
        at_end: true,
    };
    let first = store.create_snapshot(end(1)).await.expect("end snapshot");
    assert!(first.at_end);
    let again = store.create_snapshot(end(2)).await.expect("again");
    assert_eq!(again, first, "the first end snapshot stands");
    // Manual snapshots of the same execution are not limited.
    let manual = store
        .create_snapshot(NewSnapshot {
            at_end: false,
            ..end(3)
        })
        .await
        .expect("manual");
    assert!(!manual.at_end);
    let list = store
        .list_snapshots(b.id, PageRequest::first(10).expect("page"))
        .await
        .expect("list");
    assert_eq!(list.data, vec![first, manual]);
    crate::fixtures::assert_kind(
        store
            .create_snapshot(NewSnapshot {
                execution_id: None,
                ..end(1)
            })
            .await,
        mino_core::ErrorKind::Validation,
    );
}
