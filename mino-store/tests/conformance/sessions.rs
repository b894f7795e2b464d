use chrono::Utc;
use indexmap::IndexMap;
use mino_core::model::*;
use mino_core::store::{DynStore, PageRequest};
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, project};

pub async fn lifecycle(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 2, 0).await;
    let job = all_jobs(&store, &in_batch(&b)).await.remove(0);

    let s1 = store
        .create_session(NewSession {
            job_id: job.id,
            execution_id: None,
            attempt: 1,
            worker_id: "worker-α".into(),
        })
        .await
        .expect("session 1");
    assert_eq!(s1.status, SessionStatus::Running);
    assert!(s1.finished_at.is_none() && s1.log.is_empty());

    let mut extraction = IndexMap::new();
    extraction.insert("title".to_owned(), Some("Ünïcode title".to_owned()));
    extraction.insert("price".to_owned(), None);
    let outcome = SessionOutcome {
        status: SessionStatus::Succeeded,
        log: vec![
            LogLine {
                at: Utc::now(),
                level: LogLevel::Info,
                message: "opened page".into(),
            },
            LogLine {
                at: Utc::now(),
                level: LogLevel::Warn,
                message: "price not found".into(),
            },
        ],
        extraction: Some(extraction.clone()),
        error: None,
        screenshot: None,
        final_url: Some("https://example.com/final".into()),
        usage: Usage {
            tokens_in: 1200,
            tokens_out: 80,
            cost_usd: 0.0123,
        },
    };
    let done = store
        .finish_session(s1.id, outcome.clone())
        .await
        .expect("finish");
    assert_eq!(done.status, SessionStatus::Succeeded);
    assert_eq!(done.extraction, Some(extraction));
    assert_eq!(done.usage, outcome.usage);
    assert_eq!(
        done.log
            .iter()
            .map(|l| l.message.as_str())
            .collect::<Vec<_>>(),
        vec!["opened page", "price not found"],
        "log order is kept"
    );
    assert!(done.finished_at.is_some());
    assert!(done.duration_ms().is_some_and(|ms| ms >= 0));
    assert_eq!(store.get_session(s1.id).await.expect("get"), done);
    assert_kind(
        store.finish_session(s1.id, outcome.clone()).await,
        ErrorKind::Conflict,
    );
    assert_kind(
        store.finish_session(SessionId::new(), outcome).await,
        ErrorKind::NotFound,
    );

    let s2 = store
        .create_session(NewSession {
            job_id: job.id,
            execution_id: None,
            attempt: 2,
            worker_id: "w2".into(),
        })
        .await
        .expect("session 2");
    let failed = store
        .finish_session(
            s2.id,
            SessionOutcome {
                status: SessionStatus::Failed,
                log: vec![],
                extraction: None,
                error: Some(SessionError {
                    kind: ErrorKind::Timeout,
                    message: "page load timed out after 30s".into(),
                    transient: true,
                }),
                screenshot: None,
                final_url: None,
                usage: Usage::default(),
            },
        )
        .await
        .expect("fail");
    assert_eq!(
        failed.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Timeout)
    );

    let list = store
        .list_sessions(job.id, PageRequest::first(1).expect("page"))
        .await
        .expect("list");
    assert_eq!(list.data[0].id, s1.id);
    assert!(list.next_cursor.is_some());
    assert_kind(
        store
            .create_session(NewSession {
                job_id: JobId::new(),
                execution_id: None,
                attempt: 1,
                worker_id: "w".into(),
            })
            .await,
        ErrorKind::NotFound,
    );
}
