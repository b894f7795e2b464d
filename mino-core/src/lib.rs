#![doc = include_str!("../README.md")]

pub mod error;
pub mod model;
pub mod store;

pub use error::{Error, ErrorKind, Result};
