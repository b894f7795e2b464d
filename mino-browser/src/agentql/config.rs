//! Settings of the `agentql` agent, as given in a project's agent config.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::agents::secret::validate_key_settings;
use crate::agents::ApiKey;
use mino_core::browser::WaitUntil;
use mino_core::{Error, Result};

/// AgentQL's extraction mode (`params.mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryMode {
    /// Quicker, adequate for most pages (AgentQL's default).
    #[default]
    Fast,
    /// Deeper analysis, slower.
    Standard,
}

/// How the `agentql` agent reaches the AgentQL REST API. An API key (`api_key` or
/// `api_key_env`) is required; unknown settings are rejected.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentQlSettings {
    /// Base URL of the API; queries go to `{base_url}/v1/query-data`
    /// (default `https://api.agentql.com`).
    pub base_url: String,
    /// The API key, sent as `X-API-Key`. Prefer `api_key_env`.
    pub api_key: Option<ApiKey>,
    /// The environment variable holding the API key, read when a run starts.
    pub api_key_env: Option<String>,
    /// Time limit of one query in seconds (1–900, default 120).
    pub timeout_secs: u64,
    /// Extraction mode (default `fast`).
    pub mode: QueryMode,
    /// Time limit of the navigation to the site in seconds (1–300, default 30).
    pub navigation_timeout_secs: u64,
    /// When the page counts as loaded before its HTML is taken (default `load`).
    pub wait_until: WaitUntil,
    /// Retries of a rate-limited (429) or failing (5xx) query (0–10, default 3).
    pub max_retries: u32,
    /// The longest `Retry-After` waited for inside a run, in seconds (0–600, default 60).
    pub max_retry_wait_secs: u64,
    /// Take a screenshot of the page (default true).
    pub screenshot: bool,
    /// JPEG quality of the screenshot (1–100, default 70).
    pub screenshot_quality: u8,
}

impl Default for AgentQlSettings {
    fn default() -> Self {
        AgentQlSettings {
            base_url: "https://api.agentql.com".to_owned(),
            api_key: None,
            api_key_env: None,
            timeout_secs: 120,
            mode: QueryMode::Fast,
            navigation_timeout_secs: 30,
            wait_until: WaitUntil::Load,
            max_retries: 3,
            max_retry_wait_secs: 60,
            screenshot: true,
            screenshot_quality: 70,
        }
    }
}

impl AgentQlSettings {
    /// Reads settings from a project's JSON and checks them; anything wrong is a
    /// [`Validation`](mino_core::ErrorKind::Validation) error naming the setting.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::validation(
                "agentql agent settings must be a JSON object with api_key or api_key_env",
            )
            .with_context("field", "agent.settings"));
        }
        let settings: AgentQlSettings = serde_json::from_value(value.clone()).map_err(|e| {
            Error::validation(format!("invalid agentql agent settings: {e}"))
                .with_context("field", "agent.settings")
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, field: &'static str, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::validation(format!("agentql agent: {message}"))
                    .with_context("field", field))
            }
        };
        check(
            Url::parse(&self.base_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")),
            "agent.settings.base_url",
            "base_url must be an http(s) URL",
        )?;
        validate_key_settings(
            "agentql",
            self.api_key.as_ref(),
            self.api_key_env.as_deref(),
        )?;
        check(
            self.api_key.is_some() || self.api_key_env.is_some(),
            "agent.settings.api_key",
            "an API key is required: set api_key_env (or api_key)",
        )?;
        check(
            (1..=900).contains(&self.timeout_secs),
            "agent.settings.timeout_secs",
            "timeout_secs must be between 1 and 900",
        )?;
        check(
            (1..=300).contains(&self.navigation_timeout_secs),
            "agent.settings.navigation_timeout_secs",
            "navigation_timeout_secs must be between 1 and 300",
        )?;
        check(
            self.max_retries <= 10,
            "agent.settings.max_retries",
            "max_retries must be between 0 and 10",
        )?;
        check(
            self.max_retry_wait_secs <= 600,
            "agent.settings.max_retry_wait_secs",
            "max_retry_wait_secs must be between 0 and 600",
        )?;
        check(
            (1..=100).contains(&self.screenshot_quality),
            "agent.settings.screenshot_quality",
            "screenshot_quality must be between 1 and 100",
        )
    }

    /// `{base_url}/v1/query-data`.
    pub fn endpoint(&self) -> String {
        format!("{}/v1/query-data", self.base_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mino_core::ErrorKind;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        let s =
            AgentQlSettings::from_json(&json!({"api_key_env": "AGENTQL_API_KEY"})).expect("valid");
        assert_eq!(s.endpoint(), "https://api.agentql.com/v1/query-data");
        assert_eq!(s.mode, QueryMode::Fast);
        let s = AgentQlSettings::from_json(
            &json!({"api_key": "k", "mode": "standard", "base_url": "http://127.0.0.1:1/"}),
        )
        .expect("valid");
        assert_eq!(s.mode, QueryMode::Standard);
        assert_eq!(s.endpoint(), "http://127.0.0.1:1/v1/query-data");
    }

    #[test]
    fn bad_settings_are_validation_errors() {
        for bad in [
            json!(null),
            json!({}),
            json!({"api_key": "k", "mode": "slow"}),
            json!({"api_key": "k", "timeout_secs": 0}),
            json!({"api_key": "k", "base_url": "not a url"}),
            json!({"api_key": "k", "api_key_env": "K"}),
            json!({"api_key": "k", "timeout": 3}),
        ] {
            let err = AgentQlSettings::from_json(&bad).expect_err("invalid");
            assert_eq!(err.kind(), ErrorKind::Validation, "{bad}");
        }
    }
}
