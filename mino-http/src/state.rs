//! What every handler shares: the platform, the settings, the WebSocket hub and the metrics.

use std::sync::Arc;
use std::time::Duration;

use mino_core::platform::Platform;

use crate::metrics::Metrics;
use crate::ws::Hub;

/// Settings of the HTTP front end.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed by CORS (`https://app.example.com`). Empty: any `localhost`,
    /// `127.0.0.1` or `[::1]` origin, on any port.
    pub allowed_origins: Vec<String>,
    /// The largest JSON body, in bytes.
    pub max_body_bytes: usize,
    /// The largest CSV upload, in bytes.
    pub max_upload_bytes: usize,
    /// The shortest time between two live browser frames of one job sent to clients.
    pub frame_interval: Duration,
    /// Messages queued per WebSocket client before it counts as too slow and is dropped
    /// (live frames are skipped instead).
    pub ws_queue: usize,
    /// How long one WebSocket send may take before the client counts as stalled.
    pub ws_send_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            allowed_origins: Vec::new(),
            max_body_bytes: 2 * 1024 * 1024,
            max_upload_bytes: mino_core::ingest::DEFAULT_MAX_BYTES as usize,
            frame_interval: Duration::from_millis(200),
            ws_queue: 1024,
            ws_send_timeout: Duration::from_secs(10),
        }
    }
}

/// The state of the router.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The service layer.
    pub platform: Platform,
    /// The settings.
    pub config: Arc<HttpConfig>,
    /// Live updates for WebSocket clients.
    pub hub: Hub,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
}
