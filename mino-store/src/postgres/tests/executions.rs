use mino_core::model::{
    Batch, ExecutionMode, ExecutionStatus, ExecutionUpdate, JobFilter, JobId, JobSelection,
    JobStatus, JobUpdate, NewExecution, Project,
};
use mino_core::store::{ExecutionFilter, PageRequest, Store};
use mino_core::ErrorKind;

use super::{fresh_store, job_rows, new_batch, project, rows};
use crate::postgres::PostgresStore;

fn new_execution(p: &Project, b: &Batch) -> NewExecution {
    NewExecution {
        project_id: p.id,
        batch_id: b.id,
        mode: ExecutionMode::Production,
        sample_size: None,
        seed: Some(u64::MAX - 7),
        concurrency: 5,
        max_attempts: 3,
        job_timeout_secs: 60,
        instruction_version: 1,
    }
}

async fn ids(store: &PostgresStore, b: &Batch) -> Vec<JobId> {
    store
        .list_jobs(
            &JobFilter {
                batch_id: Some(b.id),
                ..Default::default()
            },
            PageRequest::first(500).expect("limit"),
        )
        .await
        .expect("listed")
        .data
        .iter()
        .map(|j| j.id)
        .collect()
}

#[tokio::test]
async fn an_execution_queues_its_selection_and_keeps_its_counts() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let b = store
        .create_batch(new_batch(&p), job_rows(rows(10)))
        .await
        .expect("batch");
    let all = ids(&store, &b).await;

    let first = store
        .create_execution(
            new_execution(&p, &b),
            JobSelection::Filter(JobFilter::default()),
        )
        .await
        .expect("created");
    // Two of the ten rows are invalid and never selected.
    assert_eq!((first.total, first.counts.queued), (8, 8));
    assert_eq!(first.status, ExecutionStatus::Running);
    assert_eq!(first.seed, Some(u64::MAX - 7));
    assert_eq!(store.get_execution(first.id).await.expect("found"), first);
    let job = store.get_job(all[0]).await.expect("found");
    assert_eq!(
        (job.status, job.execution_id),
        (JobStatus::Queued, Some(first.id))
    );

    // Busy jobs cannot be taken, changed or deleted.
    let busy = store
        .create_execution(new_execution(&p, &b), JobSelection::Ids(vec![all[0]]))
        .await
        .expect_err("busy");
    assert_eq!(busy.kind(), ErrorKind::Conflict);
    let cancel = JobUpdate {
        status: Some(JobStatus::Cancelled),
        ..Default::default()
    };
    assert_eq!(
        store
            .update_job(all[0], cancel.clone())
            .await
            .expect_err("busy")
            .kind(),
        ErrorKind::Conflict
    );
    assert_eq!(
        store
            .bulk_delete_jobs(&all[..2])
            .await
            .expect_err("busy")
            .kind(),
        ErrorKind::Conflict
    );
    assert_eq!(
        store
            .bulk_rerun_jobs(&all[..2])
            .await
            .expect_err("busy")
            .kind(),
        ErrorKind::Conflict
    );

    // Stopping cancels what is queued; the stopped execution can no longer change.
    let stopped = store
        .update_execution(
            first.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Stopped),
                concurrency: Some(9),
            },
        )
        .await
        .expect("stopped");
    assert_eq!((stopped.counts.cancelled, stopped.concurrency), (8, 9));
    assert!(stopped.finished_at.is_some());
    let again = store
        .update_execution(
            first.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Running),
                concurrency: None,
            },
        )
        .await
        .expect_err("finished");
    assert_eq!(again.kind(), ErrorKind::Conflict);

    // Rerunning jobs in a second execution leaves the first one's counts alone.
    assert_eq!(store.bulk_rerun_jobs(&all[..3]).await.expect("rerun"), 3);
    let second = store
        .create_execution(new_execution(&p, &b), JobSelection::Ids(all[..3].to_vec()))
        .await
        .expect("created");
    assert_eq!(second.total, 3);
    let first_again = store.get_execution(first.id).await.expect("found");
    assert_eq!((first_again.total, first_again.counts.cancelled), (8, 8));
    let in_second = store
        .count_jobs(&JobFilter {
            execution_id: Some(second.id),
            ..Default::default()
        })
        .await
        .expect("counted");
    assert_eq!(in_second.queued, 3);

    let listed = store
        .list_executions(
            ExecutionFilter {
                batch_id: Some(b.id),
                statuses: vec![ExecutionStatus::Running],
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("listed");
    assert_eq!(listed.data, vec![second]);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn selections_are_validated() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let b = store
        .create_batch(new_batch(&p), job_rows(rows(5)))
        .await
        .expect("batch");
    let other = store
        .create_batch(new_batch(&p), job_rows(rows(5)))
        .await
        .expect("batch");
    let mine = ids(&store, &b).await;
    let theirs = ids(&store, &other).await;

    let check = |result: mino_core::Result<_>, kind: ErrorKind| {
        assert_eq!(
            result
                .map(|_: mino_core::model::Execution| ())
                .err()
                .map(|e| e.kind()),
            Some(kind)
        );
    };
    let new = new_execution(&p, &b);
    check(
        store
            .create_execution(new.clone(), JobSelection::Ids(vec![mine[0], theirs[0]]))
            .await,
        ErrorKind::Validation,
    );
    check(
        store
            .create_execution(new.clone(), JobSelection::Ids(Vec::new()))
            .await,
        ErrorKind::Validation,
    );
    // Row 4 is invalid: selecting only it selects nothing.
    check(
        store
            .create_execution(new.clone(), JobSelection::Ids(vec![mine[4]]))
            .await,
        ErrorKind::Validation,
    );
    check(
        store
            .create_execution(
                new.clone(),
                JobSelection::Filter(JobFilter {
                    statuses: vec![JobStatus::Completed],
                    ..Default::default()
                }),
            )
            .await,
        ErrorKind::Validation,
    );
    check(
        store
            .create_execution(new.clone(), JobSelection::Ids(vec![JobId::new()]))
            .await,
        ErrorKind::NotFound,
    );
    let mut bad = new.clone();
    bad.concurrency = 51;
    check(
        store
            .create_execution(bad, JobSelection::Ids(vec![mine[0]]))
            .await,
        ErrorKind::Validation,
    );
    let mut bad = new.clone();
    bad.instruction_version = 2;
    check(
        store
            .create_execution(bad, JobSelection::Ids(vec![mine[0]]))
            .await,
        ErrorKind::Validation,
    );

    // A filter naming another batch is forced onto the execution's own batch.
    let forced = store
        .create_execution(
            new.clone(),
            JobSelection::Filter(JobFilter {
                batch_id: Some(other.id),
                ..Default::default()
            }),
        )
        .await
        .expect("created");
    assert_eq!(forced.total, 4);
    assert_eq!(
        store.get_job(theirs[0]).await.expect("found").status,
        JobStatus::Pending
    );

    // Nothing was left behind by the failed attempts.
    let all = store
        .list_executions(ExecutionFilter::default(), PageRequest::default())
        .await
        .expect("listed");
    assert_eq!(all.data.len(), 1);
    store.drop_schema().await.expect("dropped");
}
