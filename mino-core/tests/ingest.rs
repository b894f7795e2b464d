//! CSV ingest through the public API: analysis and rows passes on small inline files.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::Write;

use indexmap::IndexMap;
use mino_core::ingest::{
    analyze, analyze_async, CsvSource, Delimiter, Encoding, IngestOptions, IngestPlan,
};
use mino_core::model::{ColumnRole, ColumnType, NewJob, ProjectId};
use mino_core::{Error, ErrorKind};

fn plan_with(data: &[u8], options: &IngestOptions) -> IngestPlan {
    analyze(&CsvSource::bytes(data.to_vec()), options).unwrap()
}

fn plan(csv: &str) -> IngestPlan {
    plan_with(csv.as_bytes(), &IngestOptions::default())
}

fn fail_with(data: &[u8], options: &IngestOptions) -> Error {
    analyze(&CsvSource::bytes(data.to_vec()), options).unwrap_err()
}

fn fail(data: &[u8]) -> Error {
    fail_with(data, &IngestOptions::default())
}

fn jobs(plan: &IngestPlan) -> Vec<NewJob> {
    plan.rows().unwrap().collect::<Result<Vec<_>, _>>().unwrap()
}

fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn rows_become_jobs_with_inputs_and_ground_truth() {
    let plan = plan(
        "url,name,category,gt_price,GT_Title\n\
         https://A.com/p?id=1,Alpha,shop,12.50,A title\n\
         b.com,Beta,,,\n",
    );
    let report = plan.report();
    assert_eq!(report.delimiter, Delimiter::Comma);
    assert_eq!(report.encoding, Encoding::Utf8);
    assert_eq!(report.site_url_column, "url");
    assert_eq!(
        (report.total_rows, report.valid_rows, report.invalid_rows),
        (2, 2, 0)
    );
    let roles: Vec<ColumnRole> = report.columns.iter().map(|c| c.role.clone()).collect();
    assert_eq!(
        roles,
        vec![
            ColumnRole::Site,
            ColumnRole::Input,
            ColumnRole::Input,
            ColumnRole::GroundTruth {
                field: "price".into()
            },
            ColumnRole::GroundTruth {
                field: "Title".into()
            },
        ]
    );
    assert_eq!(report.columns[2].non_empty, 1);

    let jobs = jobs(&plan);
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].row_index, 0);
    assert_eq!(jobs[0].line, 2);
    assert_eq!(jobs[0].site_url, "https://a.com/p?id=1");
    assert_eq!(
        jobs[0].inputs,
        map(&[("name", "Alpha"), ("category", "shop")])
    );
    assert_eq!(
        jobs[0].ground_truth,
        map(&[("price", "12.50"), ("Title", "A title")])
    );
    assert_eq!(jobs[0].invalid_reason, None);
    // Empty inputs are kept, empty ground truth is not stored.
    assert_eq!((jobs[1].row_index, jobs[1].line), (1, 3));
    assert_eq!(jobs[1].site_url, "https://b.com/");
    assert_eq!(jobs[1].inputs, map(&[("name", "Beta"), ("category", "")]));
    assert!(jobs[1].ground_truth.is_empty());

    // The same bytes from a file give the same jobs.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"url,name,category,gt_price,GT_Title\nhttps://A.com/p?id=1,Alpha,shop,12.50,A title\nb.com,Beta,,,\n").unwrap();
    let from_path = analyze(&CsvSource::path(file.path()), &IngestOptions::default()).unwrap();
    assert_eq!(from_path.report(), report);
    assert_eq!(self::jobs(&from_path), jobs);
}

#[test]
fn new_batch_carries_the_plan() {
    let plan = analyze(
        &CsvSource::upload("sites.csv", b"site,x\na.com,1\n".to_vec()),
        &IngestOptions::default(),
    )
    .unwrap();
    let project = ProjectId::new();
    let batch = plan.new_batch(project, "  ");
    assert_eq!(batch.project_id, project);
    assert_eq!(
        batch.name, "sites.csv",
        "an empty name falls back to the file name"
    );
    assert_eq!(batch.source_filename.as_deref(), Some("sites.csv"));
    assert_eq!(batch.site_url_column, "site");
    assert_eq!(batch.columns, plan.report().columns);
    assert_eq!(
        batch.preview,
        vec![vec!["a.com".to_string(), "1".to_string()]]
    );
    assert_eq!(plan.new_batch(project, "Q1 shops").name, "Q1 shops");
}

