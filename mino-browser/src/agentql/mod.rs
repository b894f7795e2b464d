//! The `agentql` agent (feature `agentql`): AgentQL's REST API reads the fields from the page.
//!
//! The agent opens the site in our browser (so sessions, proxies and JavaScript rendering are
//! ours), takes the page's HTML and sends it to `POST {base_url}/v1/query-data` with the
//! header `X-API-Key`, a query built from the output fields (`{ field_name(hint) … }`, names
//! made identifiers, descriptions as hints) and `params.mode`. The answer's `data` gives the
//! values; its `metadata` goes to the log.
//!
//! 401/403 are permanent [`Agent`](mino_core::ErrorKind::Agent) errors; 429 and 5xx are
//! retried with backoff honouring `Retry-After`, then transient
//! [`RateLimited`](mino_core::ErrorKind::RateLimited) / [`Network`](mino_core::ErrorKind::Network)
//! errors.
//!
//! Layout: [`config`] (settings), `agent` ([`AgentQlAgent`]), `query` (building the query and
//! reading the data), `protocol` (wire types), `error`.

mod agent;
pub mod config;
mod error;
mod protocol;
mod query;

pub use agent::AgentQlAgent;
pub use config::{AgentQlSettings, QueryMode};
