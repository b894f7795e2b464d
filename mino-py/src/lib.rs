//! MINO's Python bindings (`import mino`), a thin PyO3 layer over `mino_core::Platform`.
//!
//! Not built yet: this crate has no items so far. Until it lands, MINO is driven from Rust
//! (`mino_core::platform::Platform`) and the `mino` command line.
