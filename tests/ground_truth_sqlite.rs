//! Ground truth after a real run: the end-of-execution snapshot, trends across executions,
//! bulk set from extracted values, bulk edit, the audit trail, and re-scoring without
//! running any agent. A `Platform` on SQLite with real Chromium and the heuristic agent.
//!
//! Needs Chromium: skipped with a message when it is missing, failed under `CI=true`.

mod common;

use std::time::Duration;

use common::harness::{paths, production, shop, Harness};
use common::wait_until;
use mino::export::ExportFormat;
use mino::metrics::{TrendBy, TrendKey};
use mino::model::{
    Accuracy, ExecutionId, ExecutionStatus, GroundTruthChangeFilter, JobFilter, JobId,
    MetricsSnapshot,
};
use mino::platform::{BulkEditGroundTruth, BulkSetGroundTruth, RunScope, StartExecution};
use mino::store::PageRequest;
use mino::ErrorKind;

/// The end snapshot of an execution, once the engine has taken it.
async fn end_snapshot(
    h: &Harness,
    batch: mino::model::BatchId,
    id: ExecutionId,
) -> MetricsSnapshot {
    wait_until(
        "the end-of-execution snapshot",
        Duration::from_secs(30),
        || async {
            let page = h
                .platform
                .snapshots(batch, PageRequest::first(100).expect("page"))
                .await
                .expect("snapshots");
            page.data
                .into_iter()
                .find(|s| s.at_end && s.execution_id == Some(id))
        },
    )
    .await
}

