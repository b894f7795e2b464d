//! The audit trail of ground truth and per-job bulk updates.

use indexmap::IndexMap;
use mino_core::model::*;
use mino_core::store::{Cursor, DynStore, PageRequest};
use mino_core::ErrorKind;

use crate::fixtures::{all_jobs, assert_kind, batch, in_batch, new_execution, project};

fn truth(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn set_truth(pairs: &[(&str, &str)], by: Option<&str>) -> JobUpdate {
    JobUpdate {
        ground_truth: Some(truth(pairs)),
        changed_by: by.map(str::to_owned),
        ..JobUpdate::default()
    }
}

async fn changes(store: &DynStore, filter: GroundTruthChangeFilter) -> Vec<GroundTruthChange> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_ground_truth_changes(&filter, PageRequest::new(2, cursor).expect("page"))
            .await
            .expect("list changes");
        assert!(page.data.len() <= 2);
        out.extend(page.data);
        match page.next_cursor {
            Some(c) => cursor = Some(Cursor::decode(&c).expect("cursor")),
            None => return out,
        }
    }
}

type Summary = (JobId, String, Option<String>, Option<String>, String);

fn summary(changes: &[GroundTruthChange]) -> Vec<Summary> {
    changes
        .iter()
        .map(|c| {
            (
                c.job_id,
                c.field.clone(),
                c.old_value.clone(),
                c.new_value.clone(),
                c.changed_by.clone(),
            )
        })
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

pub async fn every_change_is_recorded_once_with_its_author(store: DynStore) {
    let p = project(&store, "Audit").await;
    let b = batch(&store, &p, 3, 0).await;
    let other = batch(&store, &p, 1, 0).await;
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let (j0, j1, j2) = (jobs[0].id, jobs[1].id, jobs[2].id);
    // Row 0 came with ground truth "Title 0"; ingest itself is not a change.
    assert!(changes(&store, GroundTruthChangeFilter::default())
        .await
        .is_empty());

    // One update: an edit, a new field, and a value set to what it already was.
    store
        .update_job(
            j0,
            set_truth(&[("title", "Widget"), ("price", "9.99")], Some("ann")),
        )
        .await
        .expect("update");
    store
        .update_job(j0, set_truth(&[("title", "Widget")], Some("ann")))
        .await
        .expect("no-op update");
    // Removing a field; no author given.
    store
        .update_job(j0, set_truth(&[("price", "")], None))
        .await
        .expect("remove");
    // A bulk update: j1 gets a new field, j2 too; an unchanged job records nothing.
    store
        .bulk_update_jobs(&[j1, j2], set_truth(&[("sku", "A-1")], Some("bob")))
        .await
        .expect("bulk");
    // Different values per job, one transaction.
    let n = store
        .update_jobs_each(vec![
            (j1, set_truth(&[("sku", "B-2")], Some("cy"))),
            (j2, set_truth(&[("sku", "A-1")], Some("cy"))),
            (j1, set_truth(&[("title", "Gadget")], Some("cy"))),
        ])
        .await
        .expect("update each");
    assert_eq!(n, 2, "distinct jobs that existed");
    assert_eq!(
        store.get_job(j1).await.expect("j1").ground_truth,
        truth(&[("sku", "B-2"), ("title", "Gadget")]),
        "both updates of j1 applied in order"
    );

    let all = changes(&store, GroundTruthChangeFilter::default()).await;
    assert_eq!(
        summary(&all),
        vec![
            (j0, "title".into(), s("Title 0"), s("Widget"), "ann".into()),
            (j0, "price".into(), None, s("9.99"), "ann".into()),
            (j0, "price".into(), s("9.99"), None, UNKNOWN_ACTOR.into()),
            (j1, "sku".into(), None, s("A-1"), "bob".into()),
            (j2, "sku".into(), None, s("A-1"), "bob".into()),
            (j1, "sku".into(), s("A-1"), s("B-2"), "cy".into()),
            (j1, "title".into(), None, s("Gadget"), "cy".into()),
        ],
        "oldest first, one row per changed field, no-ops left out"
    );
    assert!(all.iter().all(|c| c.batch_id == b.id));
    assert!(all.windows(2).all(|w| w[0].changed_at <= w[1].changed_at));

    let of_j1 = changes(
        &store,
        GroundTruthChangeFilter {
            job_id: Some(j1),
            ..GroundTruthChangeFilter::default()
        },
    )
    .await;
    assert_eq!(of_j1.len(), 3);
    let sku_in_batch = changes(
        &store,
        GroundTruthChangeFilter {
            batch_id: Some(b.id),
            field: Some("sku".into()),
            ..GroundTruthChangeFilter::default()
        },
    )
    .await;
    assert_eq!(sku_in_batch.len(), 3);
    let in_other = changes(
        &store,
        GroundTruthChangeFilter {
            batch_id: Some(other.id),
            ..GroundTruthChangeFilter::default()
        },
    )
    .await;
    assert!(in_other.is_empty());

    // The trail outlives a deleted job and goes with its batch.
    store.bulk_delete_jobs(&[j0]).await.expect("delete job");
    let of_j0 = GroundTruthChangeFilter {
        job_id: Some(j0),
        ..GroundTruthChangeFilter::default()
    };
    assert_eq!(changes(&store, of_j0.clone()).await.len(), 3);
    store.delete_batch(b.id).await.expect("delete batch");
    assert!(changes(&store, GroundTruthChangeFilter::default())
        .await
        .is_empty());
}

pub async fn update_each_is_all_or_nothing(store: DynStore) {
    let p = project(&store, "Atomic").await;
    let b = batch(&store, &p, 3, 0).await;
    let jobs = all_jobs(&store, &in_batch(&b)).await;
    let before: Vec<_> = jobs.iter().map(|j| j.ground_truth.clone()).collect();

    // One invalid update (a status that cannot be set by hand) fails the whole call.
    let bad = JobUpdate {
        status: Some(JobStatus::Completed),
        ..JobUpdate::default()
    };
    assert_kind(
        store
            .update_jobs_each(vec![
                (jobs[0].id, set_truth(&[("title", "X")], Some("ann"))),
                (jobs[1].id, bad),
            ])
            .await,
        ErrorKind::Validation,
    );
    // A status change on a job held by an active execution is a conflict.
    store
        .create_execution(new_execution(&b), JobSelection::Ids(vec![jobs[2].id]))
        .await
        .expect("execution");
    let cancel = JobUpdate {
        status: Some(JobStatus::Cancelled),
        ..JobUpdate::default()
    };
    assert_kind(
        store
            .update_jobs_each(vec![
                (jobs[0].id, set_truth(&[("title", "X")], Some("ann"))),
                (jobs[2].id, cancel),
            ])
            .await,
        ErrorKind::Conflict,
    );
    let after: Vec<_> = all_jobs(&store, &in_batch(&b))
        .await
        .into_iter()
        .map(|j| j.ground_truth)
        .collect();
    assert_eq!(after, before, "nothing changed");
    assert!(changes(&store, GroundTruthChangeFilter::default())
        .await
        .is_empty());
    // Limits: empty and oversized calls are validation errors; unknown ids are skipped.
    assert_kind(store.update_jobs_each(vec![]).await, ErrorKind::Validation);
    let too_many = (0..1_001)
        .map(|_| (JobId::new(), JobUpdate::default()))
        .collect();
    assert_kind(
        store.update_jobs_each(too_many).await,
        ErrorKind::Validation,
    );
    let n = store
        .update_jobs_each(vec![(JobId::new(), set_truth(&[("title", "X")], None))])
        .await
        .expect("unknown id");
    assert_eq!(n, 0);
}
