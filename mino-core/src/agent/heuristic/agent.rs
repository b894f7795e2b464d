//! The heuristic agent on a browser session: open the site, read the page, follow a link if
//! a field is missing, take one screenshot.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tracing::{info, warn};
use url::Url;

use super::config::HeuristicSettings;
use super::site::{LogEntry, SiteRun};
use crate::agent::{Agent, AgentOutcome, AgentTask, Screenshot};
use crate::browser::{BrowserSession, ImageFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{LogLevel, LogLine, Usage};

/// The built-in agent: offline, deterministic, no model. It reads structured data, labels,
/// typed patterns and headings (see the [module docs](super)).
#[derive(Debug, Clone, Default)]
pub struct HeuristicAgent {
    settings: HeuristicSettings,
}

impl HeuristicAgent {
    /// The registry name.
    pub const NAME: &'static str = "heuristic";

    /// An agent with these settings (checked).
    pub fn new(settings: HeuristicSettings) -> Result<Self> {
        settings.validate()?;
        Ok(HeuristicAgent { settings })
    }

    /// An agent from a project's JSON settings.
    pub fn from_json(settings: &serde_json::Value) -> Result<Self> {
        Ok(HeuristicAgent {
            settings: HeuristicSettings::from_json(settings)?,
        })
    }

    /// Its settings.
    pub fn settings(&self) -> &HeuristicSettings {
        &self.settings
    }
}

/// Errors after which nothing more can be done in this session.
fn is_fatal(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Browser | ErrorKind::Cancelled)
}

#[async_trait]
impl Agent for HeuristicAgent {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(
        &self,
        task: &AgentTask,
        session: &mut dyn BrowserSession,
    ) -> Result<AgentOutcome> {
        let start = Url::parse(task.site_url.trim()).map_err(|e| {
            Error::validation(format!(
                "site url {:?} is not a valid URL: {e}",
                task.site_url
            ))
            .with_context("field", "site_url")
        })?;
        let timeout = Duration::from_secs(self.settings.navigation_timeout_secs);
        let wait = self.settings.wait_until;

        let nav = session.goto(start.as_str(), wait, timeout).await?;
        let html = session.html().await?;
        let mut run = SiteRun::for_task(task, self.settings.max_follow_links);
        let mut last_url = nav.url.clone();
        let mut next = run.visit(&html, &nav.url);
        while let Some(link) = next.take() {
            match session.goto(&link, wait, timeout).await {
                Ok(nav) => {
                    let html = session.html().await?;
                    last_url = nav.url.clone();
                    next = run.visit(&html, &nav.url);
                }
                Err(err) if is_fatal(&err) => return Err(err),
                // The first page's values stand; a broken link costs only what it promised.
                Err(err) => run.follow_failed(&link, &err.to_string()),
            }
        }
        let extraction = run.finish();
        let mut log = extraction.log;

        let mut screenshots = Vec::new();
        if self.settings.screenshot {
            let format = ImageFormat::Jpeg(self.settings.screenshot_quality);
            match session.screenshot(format).await {
                Ok(bytes) => screenshots.push(Screenshot {
                    label: format!("final page: {last_url}"),
                    content_type: format.content_type().to_owned(),
                    bytes,
                }),
                Err(err) if is_fatal(&err) => return Err(err),
                Err(err) => {
                    let level = if err.kind() == ErrorKind::Unsupported {
                        LogLevel::Info
                    } else {
                        LogLevel::Warn
                    };
                    log.push(LogEntry {
                        level,
                        message: format!("no screenshot: {err}"),
                    });
                }
            }
        }
        let final_url = match session.current_url().await {
            Ok(url) => url,
            Err(err) => {
                warn!(error = %err, "current url unavailable; using the last navigation");
                last_url
            }
        };

        let found = extraction.values.values().filter(|v| v.is_some()).count();
        info!(
            site = %task.site_url,
            found,
            fields = extraction.values.len(),
            pages = extraction.visited.len(),
            "heuristic agent done"
        );
        let now = Utc::now();
        Ok(AgentOutcome {
            values: extraction.values,
            evidence: extraction.evidence,
            log: log
                .into_iter()
                .map(|e| LogLine {
                    at: now,
                    level: e.level,
                    message: e.message,
                })
                .collect(),
            screenshots,
            usage: Usage::default(),
            final_url: Some(final_url),
        })
    }
}