#[test]
fn byte_order_mark_is_skipped() {
    let plan = plan("\u{FEFF}url,name\nexample.com,Zoë\n");
    assert_eq!(plan.report().encoding, Encoding::Utf8Bom);
    assert_eq!(plan.report().columns[0].name, "url");
    let jobs = jobs(&plan);
    assert_eq!(jobs[0].site_url, "https://example.com/");
    assert_eq!(jobs[0].inputs, map(&[("name", "Zoë")]));
}

#[test]
fn invalid_utf8_is_read_as_latin1_with_a_warning() {
    let plan = plan_with(
        b"url;name;gt_city\nexample.com;Caf\xE9 \xA3;M\xFCnchen\n",
        &IngestOptions::default(),
    );
    let report = plan.report();
    assert_eq!(report.encoding, Encoding::Latin1);
    assert_eq!(report.delimiter, Delimiter::Semicolon);
    assert!(
        report.warnings.iter().any(|w| w.contains("Latin-1")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.preview[0][1], "Café £");
    let jobs = jobs(&plan);
    assert_eq!(jobs[0].inputs, map(&[("name", "Café £")]));
    assert_eq!(jobs[0].ground_truth, map(&[("city", "München")]));
}

#[test]
fn semicolon_tab_and_pipe_files() {
    for (csv, delimiter) in [
        (
            "url;price;note\na.com;1,5;x, y\nb.com;2,5;z\n",
            Delimiter::Semicolon,
        ),
        (
            "url\tprice\tnote\na.com\t1,5\tx, y\nb.com\t2,5\tz\n",
            Delimiter::Tab,
        ),
        (
            "url|price|note\na.com|1,5|x, y\nb.com|2,5|z\n",
            Delimiter::Pipe,
        ),
    ] {
        let plan = plan(csv);
        assert_eq!(plan.report().delimiter, delimiter);
        assert_eq!(plan.report().columns.len(), 3);
        assert_eq!(plan.report().columns[1].column_type, ColumnType::Number);
        let jobs = jobs(&plan);
        assert_eq!(jobs[0].inputs, map(&[("price", "1,5"), ("note", "x, y")]));
        assert_eq!(plan.report().invalid_rows, 0, "{delimiter}");
    }
}

#[test]
fn quoted_fields_and_embedded_newlines_keep_start_lines() {
    let csv = "url,note\n\
               a.com,\"line one\nline two\nline three\"\n\
               b.com,\"say \"\"hi\"\", ok\"\n\
               \"c.com\",\"x\r\ny\"\n\
               not a url,z\n";
    let plan = plan(csv);
    let jobs = jobs(&plan);
    let lines: Vec<u64> = jobs.iter().map(|j| j.line).collect();
    assert_eq!(lines, vec![2, 5, 6, 8]);
    assert_eq!(jobs[0].inputs["note"], "line one\nline two\nline three");
    assert_eq!(jobs[1].inputs["note"], "say \"hi\", ok");
    assert_eq!(jobs[2].site_url, "https://c.com/");
    let invalid = &plan.report().invalid_row_list;
    assert_eq!(invalid.len(), 1);
    assert_eq!((invalid[0].row_index, invalid[0].line), (3, 8));
    assert_eq!(jobs[3].line, invalid[0].line);
}

#[test]
fn windows_line_ends_keep_line_numbers() {
    let plan = plan("url,note\r\na.com,\"two\r\nlines\"\r\n\r\nb.com,x\r\nnot a url,y\r\n");
    let jobs = jobs(&plan);
    assert_eq!(
        jobs.iter().map(|j| j.line).collect::<Vec<_>>(),
        vec![2, 5, 6]
    );
    assert_eq!(jobs[0].inputs["note"], "two\r\nlines");
    assert_eq!(
        jobs[1].inputs["note"], "x",
        "no \\r is left on the last field"
    );
    assert_eq!(plan.report().invalid_row_list[0].line, 6);
}

#[test]
fn blank_lines_are_not_rows() {
    let plan = plan("url\n\na.com\n\n\nb.com\n\n");
    assert_eq!(plan.report().total_rows, 2);
    let jobs = jobs(&plan);
    assert_eq!(jobs.iter().map(|j| j.line).collect::<Vec<_>>(), vec![3, 6]);
}

#[test]
fn bare_domains_are_normalised_and_bad_sites_are_invalid_rows() {
    let csv = "name,Site URL\n\
               a,example.com\n\
               b,www.shop.co.uk/path\n\
               c,  HTTPS://Example.org  \n\
               d,http://127.0.0.1:3001/page\n\
               e,\n\
               f,not a url\n\
               g,ftp://example.com/file\n\
               h,javascript:alert(1)\n\
               i,https://exa mple.com\n\
               j,file:///srv/pages/a.html\n";
    let plan = plan(csv);
    let report = plan.report();
    assert_eq!(report.site_url_column, "Site URL");
    assert_eq!(
        (report.total_rows, report.valid_rows, report.invalid_rows),
        (10, 5, 5)
    );
    let jobs = jobs(&plan);
    let sites: Vec<&str> = jobs.iter().map(|j| j.site_url.as_str()).collect();
    assert_eq!(
        sites[..4],
        [
            "https://example.com/",
            "https://www.shop.co.uk/path",
            "https://example.org/",
            "http://127.0.0.1:3001/page"
        ]
    );
    assert_eq!(sites[9], "file:///srv/pages/a.html");
    // Invalid rows are kept, with the value as written and a reason.
    assert_eq!(sites[5], "not a url");
    let reasons: Vec<(u64, &str)> = report
        .invalid_row_list
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    let expected = [
        (6, "empty"),
        (7, "not a URL or a domain name"),
        (8, "unsupported scheme `ftp:`"),
        (9, "unsupported scheme `javascript:`"),
        (10, "not a valid URL"),
    ];
    assert_eq!(reasons.len(), expected.len());
    for ((line, reason), (want_line, want)) in reasons.iter().zip(expected) {
        assert_eq!(*line, want_line);
        assert!(reason.contains(want), "line {line}: {reason}");
    }
    for job in &jobs {
        let listed = report
            .invalid_row_list
            .iter()
            .find(|r| r.row_index == job.row_index);
        assert_eq!(
            job.invalid_reason.as_deref(),
            listed.map(|r| r.reason.as_str())
        );
    }
}

#[test]
fn ragged_rows_are_invalid_and_kept() {
    let csv = "url,a,b,c,gt_d\n\
               x.com,1,2\n\
               y.com,1,2,3,4,5\n\
               z.com,1,2,3,4\n";
    let plan = plan(csv);
    let report = plan.report();
    assert_eq!((report.valid_rows, report.invalid_rows), (1, 2));
    assert_eq!(
        report.invalid_row_list[0].reason,
        "row has 3 fields, the header has 5"
    );
    assert_eq!(report.invalid_row_list[0].line, 2);
    assert_eq!(
        report.invalid_row_list[1].reason,
        "row has 6 fields, the header has 5"
    );
    let jobs = jobs(&plan);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[0].site_url, "https://x.com/");
    assert_eq!(jobs[0].inputs, map(&[("a", "1"), ("b", "2"), ("c", "")]));
    assert!(jobs[0].invalid_reason.is_some() && jobs[1].invalid_reason.is_some());
    assert_eq!(jobs[1].ground_truth, map(&[("d", "4")]));
    assert_eq!(jobs[2].invalid_reason, None);
}

