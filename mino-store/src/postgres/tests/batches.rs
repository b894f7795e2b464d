use indexmap::IndexMap;
use mino_core::model::{BatchUpdate, JobFilter, JobStatus, NewJob, ProjectId};
use mino_core::store::{BatchFilter, PageRequest, Store};
use mino_core::{Error, ErrorKind};

use super::{fresh_store, job_rows, new_batch, project, rows};

#[tokio::test]
async fn a_batch_stores_every_row_in_order_with_counts() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let mut all = rows(10);
    // Characters that are special to COPY, JSON or SQL survive the trip.
    all[0].inputs.insert(
        "notes".to_owned(),
        "tab\there\nnew line \\ back'slash \"quoted\" \r é 🙂".to_owned(),
    );
    all[0].site_url = "https://a.example/path?q=1\t2".to_owned();
    let batch = store
        .create_batch(new_batch(&p), job_rows(all.clone()))
        .await
        .expect("batch");
    assert_eq!(
        (batch.total_rows, batch.valid_rows, batch.invalid_rows),
        (10, 8, 2)
    );
    assert_eq!(store.get_batch(batch.id).await.expect("found"), batch);

    let filter = JobFilter {
        batch_id: Some(batch.id),
        ..Default::default()
    };
    let jobs = store
        .list_jobs(&filter, PageRequest::first(100).expect("limit"))
        .await
        .expect("listed");
    assert_eq!(jobs.data.len(), 10);
    for (job, row) in jobs.data.iter().zip(&all) {
        assert_eq!(job.row_index, row.row_index);
        assert_eq!(job.line, row.line);
        assert_eq!(job.site_url, row.site_url);
        assert_eq!(job.project_id, p.id);
        // Key order is kept, not just the entries.
        assert_eq!(
            job.inputs.iter().collect::<Vec<_>>(),
            row.inputs.iter().collect::<Vec<_>>()
        );
        assert_eq!(job.ground_truth, row.ground_truth);
        let expected = if row.invalid_reason.is_some() {
            JobStatus::Invalid
        } else {
            JobStatus::Pending
        };
        assert_eq!(job.status, expected);
        assert_eq!(job.invalid_reason, row.invalid_reason);
        assert_eq!(job.attempts, 0);
    }
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn an_error_row_aborts_the_whole_batch() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    // Enough rows to fill several COPY chunks before the failure.
    let good = rows(20_000).into_iter().map(Ok);
    let bad = std::iter::once(Err(Error::validation("row 20001 is broken")));
    let err = store
        .create_batch(new_batch(&p), Box::new(good.chain(bad)))
        .await
        .expect_err("aborted");
    assert_eq!(err.kind(), ErrorKind::Validation);
    let batches = store
        .list_batches(BatchFilter::default(), PageRequest::default())
        .await
        .expect("listed");
    assert!(batches.data.is_empty());
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(store.pool())
        .await
        .expect("counted");
    assert_eq!(jobs, 0);

    // The pool's connections are still usable after the aborted COPY.
    for _ in 0..3 {
        store
            .create_batch(new_batch(&p), job_rows(rows(3)))
            .await
            .expect("batch after an abort");
    }
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn text_the_database_cannot_hold_is_a_validation_error() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let row = NewJob {
        row_index: 0,
        line: 2,
        site_url: "https://nul\0.example".to_owned(),
        inputs: IndexMap::new(),
        ground_truth: IndexMap::new(),
        invalid_reason: None,
    };
    let err = store
        .create_batch(new_batch(&p), job_rows(vec![row]))
        .await
        .expect_err("NUL bytes cannot be stored");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn batches_need_a_project_and_a_name() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let mut orphan = new_batch(&p);
    orphan.project_id = ProjectId::new();
    let err = store
        .create_batch(orphan, job_rows(rows(2)))
        .await
        .expect_err("no project");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.context_value("entity"), Some("project"));

    let mut unnamed = new_batch(&p);
    unnamed.name = " ".to_owned();
    let err = store
        .create_batch(unnamed, job_rows(rows(2)))
        .await
        .expect_err("no name");
    assert_eq!(err.kind(), ErrorKind::Validation);
    store.drop_schema().await.expect("dropped");
}

#[tokio::test]
async fn batches_list_by_project_update_and_delete() {
    let Some(store) = fresh_store().await else {
        return;
    };
    let p = project(&store).await;
    let other = project(&store).await;
    let a = store
        .create_batch(new_batch(&p), job_rows(rows(3)))
        .await
        .expect("batch");
    store
        .create_batch(new_batch(&other), job_rows(rows(3)))
        .await
        .expect("batch");
    let listed = store
        .list_batches(
            BatchFilter {
                project_id: Some(p.id),
            },
            PageRequest::default(),
        )
        .await
        .expect("listed");
    assert_eq!(
        listed.data.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![a.id]
    );

    let renamed = store
        .update_batch(
            a.id,
            BatchUpdate {
                name: Some("Renamed".to_owned()),
            },
        )
        .await
        .expect("updated");
    assert_eq!(renamed.name, "Renamed");
    assert!(renamed.updated_at >= a.updated_at);

    store.delete_batch(a.id).await.expect("deleted");
    assert_eq!(
        store.delete_batch(a.id).await.expect_err("gone").kind(),
        ErrorKind::NotFound
    );
    let counts = store
        .count_jobs(&JobFilter {
            batch_id: Some(a.id),
            ..Default::default()
        })
        .await
        .expect("counted");
    assert_eq!(counts.total(), 0);
    store.drop_schema().await.expect("dropped");
}
