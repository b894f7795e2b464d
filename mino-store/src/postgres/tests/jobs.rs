use chrono::Utc;
use indexmap::IndexMap;
use mino_core::model::{
    Accuracy, Evaluation, FieldEvaluation, JobFilter, JobId, JobStatus, JobUpdate,
};
use mino_core::store::{PageRequest, Store, BULK_DELETE_MAX, BULK_RERUN_MAX};
use mino_core::ErrorKind;

use super::{fresh_store, job_rows, new_batch, project, rows};
use crate::postgres::PostgresStore;

async fn all_ids(store: &PostgresStore, filter: &JobFilter, limit: u32) -> Vec<JobId> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_jobs(
                filter,
                PageRequest::parse(Some(limit), cursor.as_deref()).expect("page"),
            )
            .await
            .expect("listed");
        assert!(page.data.len() <= limit as usize);
        ids.extend(page.data.iter().map(|j| j.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            return ids;
        }
    }
}

fn evaluation(accuracy: Accuracy) -> Evaluation {
    Evaluation {
        fields: vec![FieldEvaluation {
            field: "price".to_owned(),
            expected: "1".to_owned(),
            actual: Some("1".to_owned()),
            comparator: "number".to_owned(),
            score: 0.75,
            passed: accuracy == Accuracy::Pass,
        }],
        accuracy: Some(accuracy),
        evaluated_at: Utc::now(),
    }
}

