//! Export throughput and peak memory: 1,000,000 evaluated jobs to CSV, NDJSON, JSON and XLSX
//! through `export_jobs` (the writer path the store-backed `export` uses), against writing
//! the same cells with the csv crate alone and with rust_xlsxwriter alone.
//!
//! Jobs come from an in-memory generator cycling over 1,000 varied evaluated jobs (inputs,
//! three fields with ground truth, extraction and verdicts, some values formula-like), so
//! feeding them costs nothing and memory holds only the pool. Each case runs in a child
//! process of its own, so that its peak resident memory (`VmHWM`) is its own.
//!
//! Run: `cargo bench -p mino-core --bench export` (`MINO_BENCH_JOBS` changes the job count).
#![allow(clippy::unwrap_used)] // a benchmark that cannot set up should stop at once

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::Utc;
use indexmap::IndexMap;
use mino_core::evaluation::JobEvaluator;
use mino_core::export::{export_jobs, ExportFormat, ExportLayout, ValueColumn};
use mino_core::model::{
    BatchId, FieldType, Job, JobId, JobStatus, OutputField, ProjectId, ProjectSettings,
};

const POOL: usize = 1_000;
const FIELDS: [&str; 3] = ["title", "price", "link"];
const CASES: [&str; 7] = [
    "generate",
    "csv_bare",
    "csv",
    "xlsx_bare",
    "xlsx",
    "ndjson",
    "json",
];

