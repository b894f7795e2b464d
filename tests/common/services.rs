//! The services the integration tests need (Postgres, Chromium) and what a test does when one
//! is missing: under CI (`CI=true` or `CI=1`) it fails, elsewhere it is skipped with the reason
//! printed.
//!
//! Shared by the workspace's `tests/common` and `mino-http/tests/common` (included there with
//! `#[path]`), so both suites apply the same rule.

/// Whether the tests run under CI (`CI=true` or `CI=1`): then a missing service fails a test
/// instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Logs to the test output, filtered by `RUST_LOG` (e.g. `RUST_LOG=mino_core=debug`).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Decides what a test does when a service it needs is missing: under CI it fails, elsewhere
/// it is skipped with the reason printed. Returns whether the test may run.
pub fn require(what: &str, available: Result<(), String>) -> bool {
    init_tracing();
    match available {
        Ok(()) => true,
        Err(why) if in_ci() => panic!("{what} is required when CI is set: {why}"),
        Err(why) => {
            eprintln!("skipping: {what} is not available ({why}); set CI=true to fail instead");
            false
        }
    }
}

/// Whether a local Chromium can be launched (see `mino_browser::chrome::find_chromium`).
pub fn require_chromium() -> bool {
    let found = mino_browser::chrome::find_chromium()
        .map(|_| ())
        .ok_or_else(|| "no chromium binary on PATH or in MINO_CHROME".to_owned());
    require("Chromium", found)
}

/// The Postgres server of the tests: `MINO_TEST_DATABASE_URL`, by default the local `test`
/// database.
pub fn postgres_url() -> String {
    std::env::var("MINO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres:postgres@127.0.0.1:5432/test".to_owned())
}
