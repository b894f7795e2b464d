//! [`AgentQlAgent`]: open the site in our browser, send its HTML to AgentQL with a query built
//! from the output fields, read the values back.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use mino_core::agent::{Agent, AgentOutcome, AgentTask, Evidence, Screenshot};
use mino_core::browser::{BrowserSession, ImageFormat};
use mino_core::model::{LogLevel, LogLine};
use mino_core::{Error, ErrorKind, Result};
use serde_json::Value;
use tracing::{info, warn};

use super::config::AgentQlSettings;
use super::error::{agent_error, ERRORS};
use super::protocol::{QueryParams, QueryRequest, QueryResponse};
use super::query;
use crate::agents::{send_with_retry, ApiKey, RetryPolicy};

/// The `agentql` agent (see the [module docs](super)).
#[derive(Debug, Clone)]
pub struct AgentQlAgent {
    settings: AgentQlSettings,
    /// One client per agent, so that runs share its connection pool.
    http: reqwest::Client,
}

impl AgentQlAgent {
    /// The registry name.
    pub const NAME: &'static str = "agentql";

    /// An agent with these settings (checked).
    pub fn new(settings: AgentQlSettings) -> Result<Self> {
        settings.validate()?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    "agentql agent: cannot build the HTTP client",
                )
                .with_source(e)
            })?;
        Ok(AgentQlAgent { settings, http })
    }

    /// An agent from a project's JSON settings; bad settings are a
    /// [`Validation`](ErrorKind::Validation) error.
    pub fn from_json(settings: &serde_json::Value) -> Result<Self> {
        Self::new(AgentQlSettings::from_json(settings)?)
    }

    /// Its settings.
    pub fn settings(&self) -> &AgentQlSettings {
        &self.settings
    }

    /// Sends one query; the answer's `data` and `metadata`.
    async fn query(&self, key: &ApiKey, query: &str, html: &str) -> Result<QueryResponse> {
        let body = QueryRequest {
            query,
            html,
            params: QueryParams {
                mode: self.settings.mode,
            },
        };
        let policy = RetryPolicy::new(
            self.settings.max_retries,
            Duration::from_secs(self.settings.max_retry_wait_secs),
        );
        let endpoint = self.settings.endpoint();
        let response = send_with_retry(&policy, &ERRORS, || {
            self.http
                .post(&endpoint)
                .header("X-API-Key", key.expose())
                .json(&body)
        })
        .await?;
        let text = response.text().await.map_err(ERRORS.transport)?;
        serde_json::from_str(&text).map_err(|e| {
            agent_error(format!(
                "agentql agent: the answer is not a query-data response: {e}"
            ))
        })
    }
}

/// Errors after which nothing more can be done in this session.
fn is_fatal(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Browser | ErrorKind::Cancelled)
}

#[async_trait]
impl Agent for AgentQlAgent {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(
        &self,
        task: &AgentTask,
        session: &mut dyn BrowserSession,
    ) -> Result<AgentOutcome> {
        let key = ApiKey::resolve(
            Self::NAME,
            self.settings.api_key.as_ref(),
            self.settings.api_key_env.as_deref(),
        )?
        // validate() requires one of the two settings, so only a bug gets here.
        .ok_or_else(|| Error::internal("agentql agent: no API key configured"))?;
        let start = url::Url::parse(task.site_url.trim()).map_err(|e| {
            Error::validation(format!(
                "site url {:?} is not a valid URL: {e}",
                task.site_url
            ))
            .with_context("field", "site_url")
        })?;
        let mut log = Vec::new();
        let mut note = |level: LogLevel, message: String| {
            log.push(LogLine {
                at: Utc::now(),
                level,
                message,
            })
        };
        let timeout = Duration::from_secs(self.settings.navigation_timeout_secs);
        let nav = session
            .goto(start.as_str(), self.settings.wait_until, timeout)
            .await?;
        note(LogLevel::Info, format!("opened {}", nav.url));
        let html = session.html().await?;

        let (query_text, terms) = query::build(&task.output_fields);
        note(
            LogLevel::Info,
            format!(
                "query-data ({} mode, {} KB of HTML): {}",
                serde_json::to_value(self.settings.mode)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                html.len().div_ceil(1024),
                query_text.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        );
        let answer = self.query(&key, &query_text, &html).await?;
        if let Some(metadata) = answer.metadata.as_ref().filter(|m| !m.is_empty()) {
            note(
                LogLevel::Info,
                format!("AgentQL metadata: {}", Value::Object(metadata.clone())),
            );
        }
        let Some(data) = answer.data else {
            return Err(agent_error("agentql agent: the answer has no data object"));
        };
        let (values, notes) = query::read(&terms, &data);
        for message in notes {
            note(LogLevel::Warn, message);
        }

        let mut screenshots = Vec::new();
        if self.settings.screenshot {
            let format = ImageFormat::Jpeg(self.settings.screenshot_quality);
            match session.screenshot(format).await {
                Ok(bytes) => screenshots.push(Screenshot {
                    label: format!("queried page: {}", nav.url),
                    content_type: format.content_type().to_owned(),
                    bytes,
                }),
                Err(err) if is_fatal(&err) => return Err(err),
                Err(err) => note(LogLevel::Warn, format!("no screenshot: {err}")),
            }
        }
        let final_url = match session.current_url().await {
            Ok(url) => url,
            Err(err) => {
                warn!(error = %err, "current url unavailable; using the navigation's");
                nav.url.clone()
            }
        };
        let mut outcome = AgentOutcome::default();
        for (field, value) in &values {
            if value.is_some() {
                outcome.evidence.insert(
                    field.clone(),
                    Evidence {
                        rule: "agentql:query-data".to_owned(),
                        url: final_url.clone(),
                        snippet: None,
                    },
                );
            }
        }
        info!(
            site = %task.site_url,
            found = values.values().filter(|v| v.is_some()).count(),
            fields = values.len(),
            "agentql agent done"
        );
        Ok(AgentOutcome {
            values,
            log,
            screenshots,
            final_url: Some(final_url),
            ..outcome
        })
    }
}