#[test]
fn column_types_are_detected_per_column() {
    let csv = "url,in_stock,flag,qty,price,launched,contact,note,spare\n\
               a.com,yes,1,3,\"1,299.00\",2024-03-05,ana@a.com,hello,\n\
               b.com,no,0,10,$12.50,03/05/2024,bo@b.org,world,\n\
               c.com,Y,1,0,\"12,5 €\",\"March 5, 2024\",cy@c.net,12,\n\
               d.com,N,0,1,\"1.299,00\",5 Mar 2024,di@d.io,again,\n";
    let plan = plan(csv);
    let types: Vec<(String, ColumnType)> = plan
        .report()
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.column_type))
        .collect();
    let expected = [
        ("url", ColumnType::Url),
        ("in_stock", ColumnType::Boolean),
        ("flag", ColumnType::Boolean),
        ("qty", ColumnType::Integer),
        ("price", ColumnType::Number),
        ("launched", ColumnType::Date),
        ("contact", ColumnType::Email),
        ("note", ColumnType::Text),
        ("spare", ColumnType::Empty),
    ];
    let expected: Vec<(String, ColumnType)> =
        expected.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    assert_eq!(types, expected);
    assert!(plan
        .report()
        .warnings
        .iter()
        .any(|w| w.contains("`spare` is empty")));
}

