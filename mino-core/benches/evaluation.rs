//! Evaluation throughput: field comparisons per second on one core.
//!
//! 1,000,000 jobs × 3 fields (text, number, date) through `JobEvaluator::evaluate_at`, the
//! path the engine and re-evaluation use, then each comparator alone over 1,000,000 value
//! pairs. Values cycle through a pool of 10,000 varied, realistic pairs (about 70 % of them
//! matching) so that generating inputs costs nothing during the measurement.
//!
//! Run: `cargo bench -p mino-core --bench evaluation` (release build, single thread).
#![allow(clippy::unwrap_used)] // a benchmark that cannot set up should stop at once

use std::hint::black_box;
use std::time::Instant;

use chrono::Utc;
use indexmap::IndexMap;
use mino_core::evaluation::{Comparator, JobEvaluator};
use mino_core::model::{Extraction, FieldType, OutputField, ProjectSettings};

const JOBS: usize = 1_000_000;
const POOL: usize = 10_000;
const TARGET_PER_SECOND: f64 = 1_000_000.0;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A realistic (expected, extracted) pair for one field type; `i` picks the variant.
fn pair(t: FieldType, i: usize) -> (String, String) {
    let hit = i % 10 < 7;
    let (y, m, d) = (2000 + i % 25, 1 + i % 12, 1 + i % 28);
    match t {
        FieldType::Text => (
            format!("Blue Widget Model {i} – Deluxe Edition"),
            if hit {
                format!("  blue widget model {i} - DELUXE edition ")
            } else {
                format!("Red Gadget {i}")
            },
        ),
        FieldType::Number => (
            format!("${},{:03}.{:02}", 1 + i % 9, i % 1000, i % 100),
            if hit {
                format!("{}{:03}.{:02} USD", 1 + i % 9, i % 1000, i % 100)
            } else {
                format!("{}.{:03},00 €", 2 + i % 7, i % 1000)
            },
        ),
        FieldType::Date => (
            format!("{} {d}, {y}", MONTHS[m - 1]),
            if hit {
                format!("{y}-{m:02}-{d:02}T10:00:00Z")
            } else {
                format!("{d:02}/{m:02}/{}", y + 1)
            },
        ),
        FieldType::Url => (
            format!("https://shop{}.example.com/p/{i}", i % 97),
            if hit {
                format!(
                    "HTTP://Shop{}.example.com/p/{i}/?utm_source=x&gclid=1",
                    i % 97
                )
            } else {
                format!("https://shop{}.example.com/q/{i}", i % 97)
            },
        ),
        FieldType::Email => (
            format!("sales{i}@Example.com"),
            if hit {
                format!("mailto:SALES{i}@example.com")
            } else {
                format!("info{i}@example.com")
            },
        ),
        FieldType::Phone => (
            format!("+1 (555) {:03}-{:04}", i % 1000, i % 10_000),
            if hit {
                format!("555.{:03}.{:04}", i % 1000, i % 10_000)
            } else {
                format!("555-{:03}-{:04}", (i + 1) % 1000, i % 10_000)
            },
        ),
        FieldType::Boolean => (
            if i % 2 == 0 { "yes" } else { "no" }.to_owned(),
            if hit == (i % 2 == 0) { "TRUE" } else { "false" }.to_owned(),
        ),
        FieldType::List => (
            format!("red; green; blue; size {}", i % 40),
            if hit {
                format!("Blue, RED, size {}, green", i % 40)
            } else {
                format!("red, green, size {}", i % 40 + 1)
            },
        ),
    }
}

fn rate(n: usize, secs: f64) -> f64 {
    n as f64 / secs
}

/// CPU time this (single-threaded) process has used, in seconds (`/proc/self/schedstat`):
/// unlike wall time, it does not stretch when other work shares the machine.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        // `cargo test --benches` lists benchmarks; this one has no sub-benchmarks.
        return;
    }
    let types = [FieldType::Text, FieldType::Number, FieldType::Date];
    let fields: Vec<OutputField> = ["title", "price", "published"]
        .iter()
        .zip(types)
        .map(|(name, t)| OutputField {
            field_type: t,
            ..OutputField::named(*name)
        })
        .collect();
    let evaluator = JobEvaluator::new(&fields, &ProjectSettings::default()).unwrap();
    let pool: Vec<(IndexMap<String, String>, Extraction)> = (0..POOL)
        .map(|i| {
            let mut gt = IndexMap::new();
            let mut ext = Extraction::new();
            for (f, t) in fields.iter().zip(types) {
                let (e, a) = pair(t, i);
                gt.insert(f.name.clone(), e);
                ext.insert(f.name.clone(), Some(a));
            }
            (gt, ext)
        })
        .collect();

    let now = Utc::now();
    let (start, cpu) = (Instant::now(), cpu_secs());
    let mut passed = 0usize;
    for i in 0..JOBS {
        let (gt, ext) = &pool[i % POOL];
        let evaluation = evaluator.evaluate_at(gt, Some(ext), now);
        passed += evaluation.fields.iter().filter(|f| f.passed).count();
        black_box(evaluation);
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), cpu_secs() - cpu);
    let comparisons = JOBS * types.len();
    let per_second = rate(comparisons, cpu);
    println!(
        "evaluate_job: {JOBS} jobs x {} fields = {comparisons} comparisons, {passed} passed, \
         in {cpu:.3} CPU s ({wall:.3} s wall): {per_second:.0} comparisons per CPU second \
         ({:.0} ns each); target >= {TARGET_PER_SECOND:.0}/s per core: {}",
        types.len(),
        cpu * 1e9 / comparisons as f64,
        if per_second >= TARGET_PER_SECOND {
            "met"
        } else {
            "NOT met"
        }
    );

    println!("\nper comparator, {JOBS} comparisons each (expected normalised per comparison):");
    println!(
        "{:<10} {:>18} {:>10} {:>8}",
        "kind", "comparisons/CPU s", "ns each", "passed"
    );
    let all = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::Url,
        FieldType::Email,
        FieldType::Phone,
        FieldType::Boolean,
        FieldType::List,
    ];
    let mut cases: Vec<(Comparator, FieldType)> =
        all.iter().map(|t| (Comparator::for_type(*t), *t)).collect();
    cases.push((
        Comparator::for_field(&OutputField {
            comparator: serde_json::json!("fuzzy"),
            ..OutputField::named("title")
        })
        .unwrap(),
        FieldType::Text,
    ));
    for (comparator, t) in cases {
        let pairs: Vec<(String, String)> = (0..POOL).map(|i| pair(t, i)).collect();
        let cpu = cpu_secs();
        let mut passed = 0usize;
        for i in 0..JOBS {
            let (e, a) = &pairs[i % POOL];
            passed += usize::from(black_box(comparator.compare(e, a)).passed);
        }
        let secs = cpu_secs() - cpu;
        println!(
            "{:<10} {:>18.0} {:>10.0} {:>7.0}%",
            comparator.name(),
            rate(JOBS, secs),
            secs * 1e9 / JOBS as f64,
            100.0 * passed as f64 / JOBS as f64
        );
    }
}
