#![doc = include_str!("../README.md")]

pub use mino_core::*;

mod connect;
pub use connect::{connect, PlatformOptions};
pub use mino_core::platform::Platform;

/// Store implementations (SQLite, Postgres) and [`store::open`](mino_store::open).
pub mod stores {
    pub use mino_store::*;
}

/// Browser drivers and network agents.
pub mod browsers {
    pub use mino_browser::*;
}

/// The HTTP API, WebSocket and dashboard.
#[cfg(feature = "http")]
pub use mino_http as http;