#[test]
fn site_column_by_name_by_values_and_by_override() {
    // Header names, in priority order, and never a gt_ column.
    assert_eq!(
        plan("link,url\na.com,b.com\n").report().site_url_column,
        "url"
    );
    assert_eq!(
        plan("gt_url,website_url\na.com,b.com\n")
            .report()
            .site_url_column,
        "website_url"
    );
    assert_eq!(
        plan("Homepage,x\na.com,1\n").report().site_url_column,
        "Homepage"
    );

    // No such header: the column whose values are mostly URLs (gt_ columns excluded).
    let csv = "gt_shop,name,shop,mixed\n\
               a.com,A,a.com,a.com\n\
               b.com,B,b.com,nope\n\
               c.com,C,https://c.com,c.com\n";
    let plan_by_values = plan(csv);
    assert_eq!(plan_by_values.report().site_url_column, "shop");
    assert_eq!(jobs(&plan_by_values)[2].site_url, "https://c.com/");

    // An override wins, case-insensitively.
    let options = IngestOptions::default().with_site_column("MIXED");
    let overridden = plan_with(csv.as_bytes(), &options);
    assert_eq!(overridden.report().site_url_column, "mixed");
    assert_eq!(overridden.report().invalid_rows, 1);
    assert_eq!(overridden.report().columns[2].role, ColumnRole::Input);

    let err = fail_with(
        csv.as_bytes(),
        &IngestOptions::default().with_site_column("nope"),
    );
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.message().contains("`nope`"), "{}", err.message());
    let err = fail_with(
        csv.as_bytes(),
        &IngestOptions::default().with_site_column("gt_shop"),
    );
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[test]
fn no_site_column_lists_the_headers() {
    let err = fail(b"gt_url,name,price\nhttps://a.com,A,1\n");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.message().contains("`gt_url`, `name`, `price`"),
        "{}",
        err.message()
    );
}

#[test]
fn bad_headers_are_validation_errors() {
    let err = fail(b"url,,name\na.com,1,2\n");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.message().contains("column 2"), "{}", err.message());
    let err = fail(b"url,Name,name \na.com,1,2\n");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(
        err.message().contains("`Name` (columns 2, 3)"),
        "{}",
        err.message()
    );
}

#[test]
fn empty_files_and_header_only_files() {
    for data in [&b""[..], b"\n\n \r\n", b"\xEF\xBB\xBF"] {
        let err = fail(data);
        assert_eq!(err.kind(), ErrorKind::Validation, "{data:?}");
        assert_eq!(err.message(), "the file is empty");
    }
    for data in [&b"url,name\n"[..], b"name,price"] {
        let err = fail(data);
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert!(err.message().contains("no data rows"), "{}", err.message());
    }
}

#[test]
fn binary_files_are_unsupported() {
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00";
    let xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00";
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    for data in [&png[..], &xlsx[..], &garbage, b"url\na.com\x00\n"] {
        let err = fail(data);
        assert_eq!(
            err.kind(),
            ErrorKind::UnsupportedMediaType,
            "{:?}",
            &data[..8]
        );
        assert!(err.message().contains("not a CSV"), "{}", err.message());
    }
}

