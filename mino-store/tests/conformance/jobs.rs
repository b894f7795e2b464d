use chrono::Utc;
use indexmap::IndexMap;
use mino_core::model::*;
use mino_core::store::DynStore;
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_execution, project};

pub async fn roundtrip_keeps_order_and_values(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 4, 0).await;
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    assert_eq!(
        jobs.iter().map(|j| j.row_index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3],
        "jobs list in row order"
    );
    let j = &jobs[2];
    assert_eq!(j.batch_id, b.id);
    assert_eq!(j.project_id, p.id);
    assert_eq!(j.line, 4);
    assert_eq!(j.site_url, "https://Site-2.Example.com/page");
    assert_eq!(
        j.inputs.keys().collect::<Vec<_>>(),
        vec!["zeta", "alpha"],
        "input columns keep file order"
    );
    assert_eq!(
        j.ground_truth.get("title").map(String::as_str),
        Some("Title 2")
    );
    assert_eq!(j.status, JobStatus::Pending);
    assert_eq!(j.attempts, 0);
    assert!(j.execution_id.is_none() && j.extraction.is_none() && j.evaluation.is_none());
    assert_eq!(&store.get_job(j.id).await.expect("get"), j);
}

pub async fn filters(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 20, 5).await; // rows 4, 9, 14, 19 invalid
    let other = batch(&store, &p, 5, 0).await;

    let count = |f: JobFilter| {
        let store = store.clone();
        async move { all_jobs(&store, &f).await.len() }
    };
    let base = in_batch(&b);
    assert_eq!(count(base.clone()).await, 20);
    assert_eq!(
        count(JobFilter {
            project_id: Some(p.id),
            ..JobFilter::default()
        })
        .await,
        25
    );
    assert_eq!(
        count(JobFilter {
            statuses: vec![JobStatus::Invalid],
            ..base.clone()
        })
        .await,
        4
    );
    assert_eq!(
        count(JobFilter {
            statuses: vec![JobStatus::Invalid, JobStatus::Pending],
            ..base.clone()
        })
        .await,
        20
    );
    assert_eq!(
        count(JobFilter {
            has_ground_truth: Some(true),
            ..base.clone()
        })
        .await,
        10
    );
    assert_eq!(
        count(JobFilter {
            has_ground_truth: Some(false),
            ..base.clone()
        })
        .await,
        10
    );
    // Case-insensitive substring of the site URL.
    let found = all_jobs(
        &store,
        &JobFilter {
            search: Some("site-1".into()),
            ..base.clone()
        },
    )
    .await;
    let mut rows: Vec<_> = found.iter().map(|j| j.row_index).collect();
    rows.sort_unstable();
    assert_eq!(rows, vec![1, 10, 11, 12, 13, 15, 16, 17, 18]);
    assert_eq!(
        count(JobFilter {
            search: Some("SITE-12.EXAMPLE".into()),
            ..base.clone()
        })
        .await,
        1
    );
    assert_eq!(
        count(JobFilter {
            search: Some("%".into()),
            ..base.clone()
        })
        .await,
        0,
        "LIKE wildcards in a search are literal"
    );
    assert_eq!(
        count(JobFilter {
            search: Some("_".into()),
            ..base.clone()
        })
        .await,
        0,
        "LIKE wildcards in a search are literal"
    );
    assert_eq!(
        count(JobFilter {
            search: Some("e".into()),
            ..base.clone()
        })
        .await,
        16,
        "short searches work too"
    );

    let exec = store
        .create_execution(
            new_execution(&other),
            JobSelection::Filter(JobFilter::default()),
        )
        .await
        .expect("execution");
    assert_eq!(
        count(JobFilter {
            execution_id: Some(exec.id),
            ..JobFilter::default()
        })
        .await,
        5
    );
    let counts = store
        .count_jobs(&JobFilter {
            project_id: Some(p.id),
            ..JobFilter::default()
        })
        .await
        .expect("count");
    assert_eq!((counts.pending, counts.invalid, counts.queued), (16, 4, 5));
}

