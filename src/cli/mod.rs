//! Subcommands of the `mino` binary.

mod migrate;
mod run;
#[cfg(feature = "http")]
mod serve;
mod signals;
mod worker;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// MINO: run web agents over batches of websites and score them against ground truth.
#[derive(Debug, Parser)]
#[command(name = "mino", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database URL: sqlite:PATH or postgres://…
    #[arg(
        long,
        global = true,
        env = "MINO_DATABASE_URL",
        default_value = "sqlite:mino.db"
    )]
    pub database: String,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database schema.
    Migrate,
    /// Run an agent over a CSV of sites, show progress, score against gt_ columns, export.
    Run(run::RunArgs),
    /// Run only the engine: claim and run jobs of every running execution in the database.
    Worker(worker::WorkerArgs),
    /// Serve the HTTP API, live updates and the dashboard (with a worker unless --no-worker).
    #[cfg(feature = "http")]
    Serve(serve::ServeArgs),
}

/// Sets up `tracing` from `RUST_LOG`. By default long-running commands log MINO's progress
/// at `info`; `run` logs only warnings, so its progress bar stays readable.
pub fn init_tracing(global: &GlobalArgs, command: &Command) {
    let default = match command {
        Command::Run(_) => "warn",
        _ => "warn,mino=info,mino_core=info,mino_store=info,mino_browser=info,mino_http=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match global.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs the chosen subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate => migrate::run(&cli.global).await,
        Command::Run(args) => run::run(&cli.global, args).await,
        Command::Worker(args) => worker::run(&cli.global, args).await,
        #[cfg(feature = "http")]
        Command::Serve(args) => serve::run(&cli.global, args).await,
    }
}
