//! Job evaluation (accuracy pass, fail, partial, none; empty ground truth; name lookup) and
//! re-evaluation of stored jobs through a store.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod evaluation_support;

use evaluation_support::{batch, job, project, MemoryStore};
use indexmap::IndexMap;
use mino_core::evaluation::{evaluate_job, reevaluate, JobEvaluator, REEVALUATE_PAGE};
use mino_core::model::*;
use mino_core::ErrorKind;
use serde_json::json;

fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn extraction(pairs: &[(&str, Option<&str>)]) -> Extraction {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
        .collect()
}

fn fields() -> Vec<OutputField> {
    project(&[
        ("title", FieldType::Text),
        ("price", FieldType::Number),
        ("published", FieldType::Date),
    ])
    .output_fields
}

#[test]
fn accuracy_is_pass_fail_partial_or_none() {
    let settings = ProjectSettings::default();
    let gt = map(&[
        ("title", "Blue Widget"),
        ("price", "$1,299.00"),
        ("published", "March 5, 2024"),
    ]);
    let all_right = extraction(&[
        ("title", Some("blue widget")),
        ("price", Some("1299")),
        ("published", Some("2024-03-05")),
    ]);
    let e = evaluate_job(&fields(), &settings, &gt, Some(&all_right)).unwrap();
    assert_eq!(e.accuracy, Some(Accuracy::Pass));
    assert_eq!(e.fields.len(), 3);
    assert!(e.fields.iter().all(|f| f.passed && f.score == 1.0));
    assert_eq!(
        e.fields
            .iter()
            .map(|f| f.comparator.as_str())
            .collect::<Vec<_>>(),
        ["text", "number", "date"]
    );
    assert_eq!(e.fields[1].expected, "$1,299.00");
    assert_eq!(e.fields[1].actual.as_deref(), Some("1299"));

    let one_wrong = extraction(&[
        ("title", Some("Blue Widget")),
        ("price", Some("1399")),
        ("published", None),
    ]);
    let e = evaluate_job(&fields(), &settings, &gt, Some(&one_wrong)).unwrap();
    assert_eq!(e.accuracy, Some(Accuracy::Partial));
    assert_eq!(
        e.fields.iter().map(|f| f.passed).collect::<Vec<_>>(),
        [true, false, false]
    );
    assert_eq!(e.fields[2].actual, None);
    assert_eq!(e.fields[2].score, 0.0);

    let e = evaluate_job(&fields(), &settings, &gt, None).unwrap();
    assert_eq!(e.accuracy, Some(Accuracy::Fail));
    assert_eq!(e.fields.len(), 3);

    let no_truth = map(&[("title", ""), ("other", "x")]);
    let e = evaluate_job(&fields(), &settings, &no_truth, Some(&all_right)).unwrap();
    assert_eq!(e.accuracy, None);
    assert!(e.fields.is_empty());
}

#[test]
fn empty_ground_truth_is_expected_when_the_project_says_so() {
    let settings = ProjectSettings {
        empty_ground_truth_is_expected: true,
        ..ProjectSettings::default()
    };
    let gt = map(&[("title", ""), ("price", " ")]);
    let ext = extraction(&[("title", None), ("price", Some("12"))]);
    let e = evaluate_job(&fields(), &settings, &gt, Some(&ext)).unwrap();
    // `published` has no ground-truth entry at all: still not evaluated.
    assert_eq!(e.fields.len(), 2);
    assert!(e.fields[0].passed);
    assert!(!e.fields[1].passed);
    assert_eq!(e.accuracy, Some(Accuracy::Partial));
}

#[test]
fn names_are_matched_ignoring_case_and_comparator_overrides_apply() {
    let mut fields = fields();
    fields[0].comparator = json!({"kind": "fuzzy", "threshold": 0.8});
    let evaluator = JobEvaluator::new(&fields, &ProjectSettings::default()).unwrap();
    let gt = map(&[("Title", "Acme Corporation"), (" PRICE ", "10")]);
    let ext = extraction(&[("TITLE", Some("Acme Corp.")), ("price", Some("10.00"))]);
    let e = evaluator.evaluate(&gt, Some(&ext));
    assert_eq!(e.fields.len(), 2);
    assert_eq!(e.fields[0].comparator, "fuzzy");
    assert!(!e.fields[0].passed, "{:?}", e.fields[0]);
    assert!(e.fields[0].score > 0.5 && e.fields[0].score < 0.8);
    assert!(e.fields[1].passed);

    fields[1].comparator = json!({"kind": "number", "abs_tolerance": "a lot"});
    let err = JobEvaluator::new(&fields, &ProjectSettings::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.message().contains("price"), "{err}");
}

