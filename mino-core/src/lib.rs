#![doc = include_str!("../README.md")]

pub mod agent;
pub mod browser;
pub mod engine;
pub mod error;
pub mod evaluation;
pub mod events;
pub mod export;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod platform;
pub mod store;

pub use error::{Error, ErrorKind, Result};
