//! Helpers shared by the store benchmarks: data generation, timing, memory, baselines.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The Postgres server the benchmarks use.
pub fn postgres_url() -> String {
    std::env::var("MINO_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("MINO_TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/test".to_owned())
}

/// A scratch directory kept between runs (generated inputs are reused).
pub fn scratch_dir() -> PathBuf {
    let dir = std::env::var_os("MINO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("mino-bench"));
    std::fs::create_dir_all(&dir).expect("create bench dir");
    dir
}

/// Writes (once) a CSV of `rows` rows: a site url, 4 input columns and 2 ground-truth columns.
/// Every 50th row has an unusable site so that invalid-row handling is part of the cost.
pub fn generate_csv(rows: u64) -> PathBuf {
    let path = scratch_dir().join(format!("sites-{rows}.csv"));
    if path.exists() {
        return path;
    }
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).expect("create csv");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(
        out,
        "website,company,country,category,employees,gt_title,gt_price"
    )
    .expect("write");
    for i in 0..rows {
        let site = if i % 50 == 49 {
            "not a url".to_owned()
        } else {
            format!("https://shop-{i}.example.com/products/item-{}", i % 997)
        };
        writeln!(
            out,
            "{site},\"Company {i}, Inc.\",{},{},{},Product title number {i},${}.{:02}",
            ["DE", "US", "FR", "JP", "BR"][(i % 5) as usize],
            ["shoes", "books", "garden", "toys"][(i % 4) as usize],
            i % 5000,
            i % 1000,
            i % 100
        )
        .expect("write");
    }
    out.flush().expect("flush");
    drop(out);
    std::fs::rename(&tmp, &path).expect("rename");
    path
}

/// The peak resident memory of this process so far, in MiB (VmHWM).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Runs a shell command and returns how long it took; panics when it fails.
pub fn time_command(cmd: &mut Command) -> Duration {
    let start = std::time::Instant::now();
    let output = cmd.output().expect("spawn baseline command");
    let took = start.elapsed();
    assert!(
        output.status.success(),
        "baseline command failed: {:?}\n{}",
        cmd,
        String::from_utf8_lossy(&output.stderr)
    );
    took
}

/// p-th percentile (0–100) of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Removes a file if it exists, with its SQLite side files.
pub fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        let _ = std::fs::remove_file(p);
    }
}
