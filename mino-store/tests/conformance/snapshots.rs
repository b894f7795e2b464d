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
        })
        .await
        .expect("snapshot 2");
    let list = store
        .list_snapshots(b.id, PageRequest::first(10).expect("page"))
        .await
        .expect("list");
    assert_eq!(list.data, vec![first, second]);
}
