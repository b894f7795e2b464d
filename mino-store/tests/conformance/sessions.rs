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

/// A finished session of `job` in `execution` that spent `usage`.
async fn spent(store: &DynStore, job: JobId, execution: ExecutionId, attempt: u32, usage: Usage) {
    let session = store
        .create_session(NewSession {
            job_id: job,
            execution_id: Some(execution),
            attempt,
            worker_id: "w".into(),
        })
        .await
        .expect("session");
    store
        .finish_session(
            session.id,
            SessionOutcome {
                status: SessionStatus::Failed,
                log: vec![],
                extraction: None,
                error: None,
                screenshot: None,
                final_url: None,
                usage,
            },
        )
        .await
        .expect("finish");
}

pub async fn usage_totals_sum_sessions_per_execution(store: DynStore) {
    let p = project(&store, "Cost").await;
    let b = batch(&store, &p, 3, 0).await;
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let (j0, j1) = (jobs[0].id, jobs[1].id);
    let usage = |tokens_in, cost_usd| Usage {
        tokens_in,
        tokens_out: tokens_in / 10,
        cost_usd,
    };
    let e1 = store
        .create_execution(
            crate::fixtures::new_execution(&b),
            JobSelection::Ids(vec![j0, j1]),
        )
        .await
        .expect("execution 1");
    spent(&store, j0, e1.id, 1, usage(100, 0.25)).await;
    spent(&store, j0, e1.id, 2, usage(200, 0.5)).await;
    spent(&store, j1, e1.id, 1, usage(50, 0.125)).await;
    store
        .update_execution(
            e1.id,
            ExecutionUpdate {
                status: Some(ExecutionStatus::Completed),
                ..ExecutionUpdate::default()
            },
        )
        .await
        .expect("end execution 1");
    store.bulk_rerun_jobs(&[j0]).await.expect("rerun");
    let e2 = store
        .create_execution(
            crate::fixtures::new_execution(&b),
            JobSelection::Ids(vec![j0]),
        )
        .await
        .expect("execution 2");
    spent(&store, j0, e2.id, 1, usage(400, 1.0)).await;

    let whole = store.usage_totals(&in_batch(&b)).await.expect("totals");
    assert_eq!(whole.jobs_run, 2, "job 2 never ran");
    assert_eq!((whole.tokens_in, whole.tokens_out), (750, 75));
    let per: Vec<_> = whole
        .executions
        .iter()
        .map(|e| (e.execution_id, e.sessions, e.jobs, e.cost_usd))
        .collect();
    assert_eq!(
        per,
        vec![(Some(e1.id), 3, 2, 0.875), (Some(e2.id), 1, 1, 1.0)],
        "oldest execution first"
    );
    // The general way (every job's sessions) agrees with the store's query.
    let paged = mino_core::metrics::usage_by_paging(store.as_ref(), &in_batch(&b))
        .await
        .expect("paged");
    assert_eq!(paged, whole);

    // One execution: its jobs now, and only its sessions.
    let of_e2 = store
        .usage_totals(&JobFilter {
            execution_id: Some(e2.id),
            ..in_batch(&b)
        })
        .await
        .expect("e2");
    assert_eq!((of_e2.jobs_run, of_e2.tokens_in), (1, 400));
    let of_e1 = store
        .usage_totals(&JobFilter {
            execution_id: Some(e1.id),
            ..in_batch(&b)
        })
        .await
        .expect("e1");
    assert_eq!(
        (of_e1.jobs_run, of_e1.tokens_in),
        (1, 50),
        "job 0 belongs to execution 2 now"
    );
    let none = store
        .usage_totals(&JobFilter {
            search: Some("no such site".into()),
            ..in_batch(&b)
        })
        .await
        .expect("none");
    assert_eq!(none, mino_core::metrics::UsageTotals::default());
}