#[tokio::test]
async fn filters_and_pages_agree_with_counts() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let mut data = rows(30);
    data[7].site_url = "https://100%_real.example".to_owned();
    let batch = store
        .create_batch(new_batch(&p), job_rows(data))
        .await
        .expect("batch");
    let in_batch = JobFilter {
        batch_id: Some(batch.id),
        ..Default::default()
    };
    let every = all_ids(&store, &in_batch, 7).await;
    assert_eq!(every.len(), 30);
    assert!(every.windows(2).all(|w| w[0] < w[1]));

    let invalid = JobFilter {
        statuses: vec![JobStatus::Invalid],
        ..in_batch.clone()
    };
    assert_eq!(all_ids(&store, &invalid, 4).await.len(), 6);
    let either = JobFilter {
        statuses: vec![JobStatus::Invalid, JobStatus::Pending],
        ..in_batch.clone()
    };
    assert_eq!(all_ids(&store, &either, 4).await.len(), 30);
    let counts = store.count_jobs(&in_batch).await.expect("counted");
    assert_eq!(
        (counts.pending, counts.invalid, counts.total()),
        (24, 6, 30)
    );

    let with_truth = JobFilter {
        has_ground_truth: Some(true),
        ..in_batch.clone()
    };
    assert_eq!(
        store
            .count_jobs(&with_truth)
            .await
            .expect("counted")
            .total(),
        15
    );

    // Search is a case-insensitive substring; wildcards in it are literal.
    let search = |text: &str| JobFilter {
        search: Some(text.to_owned()),
        ..in_batch.clone()
    };
    // shop-1 and shop-10 … shop-18, less the invalid rows 14 (and 19) without a URL.
    assert_eq!(all_ids(&store, &search("SHOP-1"), 50).await.len(), 9);
    assert_eq!(all_ids(&store, &search("%_real"), 50).await.len(), 1);
    assert_eq!(all_ids(&store, &search("_"), 50).await.len(), 1);
    assert_eq!(all_ids(&store, &search("   "), 50).await.len(), 30);

    let other_project = JobFilter {
        project_id: Some(mino_core::model::ProjectId::new()),
        ..Default::default()
    };
    assert!(all_ids(&store, &other_project, 50).await.is_empty());
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn evaluations_set_accuracy_and_can_be_cleared() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let batch = store
        .create_batch(new_batch(&p), job_rows(rows(6)))
        .await
        .expect("batch");
    let in_batch = JobFilter {
        batch_id: Some(batch.id),
        ..Default::default()
    };
    let ids = all_ids(&store, &in_batch, 50).await;
    let saved = store
        .save_evaluations(vec![
            (ids[0], Some(evaluation(Accuracy::Pass))),
            (ids[1], Some(evaluation(Accuracy::Fail))),
            (ids[2], Some(evaluation(Accuracy::Pass))),
            (JobId::new(), Some(evaluation(Accuracy::Pass))),
        ])
        .await
        .expect("saved");
    assert_eq!(saved, 3);
    let passing = JobFilter {
        accuracy: Some(Accuracy::Pass),
        ..in_batch.clone()
    };
    assert_eq!(all_ids(&store, &passing, 50).await, vec![ids[0], ids[2]]);
    let job = store.get_job(ids[0]).await.expect("found");
    assert_eq!(job.accuracy, Some(Accuracy::Pass));
    assert_eq!(job.evaluation.map(|e| e.fields[0].score), Some(0.75));

    store
        .save_evaluations(vec![(ids[0], None)])
        .await
        .expect("cleared");
    let job = store.get_job(ids[0]).await.expect("found");
    assert_eq!((job.evaluation, job.accuracy), (None, None));
    assert_eq!(
        store.save_evaluations(Vec::new()).await.expect("nothing"),
        0
    );
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn update_job_merges_and_revives_invalid_rows() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let batch = store
        .create_batch(new_batch(&p), job_rows(rows(5)))
        .await
        .expect("batch");
    let ids = all_ids(
        &store,
        &JobFilter {
            batch_id: Some(batch.id),
            ..Default::default()
        },
        50,
    )
    .await;
    let invalid = store.get_job(ids[4]).await.expect("found");
    assert_eq!(invalid.status, JobStatus::Invalid);

    let mut inputs = IndexMap::new();
    inputs.insert("extra".to_owned(), "yes".to_owned());
    let fixed = store
        .update_job(
            invalid.id,
            JobUpdate {
                site_url: Some("https://fixed.example".to_owned()),
                inputs: Some(inputs),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(fixed.status, JobStatus::Pending);
    assert_eq!(fixed.invalid_reason, None);
    assert_eq!(fixed.site_url, "https://fixed.example");
    assert_eq!(
        fixed.inputs.keys().collect::<Vec<_>>(),
        vec!["name", "city", "extra"]
    );

    // Row 3 has no ground truth; giving it some (and taking it away) moves the filter.
    let with_truth = JobFilter {
        batch_id: Some(batch.id),
        has_ground_truth: Some(true),
        ..Default::default()
    };
    assert_eq!(
        store
            .count_jobs(&with_truth)
            .await
            .expect("counted")
            .total(),
        3
    );
    let mut truth = IndexMap::new();
    truth.insert("email".to_owned(), "a@b.example".to_owned());
    let given = store
        .update_job(
            ids[3],
            JobUpdate {
                ground_truth: Some(truth),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(
        given.ground_truth.get("email").map(String::as_str),
        Some("a@b.example")
    );
    assert_eq!(
        store
            .count_jobs(&with_truth)
            .await
            .expect("counted")
            .total(),
        4
    );
    let mut clear = IndexMap::new();
    clear.insert("email".to_owned(), String::new());
    let cleared = store
        .update_job(
            ids[3],
            JobUpdate {
                ground_truth: Some(clear),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert!(cleared.ground_truth.is_empty());
    assert_eq!(
        store
            .count_jobs(&with_truth)
            .await
            .expect("counted")
            .total(),
        3
    );

    let bad = store
        .update_job(
            ids[0],
            JobUpdate {
                status: Some(JobStatus::Completed),
                ..Default::default()
            },
        )
        .await
        .expect_err("not settable");
    assert_eq!(bad.kind(), ErrorKind::Validation);
    let missing = store
        .update_job(JobId::new(), JobUpdate::default())
        .await
        .expect_err("missing");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn bulk_operations_check_sizes_and_count_existing_jobs() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let batch = store
        .create_batch(new_batch(&p), job_rows(rows(10)))
        .await
        .expect("batch");
    let ids = all_ids(
        &store,
        &JobFilter {
            batch_id: Some(batch.id),
            ..Default::default()
        },
        50,
    )
    .await;

    assert_eq!(
        store.bulk_delete_jobs(&[]).await.expect_err("empty").kind(),
        ErrorKind::Validation
    );
    let too_many: Vec<JobId> = (0..=BULK_DELETE_MAX).map(|_| JobId::new()).collect();
    assert_eq!(
        store
            .bulk_delete_jobs(&too_many)
            .await
            .expect_err("too many")
            .kind(),
        ErrorKind::Validation
    );
    let too_many: Vec<JobId> = (0..=BULK_RERUN_MAX).map(|_| JobId::new()).collect();
    assert_eq!(
        store
            .bulk_rerun_jobs(&too_many)
            .await
            .expect_err("too many")
            .kind(),
        ErrorKind::Validation
    );

    let cancel = JobUpdate {
        status: Some(JobStatus::Cancelled),
        ..Default::default()
    };
    let updated = store
        .bulk_update_jobs(&[ids[0], ids[1], ids[4], JobId::new()], cancel)
        .await
        .expect("updated");
    assert_eq!(updated, 3);
    assert_eq!(
        store.get_job(ids[0]).await.expect("found").status,
        JobStatus::Cancelled
    );
    // Invalid rows keep their status.
    assert_eq!(
        store.get_job(ids[4]).await.expect("found").status,
        JobStatus::Invalid
    );

    let reset = store
        .bulk_rerun_jobs(&[ids[0], ids[1], ids[4]])
        .await
        .expect("rerun");
    assert_eq!(reset, 2);
    assert_eq!(
        store.get_job(ids[1]).await.expect("found").status,
        JobStatus::Pending
    );

    let deleted = store
        .bulk_delete_jobs(&[ids[0], ids[1], JobId::new()])
        .await
        .expect("deleted");
    assert_eq!(deleted, 2);
    assert_eq!(
        store.get_job(ids[0]).await.expect_err("gone").kind(),
        ErrorKind::NotFound
    );
    store.drop_schema().await.expect("dropped");
}
