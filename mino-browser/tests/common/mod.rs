//! Shared by the driver test binaries: the fixture site, the conformance suite and the rule for
//! missing browsers.

#![allow(dead_code)] // each test binary uses a different part

pub mod conformance;
pub mod fixture;

pub use fixture::Fixture;

/// Whether the tests run under CI (`CI=true` or `CI=1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Logs to the test output, filtered by `RUST_LOG` (e.g. `RUST_LOG=mino_browser=debug`).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Decides what to do when a required browser binary is missing: under CI the test fails,
/// elsewhere it is skipped with a printed reason. Returns whether the test may run.
pub fn require(what: &str, found: bool) -> bool {
    init_tracing();
    if found {
        return true;
    }
    if in_ci() {
        panic!("{what} is required when CI is set, but it was not found");
    }
    eprintln!("skipping: {what} not found (set CI=true to make this a failure)");
    false
}

/// Instantiates conformance tests for one driver: each named function of
/// [`conformance`] becomes a `#[tokio::test]` that builds a driver with `$factory` (an async fn
/// returning `Option<DynBrowserDriver>`, `None` to skip) and serves a fresh fixture site.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path => $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(driver) = $factory().await else { return };
                let fixture = common::Fixture::start().await;
                common::conformance::$name(driver.as_ref(), &fixture).await;
            }
        )+
    };
}
