//! `mino run`: one CSV in, an execution with a live progress bar, a summary and an export out.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mino_core::engine::{Backoff, Shutdown, WorkerConfig};
use mino_core::events::Event;
use mino_core::export::{export, ExportFormat};
use mino_core::ingest::{analyze_async, CsvSource, IngestOptions};
use mino_core::metrics::batch_report;
use mino_core::model::{
    AgentConfig, ColumnRole, ColumnType, Execution, ExecutionMode, FieldType, JobFilter, JobStatus,
    NewProject, OutputField,
};
use mino_core::platform::{Platform, StartExecution};
use tokio::sync::broadcast::error::RecvError;

use super::GlobalArgs;

/// Arguments of `mino run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The CSV: one site per row; `gt_<field>` columns hold the expected values. Site values
    /// may be relative file paths, resolved against the CSV's folder.
    pub csv: PathBuf,
    /// What the agent should do on each site.
    #[arg(long, default_value = "")]
    pub instructions: String,
    /// An output field, as NAME or NAME:DESCRIPTION (repeatable). Default: one field per
    /// `gt_` column of the CSV.
    #[arg(long = "field", value_name = "NAME[:DESCRIPTION]")]
    pub fields: Vec<String>,
    /// Jobs at once (1–50).
    #[arg(long, default_value_t = 5)]
    pub concurrency: u32,
    /// Run a test sample of this many sites (10–50) instead of every row.
    #[arg(long)]
    pub sample: Option<u32>,
    /// The agent: heuristic (offline, default), llm or agentql.
    #[arg(long, default_value = "heuristic")]
    pub agent: String,
    /// Agent settings as JSON, e.g. '{"base_url":"http://localhost:11434/v1","model":"llama3"}'.
    #[arg(long)]
    pub agent_settings: Option<String>,
    /// Attempts per job (1–20).
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// Time limit per attempt, seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u32,
    /// Write the results here; the format follows the extension: .csv, .json, .ndjson, .xlsx.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Browser: chromium, cdp:ws://…, webdriver or webdriver:http://…
    #[arg(long, default_value = "chromium")]
    pub browser: String,
    /// Project name (default: the CSV's file name).
    #[arg(long)]
    pub project: Option<String>,
    /// Retry delay of transient failures as BASE[:MAX], e.g. 500ms:30s.
    #[arg(long, default_value = "1s:60s")]
    pub backoff: Backoff,
}

pub async fn run(global: &GlobalArgs, args: RunArgs) -> anyhow::Result<()> {
    let format = args.out.as_deref().map(format_of).transpose()?;
    let csv = std::fs::canonicalize(&args.csv)
        .with_context(|| format!("cannot read {}", args.csv.display()))?;
    let base_dir = csv.parent().map(Path::to_path_buf).unwrap_or_default();
    let ingest = IngestOptions::default().with_base_dir(base_dir);
    let file_name = csv
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sites.csv".to_owned());

    let platform = mino::connect(mino::PlatformOptions {
        database: global.database.clone(),
        browser: args.browser.clone(),
        ingest: ingest.clone(),
        worker: WorkerConfig {
            backoff: args.backoff,
            ..WorkerConfig::default()
        },
    })
    .await?;

    let report = analyze_async(CsvSource::path(&csv), ingest.clone()).await?;
    let fields = output_fields(&args.fields, &report.report().columns)?;
    let settings = match &args.agent_settings {
        Some(json) => serde_json::from_str(json).context("--agent-settings is not valid JSON")?,
        None => serde_json::json!({}),
    };
    let mut new = NewProject::named(args.project.clone().unwrap_or_else(|| file_name.clone()));
    new.instructions = args.instructions.clone();
    new.output_fields = fields;
    new.agent = AgentConfig {
        name: args.agent.clone(),
        settings,
    };
    new.settings.max_attempts = args.max_attempts;
    new.settings.job_timeout_secs = args.timeout;
    let project = platform.create_project(new).await?;
    let (batch, report) = platform
        .create_batch_from_csv(project.id, &file_name, CsvSource::path(&csv), None)
        .await?;
    eprintln!(
        "{}: {} rows ({} runnable, {} invalid), fields: {}",
        file_name,
        report.total_rows,
        report.valid_rows,
        report.invalid_rows,
        project
            .output_fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for row in report.invalid_row_list.iter().take(10) {
        eprintln!("  line {}: {}", row.line, row.reason);
    }
    for warning in &report.warnings {
        eprintln!("  warning: {warning}");
    }

    let mut events = platform.subscribe();
    platform.start_worker()?;
    let execution = platform
        .start_execution(
            project.id,
            batch.id,
            StartExecution {
                mode: Some(if args.sample.is_some() {
                    ExecutionMode::Test
                } else {
                    ExecutionMode::Production
                }),
                sample_size: args.sample,
                concurrency: Some(args.concurrency),
                ..StartExecution::default()
            },
        )
        .await?;
    let started = Instant::now();
    let finished = follow(&platform, &execution, &mut events).await?;
    platform.stop_worker(Shutdown::Graceful).await;

    summary(&platform, &finished, started.elapsed()).await?;
    if let (Some(path), Some(format)) = (&args.out, format) {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let out = std::io::BufWriter::new(file);
        let written = export(
            platform.store().as_ref(),
            &project,
            &JobFilter {
                execution_id: Some(finished.id),
                ..JobFilter::default()
            },
            format,
            out,
        )
        .await?;
        eprintln!("wrote {} jobs to {}", written.jobs, path.display());
    }
    Ok(())
}

/// Shows progress until the execution ends; Ctrl-C stops it (twice: leave at once).
async fn follow(
    platform: &Platform,
    execution: &Execution,
    events: &mut mino_core::events::EventReceiver,
) -> anyhow::Result<Execution> {
    let bar = ProgressBar::new(execution.total);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40.cyan/blue} {pos}/{len} {msg} [{elapsed_precise}, ETA {eta}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut poll = tokio::time::interval(Duration::from_secs(1));
    let mut interrupted = false;
    loop {
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) => match &*event {
                    Event::Stats(stats) if stats.execution_id == execution.id => {
                        let c = stats.counts;
                        bar.set_position(c.completed + c.failed + c.cancelled);
                        bar.set_message(format!(
                            "{} running, {} failed{}",
                            c.running,
                            c.failed,
                            stats.eta_secs.map(|s| format!(", {s} s left")).unwrap_or_default()
                        ));
                    }
                    Event::JobTransition { execution_id, to: JobStatus::Failed, site_url, error, .. }
                        if *execution_id == execution.id =>
                    {
                        bar.println(format!("failed: {site_url}: {}", error.as_deref().unwrap_or("")));
                    }
                    _ => {}
                },
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => bail!("the event stream closed"),
            },
            _ = poll.tick() => {
                let now = platform.execution(execution.id).await?;
                if !now.status.is_active() {
                    let c = now.counts;
                    bar.set_position(c.completed + c.failed + c.cancelled);
                    bar.finish_and_clear();
                    return Ok(now);
                }
            }
            _ = tokio::signal::ctrl_c() => {
                if interrupted {
                    bail!("interrupted");
                }
                interrupted = true;
                bar.println("stopping… (Ctrl-C again to leave at once)");
                platform.stop_execution(execution.id).await?;
            }
        }
    }
}

