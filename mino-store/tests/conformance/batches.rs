use mino_core::model::*;
use mino_core::store::{BatchFilter, DynStore, JobRows, PageRequest};
use mino_core::{Error, ErrorKind};

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_batch, project, row};

pub async fn create_counts_rows_and_keeps_invalid_ones(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 30, 10).await;
    assert_eq!((b.total_rows, b.valid_rows, b.invalid_rows), (30, 27, 3));
    assert_eq!(b.project_id, p.id);
    assert_eq!(b.site_url_column, "url");
    assert_eq!(b.source_filename.as_deref(), Some("batch.csv"));
    assert_eq!(b.columns.len(), 1);
    assert_eq!(b.preview, vec![vec!["https://a.example".to_owned()]]);

    let jobs = all_jobs(&store, &in_batch(&b)).await;
    assert_eq!(jobs.len(), 30);
    let invalid: Vec<_> = jobs
        .iter()
        .filter(|j| j.status == JobStatus::Invalid)
        .collect();
    assert_eq!(invalid.len(), 3);
    assert!(invalid
        .iter()
        .all(|j| j.invalid_reason.as_deref() == Some("no usable site URL")));
    assert_eq!(
        invalid.iter().map(|j| j.line).collect::<Vec<_>>(),
        vec![11, 21, 31],
        "line numbers are kept"
    );
    assert!(jobs
        .iter()
        .filter(|j| j.status != JobStatus::Invalid)
        .all(|j| j.status == JobStatus::Pending && j.invalid_reason.is_none()));
    let counts = store.count_jobs(&in_batch(&b)).await.expect("count");
    assert_eq!(
        (counts.pending, counts.invalid, counts.total()),
        (27, 3, 30)
    );
}

pub async fn failed_row_stores_nothing(store: DynStore) {
    let p = project(&store, "P").await;
    let rows: JobRows = Box::new((0..1_000u64).map(|i| {
        if i == 700 {
            Err(Error::validation("row 700 is broken"))
        } else {
            Ok(row(i, 0))
        }
    }));
    let err = store
        .create_batch(new_batch(&p, "broken"), rows)
        .await
        .expect_err("a bad row aborts the batch");
    assert_eq!(err.kind(), ErrorKind::Validation);
    let batches = store
        .list_batches(
            BatchFilter::default(),
            PageRequest::first(10).expect("page"),
        )
        .await
        .expect("list");
    assert!(batches.data.is_empty(), "no half-written batch");
    let filter = JobFilter {
        project_id: Some(p.id),
        ..JobFilter::default()
    };
    assert_eq!(
        store.count_jobs(&filter).await.expect("count").total(),
        0,
        "no half-written jobs"
    );
    // A batch for a project that does not exist is not found, not half-written either.
    let mut ghost = new_batch(&p, "ghost");
    ghost.project_id = ProjectId::new();
    let rows: JobRows = Box::new((0..3u64).map(|i| Ok(row(i, 0))));
    assert_kind(store.create_batch(ghost, rows).await, ErrorKind::NotFound);
}

pub async fn list_filter_update_delete(store: DynStore) {
    let p1 = project(&store, "one").await;
    let p2 = project(&store, "two").await;
    let b1 = batch(&store, &p1, 3, 0).await;
    let b2 = batch(&store, &p2, 3, 0).await;
    let b3 = batch(&store, &p1, 3, 0).await;

    let of_p1 = store
        .list_batches(
            BatchFilter {
                project_id: Some(p1.id),
            },
            PageRequest::first(1).expect("page"),
        )
        .await
        .expect("list");
    assert_eq!(of_p1.data.len(), 1);
    assert_eq!(of_p1.data[0].id, b1.id);
    let cursor =
        mino_core::store::Cursor::decode(of_p1.next_cursor.as_deref().expect("next")).expect("c");
    let rest = store
        .list_batches(
            BatchFilter {
                project_id: Some(p1.id),
            },
            PageRequest::new(5, Some(cursor)).expect("page"),
        )
        .await
        .expect("list");
    assert_eq!(
        rest.data.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![b3.id]
    );

    let renamed = store
        .update_batch(
            b2.id,
            BatchUpdate {
                name: Some("Renamed ✓".into()),
            },
        )
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Renamed ✓");
    assert_eq!(store.get_batch(b2.id).await.expect("get").name, "Renamed ✓");
    assert_kind(
        store
            .update_batch(
                b2.id,
                BatchUpdate {
                    name: Some("   ".into()),
                },
            )
            .await,
        ErrorKind::Validation,
    );

    store.delete_batch(b1.id).await.expect("delete");
    assert_kind(store.get_batch(b1.id).await, ErrorKind::NotFound);
    assert_eq!(
        store
            .count_jobs(&in_batch(&b1))
            .await
            .expect("count")
            .total(),
        0
    );
    assert_eq!(
        store
            .count_jobs(&in_batch(&b3))
            .await
            .expect("count")
            .total(),
        3,
        "other batches keep their jobs"
    );
    assert_kind(store.delete_batch(b1.id).await, ErrorKind::NotFound);
}
