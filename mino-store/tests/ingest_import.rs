//! CSV ingest into a real store: what lands, and that a refused file lands nothing.

use mino_core::ingest::{import_csv, CsvSource, IngestOptions};
use mino_core::model::{JobFilter, JobStatus, NewProject};
use mino_core::store::{BatchFilter, DynStore, PageRequest};
use mino_core::ErrorKind;

async fn sqlite() -> (tempfile::TempDir, DynStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("ingest.db").display());
    let store = mino_store::open(&url).await.expect("open");
    (dir, store)
}

async fn batches(store: &DynStore) -> usize {
    store
        .list_batches(
            BatchFilter::default(),
            PageRequest::first(10).expect("page"),
        )
        .await
        .expect("list")
        .data
        .len()
}

#[tokio::test]
async fn a_csv_becomes_a_batch_with_invalid_rows_kept() {
    let (_dir, store) = sqlite().await;
    let project = store
        .create_project(NewProject::named("import"))
        .await
        .expect("project");
    let csv = "Website;Company;gt_price\nexample.com;Acme;\"1.299,00 €\"\nnot a url;Bad;1\nhttps://b.example/x;B;$5\n";
    let (batch, report) = import_csv(
        store.as_ref(),
        project.id,
        "upload",
        CsvSource::upload("sites.csv", csv.as_bytes().to_vec()),
        IngestOptions::default(),
    )
    .await
    .expect("import");
    assert_eq!(
        (batch.total_rows, batch.valid_rows, batch.invalid_rows),
        (3, 2, 1)
    );
    assert_eq!(report.invalid_row_list.len(), 1);
    assert_eq!(report.invalid_row_list[0].line, 3);
    let filter = JobFilter {
        batch_id: Some(batch.id),
        ..JobFilter::default()
    };
    let jobs = store
        .list_jobs(&filter, PageRequest::first(10).expect("page"))
        .await
        .expect("jobs")
        .data;
    assert_eq!(jobs[0].site_url, "https://example.com/");
    assert_eq!(
        jobs[0].inputs.get("Company").map(String::as_str),
        Some("Acme")
    );
    assert_eq!(
        jobs[0].ground_truth.get("price").map(String::as_str),
        Some("1.299,00 €")
    );
    assert_eq!(jobs[1].status, JobStatus::Invalid);
    assert_eq!(jobs[1].line, 3);
}

#[tokio::test]
async fn refused_files_store_nothing() {
    let (_dir, store) = sqlite().await;
    let project = store
        .create_project(NewProject::named("import"))
        .await
        .expect("project");
    let good = "url,gt_title\nhttps://a.example,A\n";
    import_csv(
        store.as_ref(),
        project.id,
        "good",
        CsvSource::upload("good.csv", good.as_bytes().to_vec()),
        IngestOptions::default(),
    )
    .await
    .expect("good import");

    // 101 MB against the default 100 MB limit.
    let mut big = b"url,gt_title\n".to_vec();
    let line = b"https://a.example/some/long/path/to/a/page.html,Some title of a product page\n";
    while big.len() <= 101 * 1024 * 1024 {
        big.extend_from_slice(line);
    }
    let cases: Vec<(&str, Vec<u8>, ErrorKind)> = vec![
        ("empty", Vec::new(), ErrorKind::Validation),
        (
            "header only",
            b"url,gt_title\n".to_vec(),
            ErrorKind::Validation,
        ),
        (
            "no site column",
            b"name,gt_title\nfoo,bar\n".to_vec(),
            ErrorKind::Validation,
        ),
        (
            "garbage",
            vec![0u8, 159, 146, 150, 0, 1, 2, 255, 0, 7],
            ErrorKind::UnsupportedMediaType,
        ),
        ("101 MB", big, ErrorKind::PayloadTooLarge),
    ];
    for (name, bytes, kind) in cases {
        let err = import_csv(
            store.as_ref(),
            project.id,
            name,
            CsvSource::upload(format!("{name}.csv"), bytes),
            IngestOptions::default(),
        )
        .await
        .expect_err(name);
        assert_eq!(err.kind(), kind, "{name}: {err:?}");
    }
    assert_eq!(batches(&store).await, 1, "only the good batch is stored");
    let all = store
        .count_jobs(&JobFilter::default())
        .await
        .expect("count");
    assert_eq!(all.total(), 1, "and nothing of the refused files");
}
