//! The WebDriver driver: thirtyfour against chromedriver or Selenium Grid (feature
//! `webdriver`).
//!
//! - [`config`]: where the WebDriver server is (spawned chromedriver or remote URL).
//! - [`driver`]: [`WebDriverDriver`], a fresh WebDriver session per MINO session.
//! - [`session`]: [`WebDriverSession`], the page operations.
//! - `service`: the spawned chromedriver process; `error`: the mapping of thirtyfour's errors.

pub mod config;
pub mod driver;
mod error;
mod service;
pub mod session;

pub use config::{find_chromedriver, Endpoint, WebDriverConfig};
pub use driver::WebDriverDriver;
pub use session::WebDriverSession;