pub async fn update_merges_and_validates(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 5, 5).await; // row 4 invalid
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let j = &jobs[0];

    let mut inputs = IndexMap::new();
    inputs.insert("alpha".to_owned(), "changed".to_owned());
    inputs.insert("new".to_owned(), "added".to_owned());
    let mut gt = IndexMap::new();
    gt.insert("title".to_owned(), String::new()); // removes
    gt.insert("price".to_owned(), "$10".to_owned());
    let updated = store
        .update_job(
            j.id,
            JobUpdate {
                inputs: Some(inputs),
                ground_truth: Some(gt),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(
        updated
            .inputs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        vec![("zeta", "z0"), ("alpha", "changed"), ("new", "added")]
    );
    assert_eq!(updated.ground_truth.len(), 1);
    assert_eq!(
        updated.ground_truth.get("price").map(String::as_str),
        Some("$10")
    );
    assert_eq!(store.get_job(j.id).await.expect("get"), updated);
    // A job that lost all ground truth no longer matches has_ground_truth=true.
    let with_gt = all_jobs(
        &store,
        &JobFilter {
            has_ground_truth: Some(true),
            ..in_batch(&b)
        },
    )
    .await;
    assert!(with_gt.iter().any(|x| x.id == j.id));

    // Fixing an invalid job's URL makes it pending.
    let invalid = &jobs[4];
    assert_eq!(invalid.status, JobStatus::Invalid);
    let fixed = store
        .update_job(
            invalid.id,
            JobUpdate {
                site_url: Some("https://fixed.example".into()),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("fix url");
    assert_eq!(fixed.status, JobStatus::Pending);
    assert!(fixed.invalid_reason.is_none());
    assert_eq!(fixed.site_url, "https://fixed.example");

    let cancelled = store
        .update_job(
            j.id,
            JobUpdate {
                status: Some(JobStatus::Cancelled),
                ..JobUpdate::default()
            },
        )
        .await
        .expect("cancel");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_kind(
        store
            .update_job(
                j.id,
                JobUpdate {
                    status: Some(JobStatus::Completed),
                    ..JobUpdate::default()
                },
            )
            .await,
        ErrorKind::Validation,
    );
    assert_kind(
        store.update_job(JobId::new(), JobUpdate::default()).await,
        ErrorKind::NotFound,
    );

    // A queued job's status cannot be set by hand.
    let exec = store
        .create_execution(new_execution(&b), JobSelection::Ids(vec![jobs[1].id]))
        .await
        .expect("execution");
    assert_eq!(exec.total, 1);
    assert_kind(
        store
            .update_job(
                jobs[1].id,
                JobUpdate {
                    status: Some(JobStatus::Pending),
                    ..JobUpdate::default()
                },
            )
            .await,
        ErrorKind::Conflict,
    );
}

pub async fn evaluations_set_accuracy(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 6, 0).await;
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let eval = |accuracy| Evaluation {
        fields: vec![FieldEvaluation {
            field: "title".into(),
            expected: "A".into(),
            actual: Some("a".into()),
            comparator: "text".into(),
            score: 1.0,
            passed: accuracy == Accuracy::Pass,
        }],
        accuracy: Some(accuracy),
        evaluated_at: Utc::now(),
    };
    let n = store
        .save_evaluations(vec![
            (jobs[0].id, Some(eval(Accuracy::Pass))),
            (jobs[1].id, Some(eval(Accuracy::Fail))),
            (jobs[2].id, Some(eval(Accuracy::Partial))),
            (jobs[3].id, Some(eval(Accuracy::Pass))),
            (JobId::new(), Some(eval(Accuracy::Pass))),
        ])
        .await
        .expect("save");
    assert_eq!(n, 4, "unknown ids are skipped");
    let got = store.get_job(jobs[1].id).await.expect("get");
    assert_eq!(got.accuracy, Some(Accuracy::Fail));
    let stored = got.evaluation.expect("evaluation");
    assert_eq!(stored.fields, eval(Accuracy::Fail).fields);
    let passing = all_jobs(
        &store,
        &JobFilter {
            accuracy: Some(Accuracy::Pass),
            ..in_batch(&b)
        },
    )
    .await;
    assert_eq!(
        passing.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![jobs[0].id, jobs[3].id]
    );
    store
        .save_evaluations(vec![(jobs[0].id, None)])
        .await
        .expect("clear");
    let cleared = store.get_job(jobs[0].id).await.expect("get");
    assert!(cleared.evaluation.is_none() && cleared.accuracy.is_none());
}
