//! MINO's HTTP front end: the REST API of the seed's endpoints under `/api`, live updates over
//! WebSocket at `/ws`, and the dashboard, as an axum router over `mino_core::Platform`.
//!
//! Not built yet: this crate has no items so far. Until it lands, MINO is driven from Rust
//! (`mino_core::platform::Platform`) and the `mino` command line.
