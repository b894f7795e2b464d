//! Builders shared by the conformance tests.

use indexmap::IndexMap;
use mino_core::model::*;
use mino_core::store::{DynStore, JobRows};

/// A project with two output fields.
pub async fn project(store: &DynStore, name: &str) -> Project {
    let mut new = NewProject::named(name);
    new.instructions = "Find the product title and price".to_owned();
    new.output_fields = vec![OutputField::named("title"), OutputField::named("price")];
    store.create_project(new).await.expect("create project")
}

/// A job row; every `invalid_every`-th row (from 1) is invalid, every other row has ground truth.
pub fn row(i: u64, invalid_every: u64) -> NewJob {
    let mut inputs = IndexMap::new();
    inputs.insert("zeta".to_owned(), format!("z{i}"));
    inputs.insert("alpha".to_owned(), format!("a{i}"));
    let mut ground_truth = IndexMap::new();
    if i % 2 == 0 {
        ground_truth.insert("title".to_owned(), format!("Title {i}"));
    }
    let invalid = invalid_every > 0 && (i + 1) % invalid_every == 0;
    NewJob {
        row_index: i,
        line: i + 2,
        site_url: if invalid {
            String::new()
        } else {
            format!("https://Site-{i}.Example.com/page")
        },
        inputs,
        ground_truth,
        invalid_reason: invalid.then(|| "no usable site URL".to_owned()),
    }
}

/// A `NewBatch` for `project`.
pub fn new_batch(project: &Project, name: &str) -> NewBatch {
    NewBatch {
        project_id: project.id,
        name: name.to_owned(),
        source_filename: Some(format!("{name}.csv")),
        columns: vec![ColumnSchema {
            name: "url".to_owned(),
            index: 0,
            column_type: ColumnType::Url,
            role: ColumnRole::Site,
            non_empty: 1,
        }],
        site_url_column: "url".to_owned(),
        preview: vec![vec!["https://a.example".to_owned()]],
        warnings: vec![],
    }
}

/// A batch of `n` rows (see [`row`]).
pub async fn batch(store: &DynStore, project: &Project, n: u64, invalid_every: u64) -> Batch {
    let rows: JobRows = Box::new((0..n).map(move |i| Ok(row(i, invalid_every))));
    store
        .create_batch(new_batch(project, "batch"), rows)
        .await
        .expect("create batch")
}

/// Every job of a batch, in list order.
pub async fn all_jobs(store: &DynStore, filter: &JobFilter) -> Vec<Job> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = mino_core::store::PageRequest::new(500, cursor).expect("page");
        let page = store.list_jobs(filter, page).await.expect("list jobs");
        out.extend(page.data);
        match page.next_cursor {
            Some(c) => cursor = Some(mino_core::store::Cursor::decode(&c).expect("cursor")),
            None => return out,
        }
    }
}

/// A filter on one batch.
pub fn in_batch(batch: &Batch) -> JobFilter {
    JobFilter {
        batch_id: Some(batch.id),
        ..JobFilter::default()
    }
}

/// A production execution over every valid job of `batch`.
pub fn new_execution(batch: &Batch) -> NewExecution {
    NewExecution {
        project_id: batch.project_id,
        batch_id: batch.id,
        mode: ExecutionMode::Production,
        sample_size: None,
        seed: None,
        concurrency: 5,
        max_attempts: 5,
        job_timeout_secs: 60,
        instruction_version: 1,
    }
}

/// Asserts that a result is an error of `kind`.
#[track_caller]
pub fn assert_kind<T: std::fmt::Debug>(result: mino_core::Result<T>, kind: mino_core::ErrorKind) {
    match result {
        Ok(value) => panic!("expected a {kind:?} error, got Ok({value:?})"),
        Err(err) => assert_eq!(err.kind(), kind, "unexpected error: {err:?}"),
    }
}
