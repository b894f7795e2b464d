//! What the HTTP and WebSocket benches share: sizes from the environment and a platform that
//! never runs a job (no worker; its Chromium driver is never launched).

use mino_core::events::DynEventSink;
use mino_core::platform::Platform;
use mino_core::store::DynStore;

/// A number from the environment variable `name`, or `default`.
pub fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A platform over `store` and `events` without a worker, for serving the API.
pub fn serving_platform(store: DynStore, events: DynEventSink) -> Platform {
    let driver = mino_browser::driver_from_spec("chromium").expect("a driver (never launched)");
    Platform::builder()
        .store(store)
        .driver(driver)
        .events(events)
        .build()
        .expect("a platform")
}
