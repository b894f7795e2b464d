//! Exports written from a store and read back with real clients: Python's `csv` and `json`
//! modules and openpyxl. Checks values, types, formula neutralisation, the Excel formats,
//! frozen header, autofilter, Metrics and Summary sheets, and paging.
//!
//! The Python interpreter is `$MINO_PYTHON` (default `python3`); openpyxl must be importable
//! from it. When it is missing the tests print why and skip, except under `CI=true`, where
//! they fail.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod evaluation_support;

use std::path::Path;
use std::process::Command;

use evaluation_support::{batch, job, project, MemoryStore};
use mino_core::evaluation::JobEvaluator;
use mino_core::export::{export, ExportFormat};
use mino_core::model::*;
use mino_core::ErrorKind;
use serde_json::{json, Value};

/// Reads an export with the standard client of its format and prints what it read as JSON.
const READER: &str = r#"
import csv, json, sys
fmt, path = sys.argv[1], sys.argv[2]
if fmt == "csv":
    with open(path, newline="", encoding="utf-8") as f:
        out = {"rows": list(csv.reader(f))}
elif fmt == "json":
    with open(path, encoding="utf-8") as f:
        out = {"rows": json.load(f)}
elif fmt == "ndjson":
    with open(path, encoding="utf-8") as f:
        out = {"rows": [json.loads(line) for line in f if line.strip()]}
