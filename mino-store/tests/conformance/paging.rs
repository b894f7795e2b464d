use std::collections::HashSet;

use mino_core::model::*;
use mino_core::store::{Cursor, DynStore, JobRows, PageRequest};
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_batch, project, row};

async fn walk(store: &DynStore, filter: &JobFilter, limit: u32) -> Vec<JobId> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_jobs(filter, PageRequest::new(limit, cursor).expect("page"))
            .await
            .expect("list");
        assert!(page.data.len() <= limit as usize);
        if page.next_cursor.is_some() {
            assert_eq!(
                page.data.len(),
                limit as usize,
                "only the last page is short"
            );
        }
        ids.extend(page.data.iter().map(|j| j.id));
        match page.next_cursor {
            Some(c) => cursor = Some(Cursor::decode(&c).expect("cursor")),
            None => return ids,
        }
    }
}

pub async fn walks_every_row_once_in_order(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 250, 0).await;
    let ids = walk(&store, &in_batch(&b), 7).await;
    assert_eq!(ids.len(), 250);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 250, "no duplicates");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "stable id order");
    // Exactly divisible sizes end without an empty extra page.
    let ids = walk(&store, &in_batch(&b), 50).await;
    assert_eq!(ids.len(), 250);
}

pub async fn inserts_between_pages_cause_no_gaps_or_duplicates(store: DynStore) {
    let p = project(&store, "P").await;
    let b1 = batch(&store, &p, 40, 0).await;
    let filter = JobFilter {
        project_id: Some(p.id),
        ..JobFilter::default()
    };
    let first = store
        .list_jobs(&filter, PageRequest::first(15).expect("page"))
        .await
        .expect("page 1");
    // New rows arrive between page requests.
    let rows: JobRows = Box::new((0..10u64).map(|i| Ok(row(i, 0))));
    let b2 = store
        .create_batch(new_batch(&p, "late"), rows)
        .await
        .expect("late batch");
    let mut seen: Vec<JobId> = first.data.iter().map(|j| j.id).collect();
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor {
        let page = store
            .list_jobs(
                &filter,
                PageRequest::new(15, Some(Cursor::decode(&c).expect("c"))).expect("page"),
            )
            .await
            .expect("page");
        seen.extend(page.data.iter().map(|j| j.id));
        cursor = page.next_cursor;
    }
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    let originals = all_jobs(&store, &in_batch(&b1)).await;
    assert!(
        originals.iter().all(|j| unique.contains(&j.id)),
        "no row that existed before is skipped"
    );
    let late = all_jobs(&store, &in_batch(&b2)).await;
    assert!(
        late.iter().all(|j| unique.contains(&j.id)),
        "newer rows come at the end"
    );
    assert_eq!(seen.len(), 50);
}

pub async fn limits_and_bad_cursors(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 3, 0).await;
    assert!(PageRequest::first(0).is_err());
    assert!(PageRequest::first(501).is_err());
    let max = store
        .list_jobs(&in_batch(&b), PageRequest::first(500).expect("page"))
        .await
        .expect("list");
    assert_eq!(max.data.len(), 3);
    assert_kind(
        PageRequest::parse(Some(10), Some("not-a-cursor")),
        ErrorKind::Validation,
    );
    // A cursor of the wrong kind for the list is a validation error, not a crash.
    assert_kind(
        store
            .list_jobs(
                &in_batch(&b),
                PageRequest::new(10, Some(Cursor::Seq(3))).expect("page"),
            )
            .await,
        ErrorKind::Validation,
    );
    assert_kind(
        store
            .list_instruction_versions(
                p.id,
                PageRequest::new(10, Some(Cursor::Id(uuid::Uuid::now_v7()))).expect("page"),
            )
            .await,
        ErrorKind::Validation,
    );
    // A cursor past the end gives an empty last page.
    let past = store
        .list_jobs(
            &in_batch(&b),
            PageRequest::new(10, Some(Cursor::Id(uuid::Uuid::max()))).expect("page"),
        )
        .await
        .expect("list");
    assert!(past.data.is_empty() && past.next_cursor.is_none());
}

pub async fn filtered_paging(store: DynStore) {
    let p = project(&store, "P").await;
    let b = batch(&store, &p, 120, 3).await; // every third row invalid
    let filter = JobFilter {
        statuses: vec![JobStatus::Invalid],
        ..in_batch(&b)
    };
    let ids = walk(&store, &filter, 9).await;
    assert_eq!(ids.len(), 40);
    for id in &ids {
        assert_eq!(
            store.get_job(*id).await.expect("job").status,
            JobStatus::Invalid
        );
    }
}
