//! Queue cases beyond the conformance suite: stale sessions, retries while stopping,
//! counters after deletes.

use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use mino_core::model::{
    ExecutionMode, ExecutionStatus, ExecutionUpdate, JobFilter, JobSelection, JobStatus,
    NewExecution, SessionOutcome, SessionStatus, Usage,
};
use mino_core::store::{AttemptResult, NextStep, Store};
use mino_core::ErrorKind;

use super::{fresh_store, job_rows, new_batch, project, rows};
use crate::postgres::PostgresStore;

const LEASE: Duration = Duration::from_secs(30);

fn result(next: NextStep) -> AttemptResult {
    let status = match next {
        NextStep::Complete => SessionStatus::Succeeded,
        NextStep::Cancel => SessionStatus::Cancelled,
        _ => SessionStatus::Failed,
    };
    AttemptResult {
        outcome: SessionOutcome {
            status,
            log: Vec::new(),
            extraction: None,
            error: None,
            screenshot: None,
            final_url: None,
            usage: Usage::default(),
        },
        next,
        evaluation: None,
    }
}

/// A running execution over the valid jobs of a new batch of `n` rows.
async fn execution(store: &PostgresStore, n: u64, concurrency: u32) -> mino_core::model::Execution {
    let p = project(store).await;
    let b = store
        .create_batch(new_batch(&p), job_rows(rows(n)))
        .await
        .expect("batch");
    store
        .create_execution(
            NewExecution {
                project_id: p.id,
                batch_id: b.id,
                mode: ExecutionMode::Production,
                sample_size: None,
                seed: None,
                concurrency,
                max_attempts: 3,
                job_timeout_secs: 60,
                instruction_version: 1,
            },
            JobSelection::Filter(JobFilter::default()),
        )
        .await
        .expect("execution")
}

#[tokio::test]
async fn a_reclaimed_session_cannot_finish_even_for_the_same_worker() {
    let Some(store) = fresh_store().await else {
        return;
    };
    execution(&store, 1, 1).await;
    let first = store
        .claim_jobs("w", 1, Duration::from_millis(50))
        .await
        .expect("claimed");
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(store.reclaim_expired().await.expect("reclaimed").len(), 1);
    let second = store.claim_jobs("w", 1, LEASE).await.expect("claimed");
    assert_eq!(second[0].job.id, first[0].job.id);

    let stale = store
        .finish_attempt("w", first[0].session.id, result(NextStep::Complete))
        .await
        .expect_err("stale session");
    assert_eq!(stale.kind(), ErrorKind::Conflict);
    let done = store
        .finish_attempt("w", second[0].session.id, result(NextStep::Complete))
        .await
        .expect("finished");
    assert_eq!(done.job.status, JobStatus::Completed);
    assert_eq!(done.execution.status, ExecutionStatus::Completed);
    let lost = store.get_session(first[0].session.id).await.expect("found");
    assert_eq!(lost.status, SessionStatus::Lost);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn a_retry_while_stopping_is_a_cancellation() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let e = execution(&store, 3, 1).await;
    let claims = store.claim_jobs("w", 1, LEASE).await.expect("claimed");
    let stopping = store
        .update_execution(
            e.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Stopping),
                concurrency: None,
            },
        )
        .await
        .expect("stopping");
    assert_eq!(stopping.status, ExecutionStatus::Stopping);
    let f = store
        .finish_attempt(
            "w",
            claims[0].session.id,
            result(NextStep::Retry { at: Utc::now() }),
        )
        .await
        .expect("finished");
    assert_eq!(f.job.status, JobStatus::Cancelled);
    assert_eq!(f.execution.status, ExecutionStatus::Stopped);
    assert_eq!(f.execution.counts.cancelled, f.execution.total);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn counts_follow_deleted_jobs_and_paused_attempts_live_on() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let e = execution(&store, 5, 5).await;
    assert_eq!(e.total, 4);
    for claim in store.claim_jobs("w", 5, LEASE).await.expect("claimed") {
        store
            .finish_attempt("w", claim.session.id, result(NextStep::Complete))
            .await
            .expect("finished");
    }
    let done = store.get_execution(e.id).await.expect("found");
    assert_eq!(
        (done.status, done.counts.completed),
        (ExecutionStatus::Completed, 4)
    );

    let jobs = store
        .list_jobs(
            &JobFilter {
                execution_id: Some(e.id),
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .expect("listed");
    store
        .bulk_delete_jobs(&[jobs.data[0].id])
        .await
        .expect("deleted");
    let after = store.get_execution(e.id).await.expect("found");
    assert_eq!((after.total, after.counts.completed), (3, 3));

    // Paused executions keep their running attempts alive; heartbeats say so.
    let e2 = execution(&store, 2, 1).await;
    let claim = store.claim_jobs("w", 1, LEASE).await.expect("claimed");
    assert_eq!(claim[0].execution.id, e2.id);
    store
        .update_execution(
            e2.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Paused),
                concurrency: None,
            },
        )
        .await
        .expect("paused");
    let gone = store
        .heartbeat("w", &[claim[0].job.id], LEASE)
        .await
        .expect("heartbeat");
    assert!(gone.is_empty());
    store.drop_schema().await.expect("dropped");
}