fn pool() -> Vec<Job> {
    let fields: Vec<OutputField> = FIELDS
        .iter()
        .zip([FieldType::Text, FieldType::Number, FieldType::Url])
        .map(|(n, t)| OutputField {
            field_type: t,
            ..OutputField::named(*n)
        })
        .collect();
    let evaluator = JobEvaluator::new(&fields, &ProjectSettings::default()).unwrap();
    let (batch_id, project_id, now) = (BatchId::new(), ProjectId::new(), Utc::now());
    (0..POOL)
        .map(|i| {
            let title = if i % 100 == 0 {
                format!("=HYPERLINK(\"http://x.example/{i}\")")
            } else {
                format!("Blue Widget {i}, \"Deluxe\" edition")
            };
            let price = format!("{}.{:02}", i * 3, i % 100);
            let shown_price = if i % 4 == 0 {
                format!("${price}")
            } else {
                price.clone()
            };
            let link = format!("https://shop{}.example.com/p/{i}", i % 37);
            let mut ground_truth = IndexMap::new();
            ground_truth.insert("title".to_owned(), title.clone());
            ground_truth.insert("price".to_owned(), price);
            ground_truth.insert("link".to_owned(), link.clone());
            let mut extraction = IndexMap::new();
            extraction.insert("title".to_owned(), Some(title));
            extraction.insert("price".to_owned(), (i % 9 != 0).then_some(shown_price));
            extraction.insert(
                "link".to_owned(),
                Some(format!("{link}?utm_source={}", i % 5)),
            );
            let mut inputs = IndexMap::new();
            inputs.insert("name".to_owned(), format!("Shop number {i}"));
            inputs.insert("qty".to_owned(), format!("{}", i as i64 - 500));
            let evaluation = evaluator.evaluate_at(&ground_truth, Some(&extraction), now);
            Job {
                id: JobId::new(),
                batch_id,
                project_id,
                row_index: i as u64,
                line: i as u64 + 2,
                site_url: format!("https://www.site{i}.example.com/"),
                inputs,
                ground_truth,
                status: JobStatus::Completed,
                invalid_reason: None,
                attempts: 1,
                execution_id: None,
                extraction: Some(extraction),
                accuracy: evaluation.accuracy,
                evaluation: Some(evaluation),
                last_error: None,
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

fn layout() -> ExportLayout {
    let column = |name: &str, numeric| ValueColumn {
        name: name.to_owned(),
        numeric,
    };
    ExportLayout {
        title: "bench".into(),
        inputs: vec![column("name", false), column("qty", true)],
        fields: vec![
            column("title", false),
            column("price", true),
            column("link", false),
        ],
    }
}

fn jobs(pool: &[Job], n: usize) -> impl Iterator<Item = &Job> {
    (0..n).map(move |i| &pool[i % POOL])
}

/// The cells of a row taken straight from the job, as a bare writer would (the row index is
/// formatted by the caller into `index`).
fn bare_cells<'a>(job: &'a Job, index: &'a str) -> [&'a str; 15] {
    let evaluation = job.evaluation.as_ref().unwrap();
    let extraction = job.extraction.as_ref().unwrap();
    let verdict = |field: &str| {
        evaluation
            .fields
            .iter()
            .find(|f| f.field == field)
            .map_or("", |f| if f.passed { "true" } else { "false" })
    };
    let value = |field: &str| extraction[field].as_deref().unwrap_or_default();
    [
        index,
        &job.site_url,
        job.status.as_str(),
        job.accuracy.map(|a| a.as_str()).unwrap_or_default(),
        &job.inputs["name"],
        &job.inputs["qty"],
        value("title"),
        &job.ground_truth["title"],
        verdict("title"),
        value("price"),
        &job.ground_truth["price"],
        verdict("price"),
        value("link"),
        &job.ground_truth["link"],
        verdict("link"),
    ]
}

fn csv_bare(pool: &[Job], n: usize, out: File) {
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(64 * 1024)
        .from_writer(out);
    writer.write_record(layout().headers()).unwrap();
    let mut index = String::new();
    for job in jobs(pool, n) {
        index.clear();
        write!(index, "{}", job.row_index).unwrap();
        writer.write_record(bare_cells(job, &index)).unwrap();
    }
    writer.flush().unwrap();
}

fn xlsx_bare(pool: &[Job], n: usize, out: File) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().unwrap();
    for (col, header) in layout().headers().iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for (i, job) in jobs(pool, n).enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, job.row_index as f64).unwrap();
        for (col, cell) in bare_cells(job, "").into_iter().enumerate().skip(1) {
            let col = col as u16;
            match (col, cell) {
                (_, "") => {}
                (5 | 9 | 10, _) => match cell.parse::<f64>() {
                    Ok(v) => sheet.write_number(row, col, v).map(|_| ()).unwrap(),
                    Err(_) => sheet.write_string(row, col, cell).map(|_| ()).unwrap(),
                },
                (8 | 11 | 14, b) => sheet
                    .write_boolean(row, col, b == "true")
                    .map(|_| ())
                    .unwrap(),
                _ => sheet.write_string(row, col, cell).map(|_| ()).unwrap(),
            }
        }
    }
    workbook.save_to_writer(BufWriter::new(out)).unwrap();
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time this process has used, in seconds (`/proc/self/schedstat`).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

/// Runs one case in this (child) process and prints `wall_secs cpu_secs bytes peak_kib`.
fn run_case(case: &str, n: usize, path: &Path) {
    let pool = pool();
    let out = File::create(path).unwrap();
    let cpu = cpu_secs();
    let start = Instant::now();
    match case {
        "generate" => {
            let bytes: usize = jobs(&pool, n).map(|j| j.site_url.len()).sum();
            std::hint::black_box(bytes);
        }
        "csv_bare" => csv_bare(&pool, n, out),
        "xlsx_bare" => xlsx_bare(&pool, n, out),
        format => {
            let format = ExportFormat::parse(format).unwrap();
            let summary = export_jobs(layout(), format, jobs(&pool, n), out).unwrap();
            assert_eq!(summary.jobs, n as u64);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("{secs} {cpu} {bytes} {}", peak_kib());
}

/// The best of several runs of one case.
#[derive(Default)]
struct Measured {
    wall: f64,
    cpu: f64,
    bytes: u64,
    peak_mib: f64,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("MINO_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::var("MINO_BENCH_DIR").map_or_else(|_| std::env::temp_dir(), PathBuf::from);
    if let Ok(case) = std::env::var("MINO_BENCH_CASE") {
        run_case(&case, n, &dir.join(format!("mino-export-bench-{case}.out")));
        return;
    }
    let runs: usize = std::env::var("MINO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!(
        "export of {n} evaluated jobs (15 columns), one process per case, best of {runs} \
         interleaved runs (CPU time is what the ratios use: other work on the machine \
         stretches wall time)"
    );
    let exe = std::env::current_exe().unwrap();
    let mut results: IndexMap<&str, Measured> = IndexMap::new();
    for _ in 0..runs {
        for case in CASES {
            let out = Command::new(&exe)
                .env("MINO_BENCH_CASE", case)
                .env("MINO_BENCH_JOBS", n.to_string())
                .env("MINO_BENCH_DIR", &dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{case}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            let parts: Vec<f64> = text
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect();
            let _ = std::fs::remove_file(dir.join(format!("mino-export-bench-{case}.out")));
            let m = results.entry(case).or_insert(Measured {
                wall: f64::INFINITY,
                cpu: f64::INFINITY,
                ..Measured::default()
            });
            m.wall = m.wall.min(parts[0]);
            m.cpu = m.cpu.min(parts[1]);
            m.bytes = parts[2] as u64;
            m.peak_mib = m.peak_mib.max(parts[3] / 1024.0);
        }
    }
    println!(
        "{:<10} {:>9} {:>9} {:>14} {:>10} {:>10}",
        "case", "wall s", "CPU s", "rows/CPU s", "MB out", "peak MiB"
    );
    for (case, m) in &results {
        println!(
            "{case:<10} {:>9.3} {:>9.3} {:>14.0} {:>10.1} {:>10.1}",
            m.wall,
            m.cpu,
            n as f64 / m.cpu,
            m.bytes as f64 / 1e6,
            m.peak_mib
        );
    }
    println!();
    for (ours, bare) in [("csv", "csv_bare"), ("xlsx", "xlsx_bare")] {
        let ratio = results[ours].cpu / results[bare].cpu;
        println!(
            "{ours}: {ratio:.2}x the bare writer's CPU time (target <= 1.30: {}), peak {:.1} MiB (target <= 300: {})",
            if ratio <= 1.3 { "met" } else { "NOT met" },
            results[ours].peak_mib,
            if results[ours].peak_mib <= 300.0 { "met" } else { "NOT met" },
        );
    }
    let worst = results.values().map(|m| m.peak_mib).fold(0.0, f64::max);
    println!("largest peak of any case: {worst:.1} MiB");
    let _ = std::io::stdout().flush();
}
