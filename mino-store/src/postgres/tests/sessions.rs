use chrono::Utc;
use indexmap::IndexMap;
use mino_core::model::{
    BatchMetrics, JobFilter, JobId, LogLevel, LogLine, NewArtifact, NewSession, NewSnapshot,
    SessionError, SessionOutcome, SessionStatus, Usage,
};
use mino_core::store::{PageRequest, Store};
use mino_core::ErrorKind;

use super::{fresh_store, job_rows, new_batch, project, rows};

#[tokio::test]
async fn sessions_artifacts_and_snapshots_round_trip() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let b = store
        .create_batch(new_batch(&p), job_rows(rows(2)))
        .await
        .expect("batch");
    let job = store
        .list_jobs(
            &JobFilter {
                batch_id: Some(b.id),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("listed")
        .data
        .remove(0);

    let session = store
        .create_session(NewSession {
            job_id: job.id,
            execution_id: None,
            attempt: 1,
            worker_id: "worker-1".to_owned(),
        })
        .await
        .expect("started");
    assert_eq!(session.status, SessionStatus::Running);

    let png = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 255];
    let artifact = store
        .put_artifact(NewArtifact {
            job_id: Some(job.id),
            session_id: Some(session.id),
            kind: "screenshot".to_owned(),
            content_type: "image/png".to_owned(),
            bytes: png.clone(),
        })
        .await
        .expect("stored");
    assert_eq!(artifact.size, png.len() as u64);
    let (meta, bytes) = store.get_artifact(artifact.id).await.expect("found");
    assert_eq!((meta, bytes), (artifact.clone(), png));

    let mut extraction = IndexMap::new();
    extraction.insert("price".to_owned(), Some("9.99".to_owned()));
    extraction.insert("email".to_owned(), None);
    let outcome = SessionOutcome {
        status: SessionStatus::Failed,
        log: vec![LogLine {
            at: Utc::now(),
            level: LogLevel::Warn,
            message: "slow page".to_owned(),
        }],
        extraction: Some(extraction.clone()),
        error: Some(SessionError {
            kind: ErrorKind::Timeout,
            message: "took too long".to_owned(),
            transient: true,
        }),
        screenshot: Some(artifact.id),
        final_url: Some("https://shop-0.example/".to_owned()),
        usage: Usage {
            tokens_in: 10,
            tokens_out: 5,
            cost_usd: 0.0125,
        },
    };
    let finished = store
        .finish_session(session.id, outcome.clone())
        .await
        .expect("finished");
    assert_eq!(finished.status, SessionStatus::Failed);
    assert_eq!(finished.log, outcome.log);
    assert_eq!(
        finished
            .extraction
            .as_ref()
            .map(|e| e.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["price".to_owned(), "email".to_owned()])
    );
    assert_eq!(finished.usage, outcome.usage);
    assert!(finished.duration_ms().is_some());
    assert_eq!(
        store.get_session(session.id).await.expect("found"),
        finished
    );
    assert_eq!(
        store
            .finish_session(session.id, outcome)
            .await
            .expect_err("twice")
            .kind(),
        ErrorKind::Conflict
    );
    let listed = store
        .list_sessions(job.id, PageRequest::default())
        .await
        .expect("listed");
    assert_eq!(listed.data, vec![finished]);

    let orphan = store
        .create_session(NewSession {
            job_id: JobId::new(),
            execution_id: None,
            attempt: 1,
            worker_id: "w".to_owned(),
        })
        .await
        .expect_err("no job");
    assert_eq!(orphan.kind(), ErrorKind::NotFound);
    assert_eq!(orphan.context_value("entity"), Some("job"));

    let snapshot = store
        .create_snapshot(NewSnapshot {
            batch_id: b.id,
            execution_id: None,
            instruction_version: Some(1),
            metrics: BatchMetrics {
                jobs_evaluated: 2,
                jobs_passed: 1,
                pass_rate: Some(0.5),
                ..Default::default()
            },
            at_end: false,
        })
        .await
        .expect("stored");
    let snapshots = store
        .list_snapshots(b.id, PageRequest::default())
        .await
        .expect("listed");
    assert_eq!(snapshots.data, vec![snapshot]);

    // Deleting the job takes its sessions and artifacts with it.
    store.bulk_delete_jobs(&[job.id]).await.expect("deleted");
    assert_eq!(
        store
            .get_artifact(artifact.id)
            .await
            .expect_err("gone")
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        store
            .get_session(session.id)
            .await
            .expect_err("gone")
            .kind(),
        ErrorKind::NotFound
    );
    store.drop_schema().await.expect("dropped");
}
