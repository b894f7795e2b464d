//! Settings of the `llm` agent, as given in a project's agent config.

use serde::Deserialize;
use url::Url;

use crate::agents::secret::validate_key_settings;
use crate::agents::ApiKey;
use mino_core::model::Usage;
use mino_core::{Error, Result};

/// Prices of a model in US dollars per million tokens, for [`Usage::cost_usd`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// Dollars per million prompt tokens.
    pub input_per_million: f64,
    /// Dollars per million completion tokens.
    pub output_per_million: f64,
}

impl PriceTable {
    /// The cost of `tokens_in` prompt and `tokens_out` completion tokens.
    pub fn cost(&self, tokens_in: u64, tokens_out: u64) -> f64 {
        (tokens_in as f64 * self.input_per_million + tokens_out as f64 * self.output_per_million)
            / 1_000_000.0
    }

    /// `usage` with its cost computed from its tokens.
    pub fn priced(&self, usage: Usage) -> Usage {
        Usage {
            cost_usd: self.cost(usage.tokens_in, usage.tokens_out),
            ..usage
        }
    }
}

/// How the `llm` agent reaches its model and how far it may go. Only `model` is required;
/// unknown settings are rejected so that a typo does not silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// Base URL of an OpenAI-compatible API; requests go to `{base_url}/chat/completions`
    /// (default `https://api.openai.com/v1`).
    pub base_url: String,
    /// The model name sent with every request (required).
    pub model: String,
    /// The API key, sent as `Authorization: Bearer …`. Prefer `api_key_env`.
    pub api_key: Option<ApiKey>,
    /// The environment variable holding the API key, read when a run starts. With neither
    /// key setting no `Authorization` header is sent (local servers).
    pub api_key_env: Option<String>,
    /// Sampling temperature (0–2); the provider's default when absent.
    pub temperature: Option<f64>,
    /// Model calls per run at most (1–100, default 12). A repair round counts as a call.
    pub max_steps: u32,
    /// Prompt plus completion tokens per run at most (default 200 000).
    pub max_tokens_total: u64,
    /// Time limit of one model request in seconds (1–600, default 60).
    pub request_timeout_secs: u64,
    /// Prices for the cost in [`Usage::cost_usd`]; cost 0 when absent.
    pub price: Option<PriceTable>,
    /// Characters of visible page text shown to the model per step (200–100 000, default 6000).
    pub max_text_chars: usize,
    /// Interactive elements listed per step (1–500, default 60).
    pub max_elements: usize,
    /// Time limit of a navigation (and of the page settling after a click) in seconds
    /// (1–300, default 30).
    pub navigation_timeout_secs: u64,
    /// Retries of a rate-limited (429) or failing (5xx) model request (0–10, default 3).
    pub max_retries: u32,
    /// The longest `Retry-After` waited for inside a run, in seconds (0–600, default 60);
    /// longer requests fail the run with a transient error for the engine to retry later.
    pub max_retry_wait_secs: u64,
    /// JPEG quality of the screenshot taken after every step (1–100, default 60).
    pub screenshot_quality: u8,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            base_url: "https://api.openai.com/v1".to_owned(),
            model: String::new(),
            api_key: None,
            api_key_env: None,
            temperature: None,
            max_steps: 12,
            max_tokens_total: 200_000,
            request_timeout_secs: 60,
            price: None,
            max_text_chars: 6000,
            max_elements: 60,
            navigation_timeout_secs: 30,
            max_retries: 3,
            max_retry_wait_secs: 60,
            screenshot_quality: 60,
        }
    }
}

impl LlmSettings {
    /// Reads settings from a project's JSON and checks them; anything wrong is a
    /// [`Validation`](mino_core::ErrorKind::Validation) error naming the setting.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::validation(
                "llm agent settings must be a JSON object with at least \"model\"",
            )
            .with_context("field", "agent.settings"));
        }
        let settings: LlmSettings = serde_json::from_value(value.clone()).map_err(|e| {
            Error::validation(format!("invalid llm agent settings: {e}"))
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
                Err(Error::validation(format!("llm agent: {message}")).with_context("field", field))
            }
        };
        check(
            !self.model.trim().is_empty(),
            "agent.settings.model",
            "model is required",
        )?;
        check(
            Url::parse(&self.base_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")),
            "agent.settings.base_url",
            "base_url must be an http(s) URL",
        )?;
        validate_key_settings("llm", self.api_key.as_ref(), self.api_key_env.as_deref())?;
        check(
            self.temperature
                .is_none_or(|t| t.is_finite() && (0.0..=2.0).contains(&t)),
            "agent.settings.temperature",
            "temperature must be between 0 and 2",
        )?;
        check(
            (1..=100).contains(&self.max_steps),
            "agent.settings.max_steps",
            "max_steps must be between 1 and 100",
        )?;
        check(
            self.max_tokens_total >= 1000,
            "agent.settings.max_tokens_total",
            "max_tokens_total must be at least 1000",
        )?;
        check(
            (1..=600).contains(&self.request_timeout_secs),
            "agent.settings.request_timeout_secs",
            "request_timeout_secs must be between 1 and 600",
        )?;
        check(
            self.price.is_none_or(|p| {
                [p.input_per_million, p.output_per_million]
                    .iter()
                    .all(|v| v.is_finite() && *v >= 0.0)
            }),
            "agent.settings.price",
            "prices must be non-negative numbers",
        )?;
        check(
            (200..=100_000).contains(&self.max_text_chars),
            "agent.settings.max_text_chars",
            "max_text_chars must be between 200 and 100000",
        )?;
        check(
            (1..=500).contains(&self.max_elements),
            "agent.settings.max_elements",
            "max_elements must be between 1 and 500",
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

    /// `{base_url}/chat/completions`.
    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mino_core::ErrorKind;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        let s = LlmSettings::from_json(&json!({
            "model": "m",
            "base_url": "http://127.0.0.1:9/v1/",
            "price": {"input_per_million": 2.0, "output_per_million": 8.0}
        }))
        .expect("valid");
        assert_eq!(s.max_steps, 12);
        assert_eq!(s.endpoint(), "http://127.0.0.1:9/v1/chat/completions");
        let price = s.price.expect("price");
        assert!((price.cost(1_000_000, 500_000) - 6.0).abs() < 1e-9);
    }

    #[test]
    fn bad_settings_are_validation_errors() {
        for bad in [
            json!(null),
            json!({}),
            json!({"model": "m", "max_steps": 0}),
            json!({"model": "m", "base_url": "ftp://x"}),
            json!({"model": "m", "temperature": 3.5}),
            json!({"model": "m", "price": {"input_per_million": -1, "output_per_million": 1}}),
            json!({"model": "m", "price": {"input": 1}}),
            json!({"model": "m", "api_key": "k", "api_key_env": "K"}),
            json!({"model": "m", "max_setps": 3}),
            json!({"model": "m", "max_text_chars": 10}),
        ] {
            let err = LlmSettings::from_json(&bad).expect_err("invalid");
            assert_eq!(err.kind(), ErrorKind::Validation, "{bad}");
        }
    }
}