async fn summary(platform: &Platform, execution: &Execution, took: Duration) -> anyhow::Result<()> {
    let c = execution.counts;
    println!(
        "execution {} {} in {:.1} s: {} completed, {} failed, {} cancelled of {}",
        execution.id,
        execution.status.as_str(),
        took.as_secs_f64(),
        c.completed,
        c.failed,
        c.cancelled,
        execution.total
    );
    let report = batch_report(
        platform.store().as_ref(),
        &JobFilter {
            execution_id: Some(execution.id),
            ..JobFilter::default()
        },
    )
    .await?;
    let m = &report.metrics;
    if m.jobs_evaluated > 0 {
        println!(
            "ground truth: {} of {} jobs pass ({:.1}%), {} partial, {} fail",
            m.jobs_passed,
            m.jobs_evaluated,
            m.pass_rate.unwrap_or(0.0) * 100.0,
            m.jobs_partial,
            m.jobs_failed
        );
        println!(
            "{:<24} {:>9} {:>7} {:>8} {:>6} {:>9}",
            "field", "evaluated", "passed", "missing", "wrong", "accuracy"
        );
        for col in &m.columns {
            println!(
                "{:<24} {:>9} {:>7} {:>8} {:>6} {:>8.1}%",
                col.field,
                col.evaluated,
                col.passed,
                col.missing,
                col.wrong,
                col.accuracy.unwrap_or(0.0) * 100.0
            );
        }
    }
    if m.cost_usd > 0.0 {
        println!("cost: ${:.4}", m.cost_usd);
    }
    Ok(())
}

/// `--field` values, or one field per ground-truth column typed after it.
fn output_fields(
    given: &[String],
    columns: &[mino_core::model::ColumnSchema],
) -> anyhow::Result<Vec<OutputField>> {
    if !given.is_empty() {
        return Ok(given
            .iter()
            .map(|spec| {
                let (name, description) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
                let mut field = OutputField::named(name.trim());
                field.description = description.trim().to_owned();
                if let Some(col) = columns.iter().find(|c| {
                    matches!(&c.role, ColumnRole::GroundTruth { field } if field.eq_ignore_ascii_case(name.trim()))
                }) {
                    field.field_type = field_type_of(col.column_type);
                }
                field
            })
            .collect());
    }
    let fields: Vec<OutputField> = columns
        .iter()
        .filter_map(|c| match &c.role {
            ColumnRole::GroundTruth { field } => {
                let mut f = OutputField::named(field.clone());
                f.field_type = field_type_of(c.column_type);
                Some(f)
            }
            _ => None,
        })
        .collect();
    if fields.is_empty() {
        bail!(
            "say what to extract with --field NAME (the CSV has no gt_ columns to infer it from)"
        );
    }
    Ok(fields)
}

fn field_type_of(column: ColumnType) -> FieldType {
    match column {
        ColumnType::Url => FieldType::Url,
        ColumnType::Integer | ColumnType::Number => FieldType::Number,
        ColumnType::Boolean => FieldType::Boolean,
        ColumnType::Date => FieldType::Date,
        ColumnType::Email => FieldType::Email,
        ColumnType::Text | ColumnType::Empty => FieldType::Text,
    }
}

fn format_of(path: &Path) -> anyhow::Result<ExportFormat> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    ExportFormat::parse(&ext).map_err(|_| {
        anyhow::anyhow!(
            "--out must end in .csv, .json, .ndjson or .xlsx, not {:?}",
            path.display().to_string()
        )
    })
}
