use mino_core::model::*;
use mino_core::store::DynStore;
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_execution, project};

pub async fn limits_are_validation_errors(store: DynStore) {
    let ids = |n: usize| (0..n).map(|_| JobId::new()).collect::<Vec<_>>();
    assert_kind(
        store.bulk_delete_jobs(&ids(1_001)).await,
        ErrorKind::Validation,
    );
    assert_kind(store.bulk_delete_jobs(&[]).await, ErrorKind::Validation);
    assert_kind(
        store
            .bulk_update_jobs(&ids(1_001), JobUpdate::default())
            .await,
        ErrorKind::Validation,
    );
    assert_kind(
        store.bulk_rerun_jobs(&ids(101)).await,
        ErrorKind::Validation,
    );
    // At the limit the call is accepted (unknown ids simply match nothing).
    assert_eq!(
        store.bulk_delete_jobs(&ids(1_000)).await.expect("delete"),
        0
    );
    assert_eq!(
        store
            .bulk_update_jobs(&ids(1_000), JobUpdate::default())
            .await
            .expect("update"),
        0
    );
    assert_eq!(store.bulk_rerun_jobs(&ids(100)).await.expect("rerun"), 0);
    let err = store
        .bulk_delete_jobs(&ids(1_001))
        .await
        .expect_err("too many");
    assert_eq!(err.context_value("max"), Some("1000"));
}

pub async fn delete_update_rerun(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 12, 6).await; // rows 5 and 11 invalid
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let ids: Vec<_> = jobs.iter().map(|j| j.id).collect();

    let deleted = store
        .bulk_delete_jobs(&[ids[0], ids[1], JobId::new()])
        .await
        .expect("delete");
    assert_eq!(deleted, 2);
    assert_kind(store.get_job(ids[0]).await, ErrorKind::NotFound);

    let mut gt = indexmap::IndexMap::new();
    gt.insert("price".to_owned(), "€5".to_owned());
    let updated = store
        .bulk_update_jobs(
            &ids[2..6],
            JobUpdate {
                ground_truth: Some(gt),
                status: Some(JobStatus::Cancelled),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(updated, 4);
    for id in &ids[2..5] {
        let j = store.get_job(*id).await.expect("job");
        assert_eq!(j.ground_truth.get("price").map(String::as_str), Some("€5"));
        assert_eq!(j.status, JobStatus::Cancelled);
    }
    assert_kind(
        store
            .bulk_update_jobs(
                &ids[2..4],
                JobUpdate {
                    status: Some(JobStatus::Running),
                    ..JobUpdate::default()
                },
            )
            .await,
        ErrorKind::Validation,
    );

    // Rerun resets cancelled jobs; invalid ones stay invalid.
    let reset = store.bulk_rerun_jobs(&ids[2..12]).await.expect("rerun");
    let after = all_jobs(&store, &in_batch(&b)).await;
    let invalid = after
        .iter()
        .filter(|j| j.status == JobStatus::Invalid)
        .count();
    assert_eq!(invalid, 2, "invalid jobs are not rerun");
    assert_eq!(reset, 8);
    assert!(after
        .iter()
        .filter(|j| j.status != JobStatus::Invalid)
        .all(|j| j.status == JobStatus::Pending && j.attempts == 0 && j.last_error.is_none()));
}

pub async fn active_jobs_conflict(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 6, 0).await;
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let ids: Vec<_> = jobs.iter().map(|j| j.id).collect();
    store
        .create_execution(new_execution(&b), JobSelection::Ids(ids[..3].to_vec()))
        .await
        .expect("execution");
    assert_kind(
        store.bulk_delete_jobs(&ids[2..4]).await,
        ErrorKind::Conflict,
    );
    assert_kind(store.bulk_rerun_jobs(&ids[2..4]).await, ErrorKind::Conflict);
    // Nothing was deleted or changed by the refused calls.
    assert_eq!(
        store.get_job(ids[3]).await.expect("job").status,
        JobStatus::Pending
    );
    assert_eq!(
        store.get_job(ids[2]).await.expect("job").status,
        JobStatus::Queued
    );
    assert_eq!(store.bulk_delete_jobs(&ids[3..]).await.expect("delete"), 3);
}
