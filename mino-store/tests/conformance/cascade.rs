use mino_core::model::*;
use mino_core::store::{BatchFilter, DynStore, PageRequest};
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_execution, project};

struct World {
    batch: Batch,
    job: Job,
    execution: Execution,
    session: Session,
    artifact: Artifact,
}

async fn world(store: &DynStore, project: &Project) -> World {
    let batch = batch(store, project, 3, 0).await;
    let job = all_jobs(store, &in_batch(&batch)).await.remove(0);
    let execution = store
        .create_execution(new_execution(&batch), JobSelection::Ids(vec![job.id]))
        .await
        .expect("execution");
    let session = store
        .create_session(NewSession {
            job_id: job.id,
            execution_id: Some(execution.id),
            attempt: 1,
            worker_id: "w".into(),
        })
        .await
        .expect("session");
    let artifact = store
        .put_artifact(NewArtifact {
            job_id: Some(job.id),
            session_id: Some(session.id),
            kind: "screenshot".into(),
            content_type: "image/png".into(),
            bytes: vec![1, 2, 3],
        })
        .await
        .expect("artifact");
    store
        .create_snapshot(NewSnapshot {
            batch_id: batch.id,
            execution_id: Some(execution.id),
            instruction_version: Some(1),
            metrics: BatchMetrics::default(),
            at_end: false,
        })
        .await
        .expect("snapshot");
    World {
        batch,
        job,
        execution,
        session,
        artifact,
    }
}

async fn assert_gone(store: &DynStore, w: &World) {
    assert_kind(store.get_batch(w.batch.id).await, ErrorKind::NotFound);
    assert_kind(store.get_job(w.job.id).await, ErrorKind::NotFound);
    assert_kind(
        store.get_execution(w.execution.id).await,
        ErrorKind::NotFound,
    );
    assert_kind(store.get_session(w.session.id).await, ErrorKind::NotFound);
    assert_kind(store.get_artifact(w.artifact.id).await, ErrorKind::NotFound);
    let snaps = store
        .list_snapshots(w.batch.id, PageRequest::first(10).expect("page"))
        .await
        .expect("list");
    assert!(snaps.data.is_empty());
}

pub async fn project_delete_removes_everything(store: DynStore) {
    let doomed = project(&store, "doomed").await;
    let kept = project(&store, "kept").await;
    let w = world(&store, &doomed).await;
    let k = world(&store, &kept).await;
    store.delete_project(doomed.id).await.expect("delete");
    assert_kind(store.get_project(doomed.id).await, ErrorKind::NotFound);
    assert_kind(
        store.get_instruction_version(doomed.id, 1).await,
        ErrorKind::NotFound,
    );
    assert_gone(&store, &w).await;
    // The other project is untouched.
    assert!(store.get_session(k.session.id).await.is_ok());
    assert!(store.get_artifact(k.artifact.id).await.is_ok());
    let left = store
        .list_batches(
            BatchFilter::default(),
            PageRequest::first(10).expect("page"),
        )
        .await
        .expect("list");
    assert_eq!(left.data.len(), 1);
}

pub async fn batch_and_job_delete(store: DynStore) {
    let p = project(&store, "P").await;
    let w = world(&store, &p).await;
    let other = world(&store, &p).await;
    store.delete_batch(w.batch.id).await.expect("delete batch");
    assert_gone(&store, &w).await;
    assert!(store.get_project(p.id).await.is_ok());

    // Stopping an execution cancels its queued jobs in the same step.
    let stopped = store
        .update_execution(
            other.execution.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Stopped),
                ..ExecutionUpdate::default()
            },
        )
        .await
        .expect("stop");
    assert_eq!((stopped.counts.cancelled, stopped.counts.queued), (1, 0));
    assert_eq!(
        store.get_job(other.job.id).await.expect("job").status,
        JobStatus::Cancelled
    );

    // Deleting a job takes its sessions and artifacts.
    let second = all_jobs(&store, &in_batch(&other.batch)).await.remove(1);
    let s = store
        .create_session(NewSession {
            job_id: second.id,
            execution_id: None,
            attempt: 1,
            worker_id: "w".into(),
        })
        .await
        .expect("session");
    assert_eq!(
        store.bulk_delete_jobs(&[second.id]).await.expect("delete"),
        1
    );
    assert_kind(store.get_session(s.id).await, ErrorKind::NotFound);
    assert!(store.get_batch(other.batch.id).await.is_ok());
}
