//! Ingest of large files: bounded memory and speed. A test binary of its own, so that no
//! other test allocates in the same process while memory is measured.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use mino_core::ingest::{analyze, CsvSource, IngestOptions, MAX_LISTED_INVALID_ROWS};

/// Writes `rows` rows of a site column, 4 inputs and 2 ground-truth columns. Every 1,000th
/// row has an unusable site, every 5,000th has a field too few; one field in 100 spans two
/// lines.
fn write_csv(path: &Path, rows: u64) -> (u64, u64) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "website,name,city,sku,notes,gt_title,gt_price").unwrap();
    let mut invalid = 0;
    let mut lines = 1;
    for i in 0..rows {
        let site = if i % 1000 == 999 {
            "not a url".to_string()
        } else if i % 2 == 0 {
            format!("shop{i}.example.com/products?page={}", i % 17)
        } else {
            format!("https://www.store{i}.example.org/item/{i}")
        };
        let notes = if i % 100 == 0 {
            "\"first line\nsecond line\"".to_string()
        } else {
            format!("plain note for row {i} with a few words")
        };
        if i % 5000 == 4999 {
            writeln!(out, "{site},Name {i},Paris,SKU-{i},{notes},Title {i}").unwrap();
        } else {
            writeln!(
                out,
                "{site},Name {i},Paris,SKU-{i},{notes},Title {i},\"{}.99\"",
                i % 500
            )
            .unwrap();
        }
        if i % 1000 == 999 || i % 5000 == 4999 {
            invalid += 1;
        }
        lines += if i % 100 == 0 { 2 } else { 1 };
    }
    out.flush().unwrap();
    (invalid, lines)
}

/// A field of `/proc/self/status` in KiB (Linux only).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak resident size, so that `VmHWM` measures from now on.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[test]
fn large_files_are_ingested_in_bounded_memory() {
    const ROWS: u64 = 200_000;
    const LIMIT_KIB: u64 = 12 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.csv");
    let (invalid, last_line) = write_csv(&path, ROWS);
    let size_kib = std::fs::metadata(&path).unwrap().len() / 1024;
    // Holding the file, let alone its jobs, would break the limit.
    assert!(size_kib > 2 * LIMIT_KIB, "the file is only {size_kib} KiB");

    let measure = status_kib("VmRSS").is_some() && reset_peak();
    let baseline = status_kib("VmRSS").unwrap_or(0);

    let source = CsvSource::path(&path);
    let plan = analyze(&source, &IngestOptions::default()).unwrap();
    let analysis_peak = status_kib("VmHWM").unwrap_or(0).saturating_sub(baseline);

    let report = plan.report();
    assert_eq!(report.total_rows, ROWS);
    assert_eq!(report.invalid_rows, invalid);
    assert_eq!(report.valid_rows, ROWS - invalid);
    assert_eq!(report.site_url_column, "website");
    // The plan keeps no per-row data: at most 10 preview rows and a capped list.
    assert_eq!(report.preview.len(), 10);
    assert!(report.invalid_row_list.len() <= MAX_LISTED_INVALID_ROWS);
    assert_eq!(report.invalid_row_list.len() as u64, invalid);

    reset_peak();
    let mut count = 0u64;
    let mut invalid_seen = 0u64;
    let mut last = 0;
    for job in plan.rows().unwrap() {
        let job = job.unwrap();
        assert_eq!(job.row_index, count);
        assert_eq!(job.inputs.len(), 4);
        invalid_seen += u64::from(job.invalid_reason.is_some());
        last = job.line;
        count += 1;
    }
    let rows_peak = status_kib("VmHWM").unwrap_or(0).saturating_sub(baseline);
    assert_eq!(count, ROWS);
    assert_eq!(invalid_seen, invalid);
    assert_eq!(last, last_line);

    if measure {
        eprintln!(
            "file {size_kib} KiB; extra peak memory: analysis {analysis_peak} KiB, \
             rows {rows_peak} KiB"
        );
        assert!(
            analysis_peak < LIMIT_KIB,
            "analysis grew by {analysis_peak} KiB"
        );
        assert!(rows_peak < LIMIT_KIB, "rows grew by {rows_peak} KiB");
    }
}

/// CPU seconds this process has used (user + system; Linux only), to tell the work done
/// from the wait for a busy machine.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux platform Rust supports.
    Some(ticks as f64 / 100.0)
}

/// The speed target: analysis and rows over 1,000,000 rows in a few seconds. Run it in
/// release mode: `cargo test --release -p mino-core --test ingest_memory -- --ignored`.
#[test]
#[ignore = "writes a 100 MB file; run in release mode"]
fn a_million_rows_in_a_few_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("million.csv");
    let (invalid, _) = write_csv(&path, 1_000_000);
    let size = std::fs::metadata(&path).unwrap().len();

    let started = Instant::now();
    let cpu_before = cpu_seconds();
    // The file is a little over the default limit of 100 MiB.
    let options = IngestOptions::default().with_max_bytes(size + 1);
    let plan = analyze(&CsvSource::path(&path), &options).unwrap();
    let analysed = started.elapsed();
    assert_eq!(plan.report().invalid_rows, invalid);
    let mut count = 0usize;
    for job in plan.rows().unwrap() {
        job.unwrap();
        count += 1;
    }
    let total = started.elapsed();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    assert_eq!(count, 1_000_000);
    eprintln!(
        "{} MB: analysis {:.2} s, analysis + rows {:.2} s (CPU {:.2} s)",
        size / 1_000_000,
        analysed.as_secs_f64(),
        total.as_secs_f64(),
        cpu.unwrap_or(f64::NAN)
    );
    assert!(total.as_secs() < 20, "took {total:?}");
}