else:
    import openpyxl
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        rows, fills, bold = [], {}, []
        for row in ws.iter_rows():
            cells = []
            for c in row:
                cells.append([c.data_type, type(c.value).__name__, c.value])
                if c.fill is not None and c.fill.fill_type == "solid":
                    fills[c.coordinate] = c.fill.fgColor.rgb
                if c.font is not None and c.font.b:
                    bold.append(c.coordinate)
            rows.append(cells)
        out[ws.title] = {"rows": rows, "fills": fills, "bold": bold,
                         "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref}
print(json.dumps(out))
"#;

/// The interpreter to use, or `None` (after saying why) when the test must skip.
fn python(needs_openpyxl: bool) -> Option<String> {
    let python = std::env::var("MINO_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = if needs_openpyxl {
        "import csv, json, openpyxl"
    } else {
        "import csv, json"
    };
    let ok = Command::new(&python)
        .args(["-c", probe])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let why = format!(
        "{python} cannot run `{probe}`: create a virtualenv with openpyxl \
         (python3 -m venv /var/tmp/mino-venv && /var/tmp/mino-venv/bin/pip install openpyxl) \
         and set MINO_PYTHON=/var/tmp/mino-venv/bin/python3"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("SKIPPED: {why}");
    None
}

fn read_back(python: &str, format: ExportFormat, path: &Path) -> Value {
    let out = Command::new(python)
        .args(["-c", READER, format.as_str()])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the {} reader failed: {}",
        format.as_str(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";

/// Four jobs with formulas, negative numbers, Unicode, quotes, commas and line breaks.
fn fixture() -> (Project, MemoryStore) {
    let p = project(&[
        ("title", FieldType::Text),
        ("price", FieldType::Number),
        ("link", FieldType::Url),
    ]);
    let b = batch(
        &p,
        &[("name", ColumnType::Text), ("qty", ColumnType::Integer)],
    );
    let mut jobs = vec![
        job(
            &b,
            0,
            &[("name", "Café 東京, \"best\""), ("qty", "-3")],
            &[
                ("title", FORMULA),
                ("price", "-5"),
                ("link", "https://a.example/x"),
            ],
            Some(&[
                ("title", Some(FORMULA)),
                ("price", Some("-5")),
                ("link", Some("HTTPS://A.example/x/?utm_source=mail")),
            ]),
        ),
        job(
            &b,
            1,
            &[("name", "-dash"), ("qty", "007")],
            &[("title", "Line one\nline two"), ("price", "$1,299.00")],
            Some(&[
                ("title", Some("@SUM(A1:A9)")),
                ("price", Some("1299")),
                ("link", Some("+1 555 0100")),
            ]),
        ),
        job(
            &b,
            2,
            &[("name", "\tTabbed"), ("qty", "12")],
            &[("title", "Plain"), ("price", "12.50")],
            Some(&[("title", Some("\rReturn")), ("price", None)]),
        ),
        // Failed before extracting anything; no ground truth for `link`.
        job(
            &b,
            3,
            &[("name", "Zed"), ("qty", "1")],
            &[("price", "-0.5")],
            None,
        ),
    ];
    let evaluator = JobEvaluator::new(&p.output_fields, &p.settings).unwrap();
    for j in &mut jobs {
        let e = evaluator.evaluate(&j.ground_truth, j.extraction.as_ref());
        j.accuracy = e.accuracy;
        j.evaluation = Some(e);
    }
    jobs[3].last_error = Some("net::ERR_NAME_NOT_RESOLVED".into());
    let store = MemoryStore::new(p.clone(), vec![b], jobs, Vec::new());
    (p, store)
}

const HEADERS: [&str; 15] = [
    "row_index",
    "site_url",
    "status",
    "accuracy",
    "name",
    "qty",
    "title",
    "gt_title",
    "title_match",
    "price",
    "gt_price",
    "price_match",
    "link",
    "gt_link",
    "link_match",
];

async fn write(
    store: &MemoryStore,
    p: &Project,
    format: ExportFormat,
    dir: &Path,
) -> std::path::PathBuf {
    let path = dir.join(format!("export.{}", format.as_str()));
    let file = std::fs::File::create(&path).unwrap();
    let summary = export(store, p, &JobFilter::default(), format, file)
        .await
        .unwrap();
    assert_eq!(summary.jobs, 4);
    assert_eq!(summary.format, format);
    assert_eq!(summary.metrics.jobs_evaluated, 4);
    path
}

#[tokio::test]
async fn csv_reads_back_with_formulas_neutralised() {
    let Some(python) = python(false) else { return };
    let (p, store) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&store, &p, ExportFormat::Csv, dir.path()).await;
    let rows = read_back(&python, ExportFormat::Csv, &path)["rows"].clone();
    let rows: Vec<Vec<String>> = serde_json::from_value(rows).unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0], HEADERS);
    let r0 = &rows[1];
    assert_eq!(r0[0], "0");
    assert_eq!(r0[1], "https://site0.example.com");
    assert_eq!(r0[2], "completed");
    assert_eq!(r0[3], "pass");
    assert_eq!(r0[4], "Café 東京, \"best\"");
    assert_eq!(
        r0[5], "-3",
        "a plain number in a numeric input stays a number"
    );
    assert_eq!(r0[6], format!("'{FORMULA}"));
    assert_eq!(r0[7], format!("'{FORMULA}"));
    assert_eq!(r0[8], "true");
    assert_eq!(
        r0[9], "-5",
        "a plain number in a numeric field stays a number"
    );
    assert_eq!(r0[12], "HTTPS://A.example/x/?utm_source=mail");
    assert_eq!(r0[14], "true");
    let r1 = &rows[2];
    assert_eq!(
        r1[4], "'-dash",
        "text columns are neutralised even when they look negative"
    );
    assert_eq!(r1[5], "007");
    assert_eq!(r1[6], "'@SUM(A1:A9)");
    assert_eq!(r1[7], "Line one\nline two");
    assert_eq!(r1[8], "false");
    assert_eq!(
        (r1[9].as_str(), r1[10].as_str(), r1[11].as_str()),
        ("1299", "$1,299.00", "true")
    );
    assert_eq!(r1[12], "'+1 555 0100");
    assert_eq!(
        (r1[13].as_str(), r1[14].as_str()),
        ("", ""),
        "no ground truth: no verdict"
    );
    let r2 = &rows[3];
    assert_eq!(r2[4], "'\tTabbed");
    assert_eq!(r2[6], "'\rReturn");
    assert_eq!((r2[9].as_str(), r2[11].as_str()), ("", "false"));
    let r3 = &rows[4];
    assert_eq!((r3[2].as_str(), r3[3].as_str()), ("failed", "fail"));
    assert_eq!(r3[10], "-0.5");
    // Nothing a spreadsheet would run is left anywhere.
    for row in &rows {
        for cell in row {
            let numeric = cell.parse::<f64>().is_ok();
            assert!(
                numeric || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
}

#[tokio::test]
async fn json_and_ndjson_read_back_typed_and_untouched() {
    let Some(python) = python(false) else { return };
    let (p, store) = fixture();
    let dir = tempfile::tempdir().unwrap();
    for format in [ExportFormat::Json, ExportFormat::Ndjson] {
        let path = write(&store, &p, format, dir.path()).await;
        let rows = read_back(&python, format, &path)["rows"].clone();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 4, "{format:?}");
        let r0 = &rows[0];
        assert_eq!(r0["row_index"], json!(0));
        assert_eq!(r0["accuracy"], json!("pass"));
        assert_eq!(
            r0["inputs"],
            json!({"name": "Café 東京, \"best\"", "qty": "-3"})
        );
        assert_eq!(
            r0["fields"]["title"]["value"],
            json!(FORMULA),
            "JSON is not neutralised"
        );
        assert_eq!(r0["fields"]["price"]["match"], json!(true));
        assert_eq!(r0["fields"]["price"]["score"], json!(1.0));
        assert_eq!(r0["fields"]["link"]["comparator"], json!("url"));
        assert_eq!(r0["error"], Value::Null);
        let r1 = &rows[1];
        assert_eq!(r1["fields"]["title"]["match"], json!(false));
        assert_eq!(
            r1["fields"]["link"],
            json!({"value": "+1 555 0100", "expected": null, "match": null, "score": null, "comparator": null})
        );
        let r3 = &rows[3];
        assert_eq!(r3["status"], json!("failed"));
        assert_eq!(r3["fields"]["price"]["value"], Value::Null);
        assert_eq!(r3["error"], json!("net::ERR_NAME_NOT_RESOLVED"));
        assert!(r3["id"].as_str().is_some_and(|id| id.len() == 36));
    }
}

#[tokio::test]
async fn xlsx_reads_back_with_types_formats_and_safe_cells() {
    let Some(python) = python(true) else { return };
    let (p, store) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&store, &p, ExportFormat::Xlsx, dir.path()).await;
    let book = read_back(&python, ExportFormat::Xlsx, &path);
    assert_eq!(book["sheets"], json!(["Results", "Metrics", "Summary"]));

    let results = &book["Results"];
    assert_eq!(results["freeze"], json!("A2"));
    assert_eq!(results["filter"], json!("A1:O5"));
    let rows = results["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let cell = |r: usize, c: usize| rows[r][c].clone();
    let headers: Vec<Value> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[2].clone())
        .collect();
    assert_eq!(headers, HEADERS.map(|h| json!(h)));
    assert!(results["bold"].as_array().unwrap().contains(&json!("A1")));
    // Types: numbers are numbers, verdicts booleans, everything else strings.
    assert_eq!(cell(1, 0), json!(["n", "int", 0]));
    assert_eq!(cell(1, 5), json!(["n", "int", -3]));
    assert_eq!(cell(1, 9), json!(["n", "int", -5]));
    assert_eq!(cell(1, 10), json!(["n", "int", -5]));
    assert_eq!(cell(1, 8), json!(["b", "bool", true]));
    assert_eq!(cell(2, 5), json!(["s", "str", "007"]));
    assert_eq!(cell(2, 10), json!(["s", "str", "$1,299.00"]));
    assert_eq!(cell(3, 10), json!(["n", "float", 12.5]));
    assert_eq!(cell(4, 10), json!(["n", "float", -0.5]));
    assert_eq!(cell(4, 9), json!(["n", "NoneType", null]));
    // Formulas from websites are text, neutralised.
    assert_eq!(cell(1, 6), json!(["s", "str", format!("'{FORMULA}")]));
    assert_eq!(cell(2, 4), json!(["s", "str", "'-dash"]));
    assert_eq!(cell(2, 6), json!(["s", "str", "'@SUM(A1:A9)"]));
    assert_eq!(cell(2, 12), json!(["s", "str", "'+1 555 0100"]));
    assert_eq!(cell(3, 4), json!(["s", "str", "'\tTabbed"]));
    assert_eq!(cell(1, 4), json!(["s", "str", "Café 東京, \"best\""]));
    assert_eq!(cell(2, 7), json!(["s", "str", "Line one\nline two"]));
    for row in rows {
        for c in row.as_array().unwrap() {
            assert_ne!(c[0], json!("f"), "no cell may hold a formula: {c}");
            if let Some(s) = c[2].as_str() {
                assert!(!s.starts_with(['=', '+', '-', '@', '\t', '\r']), "{s:?}");
            }
        }
    }
    // Pass green, fail red, on verdicts and job accuracy.
    let fills = &results["fills"];
    assert_eq!(fills["I2"], json!("FFC6EFCE"));
    assert_eq!(fills["I3"], json!("FFFFC7CE"));
    assert_eq!(fills["D2"], json!("FFC6EFCE"));
    assert_eq!(fills["D3"], json!("FFFFEB9C"));
    assert_eq!(fills["D5"], json!("FFFFC7CE"));

    // Metrics per column: title 1/3 (row 3 has no title truth), price 2/4, link 1/1.
    let metrics = book["Metrics"]["rows"].as_array().unwrap();
    let values = |r: usize| -> Vec<Value> {
        metrics[r]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[2].clone())
            .collect()
    };
    assert_eq!(values(0)[0], json!("field"));
    assert_eq!(
        values(1),
        vec![
            json!("title"),
            json!(3),
            json!(1),
            json!(2),
            json!(0),
            json!(2),
            json!(1.0 / 3.0)
        ]
    );
    assert_eq!(
        values(2),
        vec![
            json!("price"),
            json!(4),
            json!(2),
            json!(2),
            json!(2),
            json!(0),
            json!(0.5)
        ]
    );
    assert_eq!(
        values(3),
        vec![
            json!("link"),
            json!(1),
            json!(1),
            json!(0),
            json!(0),
            json!(0),
            json!(1)
        ]
    );

    let summary = book["Summary"]["rows"].as_array().unwrap();
    let pairs: Vec<(Value, Value)> = summary
        .iter()
        .map(|r| (r[0][2].clone(), r[1][2].clone()))
        .collect();
    assert_eq!(pairs[0], (json!("project"), json!("Shop prices")));
    assert_eq!(pairs[2], (json!("jobs"), json!(4)));
    assert_eq!(pairs[3], (json!("jobs_evaluated"), json!(4)));
    assert_eq!(pairs[4], (json!("jobs_passed"), json!(1)));
    assert_eq!(pairs[5], (json!("jobs_partial"), json!(1)));
    assert_eq!(pairs[6], (json!("jobs_failed"), json!(2)));
    assert_eq!(pairs[7], (json!("pass_rate"), json!(0.25)));
}

#[tokio::test]
async fn exports_page_through_the_store_with_the_job_list_filter() {
    let Some(python) = python(false) else { return };
    let p = project(&[("price", FieldType::Number)]);
    let b = batch(&p, &[]);
    let jobs: Vec<Job> = (0..1203)
        .map(|i| {
            let mut j = job(&b, i, &[], &[("price", "1")], Some(&[("price", Some("1"))]));
            j.site_url = if i % 2 == 0 {
                format!("https://even{i}.example")
            } else {
                format!("https://odd{i}.example")
            };
            j
        })
        .collect();
    let store = MemoryStore::new(p.clone(), vec![b], jobs, Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.csv");
    let filter = JobFilter {
        search: Some("ODD".into()),
        ..JobFilter::default()
    };
    let summary = export(
        &store,
        &p,
        &filter,
        ExportFormat::Csv,
        std::fs::File::create(&path).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(summary.jobs, 601);
    assert_eq!(
        store
            .largest_page
            .load(std::sync::atomic::Ordering::Relaxed),
        500
    );
    let rows = read_back(&python, ExportFormat::Csv, &path)["rows"].clone();
    let rows: Vec<Vec<String>> = serde_json::from_value(rows).unwrap();
    assert_eq!(rows.len(), 602);
    let indexes: Vec<u64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(
        indexes,
        (0..1203).filter(|i| i % 2 == 1).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn exports_refuse_other_projects() {
    let (p, store) = fixture();
    let filter = JobFilter {
        project_id: Some(ProjectId::new()),
        ..JobFilter::default()
    };
    let err = export(&store, &p, &filter, ExportFormat::Csv, Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let other = project(&[]);
    let other_batch = batch(&other, &[]);
    store.batches.lock().unwrap().push(other_batch.clone());
    let filter = JobFilter {
        batch_id: Some(other_batch.id),
        ..JobFilter::default()
    };
    let err = export(&store, &p, &filter, ExportFormat::Json, Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.context_value("field"), Some("batch_id"));
}
