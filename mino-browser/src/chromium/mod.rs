//! The Chromium driver: chromiumoxide over the DevTools protocol (feature `chromium`).
//!
//! - [`config`]: where the browser comes from (local launch or remote CDP endpoint).
//! - [`driver`]: [`ChromiumDriver`], one browser and a fresh browser context per session.
//! - [`session`]: [`ChromiumSession`], the page operations.
//! - `instance`: the running browser and its handler task; `tab`: a page target with its
//!   events and crash guard; `screencast`: live frames; `error`: the mapping of chromiumoxide's
//!   errors.

pub mod config;
pub mod driver;
mod error;
mod instance;
mod screencast;
pub mod session;
mod tab;

pub use config::{find_chromium, ChromiumConfig, Endpoint};
pub use driver::ChromiumDriver;
pub use session::ChromiumSession;
