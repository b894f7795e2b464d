//! Batch metrics against hand-computed values: per-column evaluated, passed, failed,
//! missing and wrong; job pass rate; cost per job, per execution and per correct field;
//! trends from snapshots.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod evaluation_support;

use chrono::Utc;
use evaluation_support::{batch, job, project, session, MemoryStore};
use mino_core::evaluation::JobEvaluator;
use mino_core::metrics::{
    batch_metrics, batch_report, metrics_of, trend_from_snapshots, AccuracyTally, TrendBy, TrendKey,
};
use mino_core::model::*;

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Seven jobs whose verdicts are worked out by hand in the comments.
fn fixture() -> (Project, MemoryStore, ExecutionId, ExecutionId) {
    let p = project(&[("title", FieldType::Text), ("price", FieldType::Number)]);
    let b = batch(&p, &[]);
    let (e1, e2) = (ExecutionId::new(), ExecutionId::new());
    let mut jobs = vec![
        // pass: title ✓, price ✓
        job(
            &b,
            0,
            &[],
            &[("title", "A"), ("price", "10")],
            Some(&[("title", Some("a")), ("price", Some("$10"))]),
        ),
        // partial: title ✓, price missing (None)
        job(
            &b,
            1,
            &[],
            &[("title", "B"), ("price", "20")],
            Some(&[("title", Some("B")), ("price", None)]),
        ),
        // fail: title wrong, price wrong
        job(
            &b,
            2,
            &[],
            &[("title", "C"), ("price", "30")],
            Some(&[("title", Some("X")), ("price", Some("31"))]),
        ),
        // fail: title missing (blank)
        job(
            &b,
            3,
            &[],
            &[("title", "D")],
            Some(&[("title", Some("  "))]),
        ),
        // not evaluated: no ground truth
        job(&b, 4, &[], &[], Some(&[("title", Some("E"))])),
        // fail: the agent failed, price missing
        job(&b, 5, &[], &[("price", "50")], None),
        // never evaluated
        job(&b, 6, &[], &[("title", "G")], Some(&[("title", Some("G"))])),
    ];
    let evaluator = JobEvaluator::new(&p.output_fields, &p.settings).unwrap();
    for j in jobs.iter_mut().take(6) {
        let e = evaluator.evaluate(&j.ground_truth, j.extraction.as_ref());
        j.accuracy = e.accuracy;
        j.evaluation = Some(e);
    }
    jobs[0].execution_id = Some(e2);
    for j in &mut jobs[1..=3] {
        j.execution_id = Some(e1);
    }
    jobs[5].execution_id = Some(e1);
    let sessions = vec![
        session(&jobs[0], Some(e1), 1, 0.10),
        session(&jobs[0], Some(e1), 2, 0.05),
        session(&jobs[0], Some(e2), 1, 0.40),
        session(&jobs[1], Some(e1), 1, 0.20),
        session(&jobs[2], Some(e1), 1, 0.30),
        session(&jobs[5], Some(e1), 1, 0.05),
        // Job 6 never ran in an execution: its stray session is not looked up.
        session(&jobs[6], None, 1, 9.99),
    ];
    let store = MemoryStore::new(p.clone(), vec![b], jobs, sessions);
    (p, store, e1, e2)
}

#[tokio::test]
async fn accuracy_per_column_and_job_match_hand_counts() {
    let (_, store, _, _) = fixture();
    let m = batch_metrics(&store, &JobFilter::default()).await.unwrap();
    assert_eq!(
        (
            m.jobs_evaluated,
            m.jobs_passed,
            m.jobs_partial,
            m.jobs_failed
        ),
        (5, 1, 1, 3)
    );
    assert!(close(m.pass_rate, 0.2));
    let title = &m.columns[0];
    assert_eq!(title.field, "title");
    assert_eq!(
        (
            title.evaluated,
            title.passed,
            title.failed,
            title.missing,
            title.wrong
        ),
        (4, 2, 2, 1, 1)
    );
    assert!(close(title.accuracy, 0.5));
    let price = &m.columns[1];
    assert_eq!(price.field, "price");
    assert_eq!(
        (
            price.evaluated,
            price.passed,
            price.failed,
            price.missing,
            price.wrong
        ),
        (4, 1, 3, 2, 1)
    );
    assert!(close(price.accuracy, 0.25));
    assert!((m.cost_usd - 1.10).abs() < 1e-9, "{}", m.cost_usd);

    // The same numbers from an in-memory iterator of jobs.
    let jobs = store.jobs.lock().unwrap().clone();
    let from_iter = metrics_of(&jobs);
    assert_eq!(from_iter.columns, m.columns);
    assert_eq!(from_iter.pass_rate, m.pass_rate);
    assert_eq!(from_iter.cost_usd, 0.0);
}