#[tokio::test]
async fn reevaluate_pages_through_the_store_and_skips_running_jobs() {
    let mut p = project(&[("price", FieldType::Number)]);
    let b = batch(&p, &[]);
    let total = 2 * REEVALUATE_PAGE as u64 + 203;
    let mut jobs = Vec::new();
    for i in 0..total {
        let actual = if i % 3 == 0 { "$10.00" } else { "11" };
        jobs.push(job(
            &b,
            i,
            &[],
            &[("price", "10")],
            Some(&[("price", Some(actual))]),
        ));
    }
    // Row 1: still running; row 2: pending, never ran, but holds a stale evaluation.
    jobs[1].status = JobStatus::Running;
    jobs[2].status = JobStatus::Pending;
    jobs[2].extraction = None;
    jobs[2].accuracy = Some(Accuracy::Pass);
    jobs[2].evaluation = Some(Evaluation {
        fields: Vec::new(),
        accuracy: Some(Accuracy::Pass),
        evaluated_at: chrono::Utc::now(),
    });
    let store = MemoryStore::new(p.clone(), vec![b], jobs, Vec::new());

    let written = reevaluate(&store, &p, &JobFilter::default()).await.unwrap();
    assert_eq!(written, total - 1);
    assert_eq!(
        store
            .largest_page
            .load(std::sync::atomic::Ordering::Relaxed),
        500
    );
    assert_eq!(
        store
            .list_jobs_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    assert_eq!(store.job(0).accuracy, Some(Accuracy::Pass));
    assert_eq!(store.job(1).evaluation, None);
    assert_eq!(store.job(2).evaluation, None);
    assert_eq!(store.job(2).accuracy, None);
    assert_eq!(store.job(4).accuracy, Some(Accuracy::Fail));
    let e = store.job(3).evaluation.unwrap();
    assert_eq!(e.fields[0].actual.as_deref(), Some("$10.00"));

    // A changed comparator re-scores without any agent: now 11 is within tolerance of 10.
    p.output_fields[0].comparator = json!({"abs_tolerance": 1});
    let filter = JobFilter {
        accuracy: Some(Accuracy::Fail),
        ..JobFilter::default()
    };
    let rescored = reevaluate(&store, &p, &filter).await.unwrap();
    // Rows 1 and 2 hold no verdict, so the filter leaves them out.
    assert_eq!(rescored, total - total.div_ceil(3) - 2);
    assert_eq!(store.job(4).accuracy, Some(Accuracy::Pass));
}

#[tokio::test]
async fn reevaluate_refuses_another_projects_filter_and_bad_comparators() {
    let mut p = project(&[("price", FieldType::Number)]);
    let store = MemoryStore::new(p.clone(), Vec::new(), Vec::new(), Vec::new());
    let filter = JobFilter {
        project_id: Some(ProjectId::new()),
        ..JobFilter::default()
    };
    let err = reevaluate(&store, &p, &filter).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);

    p.output_fields[0].comparator = json!({"kind": "numbr"});
    let err = reevaluate(&store, &p, &JobFilter::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(
        store
            .list_jobs_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[test]
fn store_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let p = project(&[]);
    let store = MemoryStore::new(p.clone(), Vec::new(), Vec::new(), Vec::new());
    let filter = JobFilter::default();
    assert_send(&reevaluate(&store, &p, &filter));
    assert_send(&mino_core::metrics::batch_report(&store, &filter));
    assert_send(&mino_core::export::export(
        &store,
        &p,
        &filter,
        mino_core::export::ExportFormat::Xlsx,
        Vec::new(),
    ));
}