async fn verdict(h: &Harness, id: JobId) -> Option<Accuracy> {
    h.platform.job(id).await.expect("the job").job.accuracy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ground_truth_edits_rescore_and_leave_an_audit_trail() {
    let Some(h) = Harness::start(shop(Duration::ZERO)).await else {
        return;
    };
    let b = h.batch(3, 60, &paths("/p", 4)).await;
    let other = h.batch(3, 60, &paths("/q", 1)).await;
    // Row 1's ground-truth price is wrong, so it fails.
    let jobs = h
        .platform
        .jobs(
            &JobFilter {
                batch_id: Some(b.batch),
                ..JobFilter::default()
            },
            PageRequest::first(10).expect("page"),
        )
        .await
        .expect("jobs")
        .data;
    let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
    h.platform
        .update_job(
            ids[1],
            mino::model::JobUpdate {
                ground_truth: Some([("price".to_owned(), "$1.00".to_owned())].into()),
                changed_by: Some("setup".to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect("the wrong price is set");

    let first = h.start_execution(&b, production(4)).await;
    let first = h.finished(first.id, Duration::from_secs(120)).await;
    assert_eq!(first.status, ExecutionStatus::Completed);
    assert_eq!(verdict(&h, ids[1]).await, Some(Accuracy::Partial));

    // The engine snapshots the execution's own metrics when it ends, once.
    let snap = end_snapshot(&h, b.batch, first.id).await;
    let report = h
        .platform
        .column_metrics(b.batch, Some(first.id))
        .await
        .expect("metrics");
    assert_eq!(snap.metrics.jobs_passed, 3);
    assert_eq!(snap.metrics.jobs_passed, report.metrics.jobs_passed);
    assert_eq!(snap.metrics.columns, report.metrics.columns);
    assert_eq!(snap.instruction_version, Some(first.instruction_version));

    // Bulk set: take the extracted price as ground truth on row 1; it now passes.
    let set = h
        .platform
        .bulk_set_ground_truth(
            b.batch,
            BulkSetGroundTruth {
                job_ids: vec![ids[1]],
                fields: vec!["price".to_owned()],
                changed_by: Some("ann".to_owned()),
            },
        )
        .await
        .expect("bulk set");
    assert_eq!((set.jobs, set.updated, set.skipped), (1, 1, 0));
    assert_eq!(verdict(&h, ids[1]).await, Some(Accuracy::Pass));
    let detail = h.platform.job(ids[1]).await.expect("job").job;
    let extracted_price = detail.ground_truth["price"].clone();
    let extraction = detail.extraction.expect("an extraction");
    assert_eq!(
        extraction["price"].as_deref(),
        Some(extracted_price.as_str())
    );
    assert_ne!(extracted_price, "$1.00");

    // Bulk edit: one brand for rows 2 and 3, which is wrong for both; metrics follow.
    let edit = h
        .platform
        .bulk_edit_ground_truth(
            b.batch,
            BulkEditGroundTruth {
                job_ids: vec![ids[2], ids[3], ids[2]],
                field: "brand".to_owned(),
                value: "Nobody".to_owned(),
                changed_by: Some("bob".to_owned()),
            },
        )
        .await
        .expect("bulk edit");
    assert_eq!((edit.jobs, edit.updated), (2, 2));
    assert_eq!(verdict(&h, ids[2]).await, Some(Accuracy::Partial));
    let now = h
        .platform
        .column_metrics(b.batch, None)
        .await
        .expect("metrics");
    let brand = now
        .metrics
        .columns
        .iter()
        .find(|c| c.field == "brand")
        .expect("brand column");
    assert_eq!((brand.evaluated, brand.passed, brand.wrong), (4, 2, 2));

    // A job of another batch is refused and nothing changes.
    let foreign = h
        .platform
        .jobs(
            &JobFilter {
                batch_id: Some(other.batch),
                ..JobFilter::default()
            },
            PageRequest::first(1).expect("page"),
        )
        .await
        .expect("jobs")
        .data[0]
        .id;
    let refused = h
        .platform
        .bulk_edit_ground_truth(
            b.batch,
            BulkEditGroundTruth {
                job_ids: vec![ids[0], foreign],
                field: "brand".to_owned(),
                value: "X".to_owned(),
                changed_by: None,
            },
        )
        .await
        .expect_err("a foreign job");
    assert_eq!(refused.kind(), ErrorKind::Validation);
    assert_eq!(verdict(&h, ids[0]).await, Some(Accuracy::Pass));

    // The audit trail names who changed what, oldest first.
    let trail = h
        .platform
        .ground_truth_changes(
            GroundTruthChangeFilter {
                batch_id: Some(b.batch),
                ..GroundTruthChangeFilter::default()
            },
            PageRequest::first(100).expect("page"),
        )
        .await
        .expect("trail")
        .data;
    let who: Vec<(JobId, &str, &str, Option<&str>)> = trail
        .iter()
        .map(|c| {
            (
                c.job_id,
                c.field.as_str(),
                c.changed_by.as_str(),
                c.new_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            (ids[1], "price", "setup", Some("$1.00")),
            (ids[1], "price", "ann", Some(extracted_price.as_str())),
            (ids[2], "brand", "bob", Some("Nobody")),
            (ids[3], "brand", "bob", Some("Nobody")),
        ]
    );
    assert_eq!(trail[1].old_value.as_deref(), Some("$1.00"));

    // "Rerun what is not passing": rows 2 and 3 run again and still fail brand; the second
    // execution gets its own end snapshot and the trend has one point per execution.
    let second = h
        .platform
        .start_execution(
            b.project,
            b.batch,
            StartExecution {
                scope: Some(RunScope::NotPassing),
                ..production(2)
            },
        )
        .await
        .expect("the rerun starts");
    assert_eq!(second.total, 2);
    let second = h.finished(second.id, Duration::from_secs(120)).await;
    let snap2 = end_snapshot(&h, b.batch, second.id).await;
    assert_eq!(
        (snap2.metrics.jobs_evaluated, snap2.metrics.jobs_passed),
        (2, 0)
    );
    let trend = h
        .platform
        .trends(b.batch, TrendBy::Execution)
        .await
        .expect("trend");
    let keys: Vec<TrendKey> = trend.iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        vec![
            TrendKey::Execution {
                execution_id: first.id
            },
            TrendKey::Execution {
                execution_id: second.id
            },
        ]
    );
    let by_version = h
        .platform
        .trends(b.batch, TrendBy::InstructionVersion)
        .await
        .expect("trend by version");
    assert_eq!(by_version.len(), 1);

    // The dashboard summary and an export carry the edited ground truth.
    let dash = h
        .platform
        .analytics_dashboard(b.batch)
        .await
        .expect("dashboard");
    assert_eq!(dash.counts.completed, 4);
    assert_eq!(dash.trend.len(), 2);
    assert_eq!(
        dash.latest_execution.map(|s| s.execution_id),
        Some(second.id)
    );
    let mut csv = Vec::new();
    h.platform
        .export(
            b.project,
            &JobFilter {
                batch_id: Some(b.batch),
                ..JobFilter::default()
            },
            ExportFormat::Csv,
            &mut csv,
        )
        .await
        .expect("export");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert_eq!(csv.matches("Nobody").count(), 2, "{csv}");
    h.stop().await;
}