#[tokio::test]
async fn cost_joins_sessions_with_accuracy() {
    let (_, store, e1, e2) = fixture();
    let r = batch_report(&store, &JobFilter::default()).await.unwrap();
    let c = &r.cost;
    assert_eq!(
        (c.sessions, c.jobs_run, c.tokens_in, c.tokens_out),
        (6, 4, 700, 60)
    );
    assert!((c.cost_usd - 1.10).abs() < 1e-9);
    assert!(close(c.cost_per_job, 1.10 / 4.0));
    assert!(close(c.cost_per_execution, 1.10 / 2.0));
    // Three fields passed: title of jobs 0 and 1, price of job 0.
    assert!(close(c.cost_per_correct_field, 1.10 / 3.0));
    assert_eq!(c.executions.len(), 2);
    let first = c
        .executions
        .iter()
        .find(|e| e.execution_id == Some(e1))
        .unwrap();
    assert_eq!((first.sessions, first.jobs), (5, 4));
    assert!((first.cost_usd - 0.70).abs() < 1e-9);
    assert!(close(first.cost_per_job, 0.175));
    let second = c
        .executions
        .iter()
        .find(|e| e.execution_id == Some(e2))
        .unwrap();
    assert_eq!((second.sessions, second.jobs), (1, 1));
    assert!(close(second.cost_per_job, 0.40));

    // One execution: its jobs (1, 2, 3, 5) and only its sessions.
    let filter = JobFilter {
        execution_id: Some(e1),
        ..JobFilter::default()
    };
    let r = batch_report(&store, &filter).await.unwrap();
    assert_eq!((r.metrics.jobs_evaluated, r.metrics.jobs_passed), (4, 0));
    assert!(close(r.metrics.pass_rate, 0.0));
    assert_eq!((r.cost.sessions, r.cost.jobs_run), (3, 3));
    assert!((r.cost.cost_usd - 0.55).abs() < 1e-9);
    assert!(close(r.cost.cost_per_correct_field, 0.55));
}

#[test]
fn columns_keep_the_given_order_and_report_unevaluated_fields() {
    let mut tally = AccuracyTally::with_fields(["price", "title", "sku"]);
    tally.add_evaluation(&Evaluation {
        fields: vec![FieldEvaluation {
            field: "title".into(),
            expected: "A".into(),
            actual: Some("B".into()),
            comparator: "text".into(),
            score: 0.0,
            passed: false,
        }],
        accuracy: Some(Accuracy::Fail),
        evaluated_at: Utc::now(),
    });
    let m = tally.metrics();
    let names: Vec<_> = m.columns.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(names, ["price", "title", "sku"]);
    assert_eq!(m.columns[0].accuracy, None);
    assert_eq!(m.columns[1].wrong, 1);
    assert_eq!(m.jobs_failed, 1);
}

#[test]
fn trends_take_the_latest_snapshot_per_execution_or_version() {
    let batch_id = BatchId::new();
    let (e1, e2) = (ExecutionId::new(), ExecutionId::new());
    let snap =
        |execution: Option<ExecutionId>, version: Option<u32>, passed: u64| MetricsSnapshot {
            id: SnapshotId::new(),
            batch_id,
            execution_id: execution,
            instruction_version: version,
            metrics: BatchMetrics {
                jobs_evaluated: 10,
                jobs_passed: passed,
                ..BatchMetrics::default()
            },
            at_end: false,
            created_at: Utc::now(),
        };
    let snapshots = [
        snap(Some(e1), Some(1), 3),
        snap(Some(e1), Some(1), 4),
        snap(Some(e2), Some(2), 7),
        snap(None, Some(2), 8),
    ];
    let by_execution = trend_from_snapshots(&snapshots, TrendBy::Execution);
    assert_eq!(by_execution.len(), 2);
    assert_eq!(
        by_execution[0].key,
        TrendKey::Execution { execution_id: e1 }
    );
    assert_eq!(by_execution[0].metrics.jobs_passed, 4);
    assert_eq!(by_execution[1].metrics.jobs_passed, 7);
    let by_version = trend_from_snapshots(&snapshots, TrendBy::InstructionVersion);
    let points: Vec<_> = by_version
        .iter()
        .map(|p| (p.key, p.metrics.jobs_passed))
        .collect();
    assert_eq!(
        points,
        [
            (TrendKey::InstructionVersion { version: 1 }, 4),
            (TrendKey::InstructionVersion { version: 2 }, 8)
        ]
    );
    let json = serde_json::to_value(&by_version[0]).unwrap();
    assert_eq!(json["key"]["kind"], "instruction_version");
}
