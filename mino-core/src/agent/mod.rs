//! The [`Agent`] trait: given a task and a browser session, extract the output fields.
//!
//! Agents are chosen per project by name ([`AgentConfig`](crate::model::AgentConfig)) and
//! built by an [`AgentRegistry`] from their JSON settings. The built-in [`heuristic`] agent
//! is offline and deterministic; network agents live in adapter crates.

pub mod heuristic;
mod registry;

pub use registry::{AgentFactory, AgentRegistry};

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::browser::BrowserSession;
use crate::error::Result;
use crate::model::{Extraction, LogLine, OutputField, Usage};

/// An agent shared between tasks.
pub type DynAgent = Arc<dyn Agent>;

/// What an agent is asked to do for one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentTask {
    /// The project's instructions.
    pub instructions: String,
    /// The site to start on.
    pub site_url: String,
    /// The row's input columns.
    pub inputs: IndexMap<String, String>,
    /// The fields to extract.
    pub output_fields: Vec<OutputField>,
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The rule or step that found it (e.g. `json-ld:Product.offers.price`).
    pub rule: String,
    /// The page it was found on.
    pub url: String,
    /// A short excerpt around it.
    pub snippet: Option<String>,
}

/// A screenshot taken by an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screenshot {
    /// What it shows (e.g. `step 3: click #next`).
    pub label: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What an agent produced for one job. Finding nothing for a field is a `None` value, not an
/// error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentOutcome {
    /// Field → value, one entry per output field, in field order.
    pub values: Extraction,
    /// Field → where its value came from.
    pub evidence: IndexMap<String, Evidence>,
    /// Ordered log lines.
    pub log: Vec<LogLine>,
    /// Screenshots in the order taken.
    pub screenshots: Vec<Screenshot>,
    /// Tokens and cost.
    pub usage: Usage,
    /// The URL the browser ended on.
    pub final_url: Option<String>,
}

/// A web agent.
///
/// # Behavior
///
/// - `run` returns one entry in [`AgentOutcome::values`] per output field, in field order;
///   a field it could not find is `None` and has no evidence entry.
/// - Navigation, browser and provider failures are errors whose kind says whether a retry
///   may help ([`Error::is_transient`](crate::Error::is_transient)); an invalid site URL is a
///   [`Validation`](crate::ErrorKind::Validation) error.
/// - Log lines are in the order things happened; screenshots in the order taken.
#[async_trait]
pub trait Agent: Send + Sync + Debug + 'static {
    /// The registry name, e.g. `heuristic`.
    fn name(&self) -> &'static str;

    /// Runs the task in `session`. Infrastructure failures (navigation, browser, provider)
    /// are errors with a kind; a field the agent could not find is `None` in the outcome.
    async fn run(&self, task: &AgentTask, session: &mut dyn BrowserSession)
        -> Result<AgentOutcome>;
}