#[test]
fn size_and_row_limits() {
    let csv = b"url\na.com\nb.com\nc.com\n";
    let err = fail_with(csv, &IngestOptions::default().with_max_bytes(10));
    assert_eq!(err.kind(), ErrorKind::PayloadTooLarge);

    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(csv).unwrap();
    let err = analyze(
        &CsvSource::path(file.path()),
        &IngestOptions::default().with_max_bytes(10),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PayloadTooLarge);
    assert_eq!(err.context_value("max_bytes"), Some("10"));

    let err = fail_with(csv, &IngestOptions::default().with_max_rows(2));
    assert_eq!(err.kind(), ErrorKind::PayloadTooLarge);
    assert!(
        err.message().contains("more than 2 data rows"),
        "{}",
        err.message()
    );
    // Exactly at the limit is fine.
    let at_limit = plan_with(csv, &IngestOptions::default().with_max_rows(3));
    assert_eq!(at_limit.report().total_rows, 3);
}

#[test]
fn missing_file_is_not_found() {
    let err = analyze(
        &CsvSource::path("/nonexistent/mino/sites.csv"),
        &IngestOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn invalid_row_list_is_capped_with_a_warning() {
    let mut csv = String::from("url\n");
    for i in 0..1500 {
        csv.push_str(if i % 3 == 0 {
            "ok.com\n"
        } else {
            "bad value\n"
        });
    }
    let plan = plan(&csv);
    let report = plan.report();
    assert_eq!(
        (report.total_rows, report.valid_rows, report.invalid_rows),
        (1500, 500, 1000)
    );
    assert_eq!(report.invalid_row_list.len(), 1000);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    csv.push_str("another bad one\n");
    let plan = self::plan(&csv);
    let report = plan.report();
    assert_eq!(report.invalid_rows, 1001);
    assert_eq!(report.invalid_row_list.len(), 1000);
    assert_eq!(report.invalid_row_list[999].line, 1501);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("1001 rows are invalid")),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        jobs(&plan)
            .iter()
            .filter(|j| j.invalid_reason.is_some())
            .count(),
        1001
    );
}

#[test]
fn preview_holds_the_first_ten_rows_as_written() {
    let mut csv = String::from("url,n\n");
    for i in 0..25 {
        csv.push_str(&format!("site{i}.com,{i}\n"));
    }
    let report = plan(&csv).into_report();
    assert_eq!(report.preview.len(), 10);
    assert_eq!(
        report.preview[9],
        vec!["site9.com".to_string(), "9".to_string()]
    );
}

#[test]
fn every_row_invalid_is_a_warning() {
    let report = plan("url\nnope\n").into_report();
    assert_eq!(report.valid_rows, 0);
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("every row is invalid")));
}

#[test]
fn relative_paths_resolve_against_the_base_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pages")).unwrap();
    std::fs::write(dir.path().join("pages/a.html"), "<h1>A</h1>").unwrap();
    let csv = b"url\npages/a.html\npages/missing.html\n../etc/passwd\nexample.com\n";

    let options = IngestOptions::default().with_base_dir(dir.path());
    let plan = plan_with(csv, &options);
    let jobs = jobs(&plan);
    let expected =
        url::Url::from_file_path(dir.path().canonicalize().unwrap().join("pages/a.html")).unwrap();
    assert_eq!(jobs[0].site_url, expected.as_str());
    assert!(jobs[1].invalid_reason.is_some() && jobs[2].invalid_reason.is_some());
    assert_eq!(jobs[3].site_url, "https://example.com/");

    // Without a base directory, relative paths are not sites.
    let without = plan_with(csv, &IngestOptions::default());
    assert_eq!(without.report().valid_rows, 1);

    let err = fail_with(
        csv,
        &IngestOptions::default().with_base_dir(dir.path().join("no")),
    );
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[test]
fn rows_refuse_a_file_changed_since_analysis() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"url\na.com\n").unwrap();
    let plan = analyze(&CsvSource::path(file.path()), &IngestOptions::default()).unwrap();
    file.write_all(b"b.com\n").unwrap();
    file.flush().unwrap();
    assert_eq!(
        plan.rows().err().map(|e| e.kind()),
        Some(ErrorKind::Conflict)
    );
}

#[tokio::test]
async fn analysis_runs_off_the_runtime() {
    let plan = analyze_async(
        CsvSource::bytes(b"url\na.com\n".to_vec()),
        IngestOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(plan.report().total_rows, 1);
    let err = analyze_async(CsvSource::bytes(Vec::new()), IngestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}
