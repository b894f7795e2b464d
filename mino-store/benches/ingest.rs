//! Ingest benchmark: a generated 1,000,000-row CSV (site url, 4 inputs, 2 ground-truth
//! columns) into each store, against `sqlite3 .import` and `psql \copy` of the same file.
//!
//! Run: `cargo bench -p mino-store --features postgres --bench ingest`
//! (`MINO_BENCH_ROWS` changes the row count). Each store import runs in a child process so
//! that its peak memory is its own.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use mino_core::ingest::{import_csv, CsvSource, IngestOptions};
use mino_core::model::NewProject;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let backend = args.get(pos + 1).cloned().unwrap_or_default();
        let csv = args.get(pos + 2).cloned().unwrap_or_default();
        child(&backend, &csv);
        return;
    }
    let rows: u64 = std::env::var("MINO_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let csv = generate_csv(rows);
    let size_mb = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "ingest benchmark: {rows} rows, {size_mb:.1} MB CSV at {}",
        csv.display()
    );

    let sqlite_baseline = sqlite3_import(&csv);
    let sqlite = run_child("sqlite", &csv);
    let psql_baseline = psql_copy(&csv);
    let postgres = run_child("postgres", &csv);

    let rate = |d: Duration| rows as f64 / d.as_secs_f64();
    println!();
    println!("| store | MINO rows/s | peak MiB | baseline | baseline rows/s | ratio |");
    println!("|---|---:|---:|---|---:|---:|");
    for (name, (took, peak), base_name, base) in [
        ("SQLite", sqlite, "sqlite3 .import", sqlite_baseline),
        ("Postgres", postgres, "psql \\copy", psql_baseline),
    ] {
        println!(
            "| {name} | {:.0} | {peak:.0} | {base_name} | {:.0} | {:.2}× |",
            rate(took),
            rate(base),
            base.as_secs_f64() / took.as_secs_f64()
        );
    }
}

fn run_child(backend: &str, csv: &std::path::Path) -> (Duration, f64) {
    let exe = std::env::current_exe().expect("bench binary");
    let output = Command::new(exe)
        .args(["--child", backend, &csv.display().to_string()])
        .output()
        .expect("spawn child");
    assert!(
        output.status.success(),
        "{backend} import failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT"))
        .expect("child result line");
    let mut parts = line.split_whitespace().skip(1);
    let secs: f64 = parts.next().and_then(|v| v.parse().ok()).expect("secs");
    let peak: f64 = parts.next().and_then(|v| v.parse().ok()).expect("peak");
    println!("MINO → {backend}: {secs:.2} s, peak {peak:.0} MiB");
    (Duration::from_secs_f64(secs), peak)
}

fn child(backend: &str, csv: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (url, db_path, schema) = match backend {
            "sqlite" => {
                let path = scratch_dir().join("ingest-bench.db");
                remove_db(&path);
                (format!("sqlite:{}", path.display()), Some(path), None)
            }
            _ => {
                let schema = format!("mino_bench_{}", uuid::Uuid::now_v7().simple());
                let base = postgres_url();
                let sep = if base.contains('?') { '&' } else { '?' };
                (format!("{base}{sep}schema={schema}"), None, Some(schema))
            }
        };
        let store = mino_store::open(&url).await.expect("open store");
        let project = store
            .create_project(NewProject::named("ingest bench"))
            .await
            .expect("project");
        let start = Instant::now();
        let (batch, _report) = import_csv(
            store.as_ref(),
            project.id,
            "bench",
            CsvSource::path(csv),
            IngestOptions::default().with_max_bytes(1 << 30),
        )
        .await
        .expect("import");
        let took = start.elapsed();
        assert!(batch.total_rows > 0);
        println!("RESULT {} {}", took.as_secs_f64(), peak_rss_mib());
        if let Some(schema) = schema {
            drop(store);
            drop_pg_schema(&schema);
        }
        if let Some(path) = db_path {
            remove_db(&path);
        }
    });
}

fn sqlite3_import(csv: &std::path::Path) -> Duration {
    let db = scratch_dir().join("sqlite3-import.db");
    remove_db(&db);
    let took = time_command(
        Command::new("sqlite3")
            .arg(&db)
            .arg(".mode csv")
            .arg(format!(".import {} sites", csv.display())),
    );
    remove_db(&db);
    println!("sqlite3 .import: {:.2} s", took.as_secs_f64());
    took
}

fn psql_copy(csv: &std::path::Path) -> Duration {
    let url = postgres_url();
    let table = format!("bench_copy_{}", std::process::id());
    let create = format!(
        "CREATE TABLE {table} (website text, company text, country text, category text, employees text, gt_title text, gt_price text)"
    );
    time_command(Command::new("psql").args([url.as_str(), "-qc", create.as_str()]));
    let copy = format!(
        "\\copy {table} FROM '{}' WITH (FORMAT csv, HEADER true)",
        csv.display()
    );
    let took = time_command(Command::new("psql").args([url.as_str(), "-qc", copy.as_str()]));
    let drop = format!("DROP TABLE {table}");
    time_command(Command::new("psql").args([url.as_str(), "-qc", drop.as_str()]));
    println!("psql \\copy: {:.2} s", took.as_secs_f64());
    took
}

fn drop_pg_schema(schema: &str) {
    let url = postgres_url();
    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
    time_command(Command::new("psql").args([url.as_str(), "-qc", sql.as_str()]));
}
