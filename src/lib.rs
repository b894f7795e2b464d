//! MINO facade.
pub use mino_core as core;