/// Claims from many connections at once, with finishes between them, never hold more jobs
/// than the execution's concurrency: a claimer that waited for the execution's lock must see
/// the claims committed while it waited.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_claimers_never_exceed_the_concurrency() {
    let Some(store) = fresh_store().await else {
        return;
    };
    const LIMIT: u32 = 4;
    let e = execution(&store, 400, LIMIT).await;
    let store = Arc::new(store);
    let most = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(AtomicIsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (store, most, running) = (store.clone(), most.clone(), running.clone());
        tasks.push(tokio::spawn(async move {
            let worker = format!("w{w}");
            loop {
                let claims = store
                    .claim_jobs(&worker, LIMIT, LEASE)
                    .await
                    .expect("claimed");
                // Counted once claimed and uncounted just before its finish begins, so the
                // count never exceeds what the store holds as running.
                let now = running.fetch_add(claims.len() as isize, Ordering::SeqCst)
                    + claims.len() as isize;
                most.fetch_max(now as usize, Ordering::SeqCst);
                for claim in &claims {
                    running.fetch_sub(1, Ordering::SeqCst);
                    store
                        .finish_attempt(&worker, claim.session.id, result(NextStep::Complete))
                        .await
                        .expect("finished");
                }
                if claims.is_empty() {
                    let current = store.get_execution(e.id).await.expect("execution");
                    if !current.status.is_active() {
                        return;
                    }
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("claimer");
    }
    let done = store.get_execution(e.id).await.expect("execution");
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_eq!(done.counts.completed, done.total);
    assert!(done.total >= 300, "{done:?}");
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= LIMIT as usize,
        "{most} jobs were held at once (limit {LIMIT})"
    );
    store.drop_schema().await.expect("dropped");
}

/// Finishes written together stand or fall alone: one result the database refuses (text
/// with a NUL byte) fails only its own finish, whatever batch it was written in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refused_result_does_not_fail_the_finishes_beside_it() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let e = execution(&store, 20, 16).await;
    let claims = store.claim_jobs("w", 16, LEASE).await.expect("claimed");
    assert_eq!(claims.len(), 16);
    let store = Arc::new(store);
    let mut tasks = Vec::new();
    for (n, claim) in claims.iter().enumerate() {
        let store = store.clone();
        let session = claim.session.id;
        tasks.push(tokio::spawn(async move {
            let mut finished = result(NextStep::Complete);
            if n == 5 {
                finished.outcome.final_url = Some("https://example.invalid/\0".to_owned());
            }
            store.finish_attempt("w", session, finished).await
        }));
    }
    let mut refused = 0;
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.expect("finisher") {
            Ok(f) => {
                assert_ne!(n, 5, "the refused result was stored");
                assert_eq!(f.job.status, JobStatus::Completed);
            }
            Err(err) => {
                assert_eq!(n, 5, "finish {n} failed: {err:?}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 1);
    let now = store.get_execution(e.id).await.expect("execution");
    assert_eq!(now.counts.completed, 15, "{:?}", now.counts);
    assert_eq!(
        now.counts.running, 1,
        "the refused attempt still holds its job"
    );
    store.drop_schema().await.expect("dropped");
}
