//! [`LlmAgent`]: the `llm` agent on a browser session.

use std::time::Duration;

use async_trait::async_trait;
use mino_core::agent::{Agent, AgentOutcome, AgentTask};
use mino_core::browser::BrowserSession;
use mino_core::{Error, ErrorKind, Result};
use tracing::info;

use super::client::ChatClient;
use super::config::LlmSettings;
use super::run::Run;
use crate::agents::{ApiKey, RetryPolicy};

/// A web agent driven by a chat model through tool calls (see the [module docs](super)).
#[derive(Debug, Clone)]
pub struct LlmAgent {
    settings: LlmSettings,
    /// One client per agent, so that runs share its connection pool.
    http: reqwest::Client,
}

impl LlmAgent {
    /// The registry name.
    pub const NAME: &'static str = "llm";

    /// An agent with these settings (checked).
    pub fn new(settings: LlmSettings) -> Result<Self> {
        settings.validate()?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.request_timeout_secs))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    "llm agent: cannot build the HTTP client",
                )
                .with_source(e)
            })?;
        Ok(LlmAgent { settings, http })
    }

    /// An agent from a project's JSON settings; bad settings are a
    /// [`Validation`](ErrorKind::Validation) error.
    pub fn from_json(settings: &serde_json::Value) -> Result<Self> {
        Self::new(LlmSettings::from_json(settings)?)
    }

    /// Its settings.
    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    fn client(&self) -> Result<ChatClient> {
        let key = ApiKey::resolve(
            Self::NAME,
            self.settings.api_key.as_ref(),
            self.settings.api_key_env.as_deref(),
        )?;
        Ok(ChatClient {
            http: self.http.clone(),
            endpoint: self.settings.endpoint(),
            model: self.settings.model.clone(),
            key,
            temperature: self.settings.temperature,
            policy: RetryPolicy::new(
                self.settings.max_retries,
                Duration::from_secs(self.settings.max_retry_wait_secs),
            ),
        })
    }
}

#[async_trait]
impl Agent for LlmAgent {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(
        &self,
        task: &AgentTask,
        session: &mut dyn BrowserSession,
    ) -> Result<AgentOutcome> {
        let mut run = Run::new(&self.settings, task, self.client()?);
        let outcome = run.drive(session).await.map_err(|err| run.annotate(err))?;
        info!(
            site = %task.site_url,
            model = %self.settings.model,
            found = outcome.values.values().filter(|v| v.is_some()).count(),
            fields = outcome.values.len(),
            tokens_in = outcome.usage.tokens_in,
            tokens_out = outcome.usage.tokens_out,
            "llm agent done"
        );
        Ok(outcome)
    }
}
