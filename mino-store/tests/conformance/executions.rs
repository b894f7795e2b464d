use mino_core::model::*;
use mino_core::store::{DynStore, ExecutionFilter, PageRequest};
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_execution, project};

pub async fn create_from_ids_and_filter(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 20, 4).await; // 5 invalid
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let valid: Vec<_> = jobs
        .iter()
        .filter(|j| j.status == JobStatus::Pending)
        .map(|j| j.id)
        .collect();

    let mut new = new_execution(&b);
    new.mode = ExecutionMode::Test;
    new.sample_size = Some(10);
    new.seed = Some(42);
    new.instruction_version = 1;
    let sample = store
        .create_execution(new.clone(), JobSelection::Ids(valid[..10].to_vec()))
        .await
        .expect("test execution");
    assert_eq!(sample.status, ExecutionStatus::Running);
    assert_eq!(sample.mode, ExecutionMode::Test);
    assert_eq!((sample.sample_size, sample.seed), (Some(10), Some(42)));
    assert_eq!(sample.total, 10);
    assert_eq!(sample.counts.queued, 10);
    assert_eq!(sample.counts.total(), sample.total);
    assert!(sample.finished_at.is_none());
    for id in &valid[..10] {
        let j = store.get_job(*id).await.expect("job");
        assert_eq!(j.status, JobStatus::Queued);
        assert_eq!(j.execution_id, Some(sample.id));
        assert_eq!(j.attempts, 0);
    }
    assert_eq!(store.get_execution(sample.id).await.expect("get"), sample);

    // A filter takes only what is selectable: the rest of the valid jobs, never invalid ones.
    let rest = store
        .create_execution(
            new_execution(&b),
            JobSelection::Filter(JobFilter {
                statuses: vec![JobStatus::Pending, JobStatus::Invalid],
                ..JobFilter::default()
            }),
        )
        .await
        .expect("production");
    assert_eq!(rest.total, 5);
    assert_eq!(rest.counts.queued, 5);
    let after = store.count_jobs(&in_batch(&b)).await.expect("count");
    assert_eq!((after.queued, after.invalid, after.pending), (15, 5, 0));
}

pub async fn conflicts_and_validation(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 10, 0).await;
    let other = batch(&store, &p, 2, 0).await;
    let ids: Vec<_> = all_jobs(&store, &in_batch(&b))
        .await
        .iter()
        .map(|j| j.id)
        .collect();
    let other_ids: Vec<_> = all_jobs(&store, &in_batch(&other))
        .await
        .iter()
        .map(|j| j.id)
        .collect();

    let mut bad = new_execution(&b);
    bad.concurrency = 51;
    assert_kind(
        store
            .create_execution(bad, JobSelection::Ids(ids.clone()))
            .await,
        ErrorKind::Validation,
    );
    let mut bad = new_execution(&b);
    bad.concurrency = 0;
    assert_kind(
        store
            .create_execution(bad, JobSelection::Ids(ids.clone()))
            .await,
        ErrorKind::Validation,
    );
    let mut bad = new_execution(&b);
    bad.sample_size = Some(9);
    assert_kind(
        store
            .create_execution(bad, JobSelection::Ids(ids.clone()))
            .await,
        ErrorKind::Validation,
    );
    assert_kind(
        store
            .create_execution(new_execution(&b), JobSelection::Ids(vec![]))
            .await,
        ErrorKind::Validation,
    );
    assert_kind(
        store
            .create_execution(
                new_execution(&b),
                JobSelection::Ids(vec![ids[0], other_ids[0]]),
            )
            .await,
        ErrorKind::Validation,
    );
    let mut ghost = new_execution(&b);
    ghost.batch_id = BatchId::new();
    assert_kind(
        store
            .create_execution(ghost, JobSelection::Ids(vec![ids[0]]))
            .await,
        ErrorKind::NotFound,
    );
    // Nothing was queued by the refused calls.
    assert_eq!(store.count_jobs(&in_batch(&b)).await.expect("c").queued, 0);

    store
        .create_execution(new_execution(&b), JobSelection::Ids(ids[..5].to_vec()))
        .await
        .expect("first");
    assert_kind(
        store
            .create_execution(new_execution(&b), JobSelection::Ids(ids[4..6].to_vec()))
            .await,
        ErrorKind::Conflict,
    );
    assert_eq!(
        store.get_job(ids[5]).await.expect("job").status,
        JobStatus::Pending,
        "a refused execution queues nothing"
    );
    // A filter that only finds jobs held by another execution selects nothing.
    assert_kind(
        store
            .create_execution(
                new_execution(&b),
                JobSelection::Filter(JobFilter {
                    statuses: vec![JobStatus::Queued],
                    ..JobFilter::default()
                }),
            )
            .await,
        ErrorKind::Conflict,
    );
}

pub async fn update_and_list(store: DynStore) {
    let p = project(&store, "P").await;
    let b1 = batch(&store, &p, 3, 0).await;
    let b2 = batch(&store, &p, 3, 0).await;
    let e1 = store
        .create_execution(
            new_execution(&b1),
            JobSelection::Filter(JobFilter::default()),
        )
        .await
        .expect("e1");
    let e2 = store
        .create_execution(
            new_execution(&b2),
            JobSelection::Filter(JobFilter::default()),
        )
        .await
        .expect("e2");

    let paused = store
        .update_execution(
            e1.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Paused),
                concurrency: Some(50),
            },
        )
        .await
        .expect("pause");
    assert_eq!(paused.status, ExecutionStatus::Paused);
    assert_eq!(paused.concurrency, 50);
    assert_kind(
        store
            .update_execution(
                e1.id,
                ExecutionUpdate {
                    concurrency: Some(51),
                    ..ExecutionUpdate::default()
                },
            )
            .await,
        ErrorKind::Validation,
    );
    assert_kind(
        store
            .update_execution(ExecutionId::new(), ExecutionUpdate::default())
            .await,
        ErrorKind::NotFound,
    );
    let stopped = store
        .update_execution(
            e2.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Stopped),
                ..ExecutionUpdate::default()
            },
        )
        .await
        .expect("stop");
    assert!(
        stopped.finished_at.is_some(),
        "a finished execution has an end time"
    );
    assert_kind(
        store
            .update_execution(
                e2.id,
                ExecutionUpdate {
                    status: Some(ExecutionStatus::Running),
                    ..ExecutionUpdate::default()
                },
            )
            .await,
        ErrorKind::Conflict,
    );

    let page = PageRequest::first(10).expect("page");
    let all = store
        .list_executions(ExecutionFilter::default(), page)
        .await
        .expect("list");
    assert_eq!(
        all.data.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e1.id, e2.id]
    );
    let of_b2 = store
        .list_executions(
            ExecutionFilter {
                batch_id: Some(b2.id),
                ..ExecutionFilter::default()
            },
            page,
        )
        .await
        .expect("list");
    assert_eq!(of_b2.data.len(), 1);
    assert_eq!(of_b2.data[0].id, e2.id);
    let active = store
        .list_executions(
            ExecutionFilter {
                project_id: Some(p.id),
                statuses: vec![ExecutionStatus::Running, ExecutionStatus::Paused],
                ..ExecutionFilter::default()
            },
            page,
        )
        .await
        .expect("list");
    assert_eq!(
        active.data.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e1.id]
    );
}
