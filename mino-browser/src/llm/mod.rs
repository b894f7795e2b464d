//! The `llm` agent (feature `llm`): a chat model drives the browser through tool calls.
//!
//! Any OpenAI-compatible `POST {base_url}/chat/completions` endpoint works. Each step the
//! model sees the task (instructions, row inputs, output fields with their types and
//! descriptions) and the page: URL, title, trimmed visible text and the visible interactive
//! elements, numbered. It answers with one tool call: `navigate(url)`, `click(element)`,
//! `type(element, text, submit?)`, `scroll(direction)` or `finish(fields)`.
//!
//! - `finish` must give every output field as a string or null and nothing else; an invalid
//!   answer (no tool call, bad JSON, bad arguments) gets one repair round that says exactly
//!   what was wrong, and a second invalid answer in a row ends the run.
//! - The run ends with a permanent [`Agent`](mino_core::ErrorKind::Agent) error at the step
//!   limit (`max_steps` model calls), when the token budget (`max_tokens_total`) is spent, and
//!   when the model asks for the same action on the same page state a third time (a loop).
//!   These errors carry the tokens and cost spent in their context.
//! - 429 and 5xx answers are retried with backoff, honouring `Retry-After`; then they are
//!   transient [`RateLimited`](mino_core::ErrorKind::RateLimited) /
//!   [`Network`](mino_core::ErrorKind::Network) errors. 401/403 are permanent.
//! - Every step writes a log line (the action and the model's reason) and takes a JPEG
//!   screenshot labelled with the step; usage sums the `usage` of every answer and prices it
//!   with the `price` table; each found field has evidence `llm:step N`.
//!
//! Layout: [`config`] (settings), `agent` ([`LlmAgent`]), `run` (the loop and its limits),
//! `actions` (browser actions), `page` (the page digest), `tools` (tool schemas and parsing),
//! `prompt`, `protocol` (wire types), `client` (requests with retries), `error`.

mod actions;
mod agent;
mod client;
pub mod config;
mod error;
mod page;
mod prompt;
mod protocol;
mod run;
mod tools;

pub use agent::LlmAgent;
pub use config::{LlmSettings, PriceTable};
