//! [`ApiKey`]: a provider key that never shows up in logs or debug output.

use std::fmt;

use mino_core::{Error, ErrorKind, Result};
use serde::Deserialize;

/// An API key. Its `Debug` and `Display` print `***`, so settings can be logged safely.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key from `api_key` or from the environment variable `api_key_env` (read now, so a
    /// worker uses its own environment). `agent` names the agent in messages. Neither given is
    /// `Ok(None)`; a variable that is unset or empty is a permanent
    /// [`Agent`](ErrorKind::Agent) error naming the variable.
    pub(crate) fn resolve(
        agent: &str,
        key: Option<&ApiKey>,
        env: Option<&str>,
    ) -> Result<Option<ApiKey>> {
        if let Some(key) = key {
            return Ok(Some(key.clone()));
        }
        let Some(var) = env else { return Ok(None) };
        match std::env::var(var) {
            Ok(value) if !value.trim().is_empty() => Ok(Some(ApiKey(value.trim().to_owned()))),
            _ => Err(Error::new(
                ErrorKind::Agent,
                format!(
                    "{agent} agent: the environment variable {var} (settings.api_key_env) is not set"
                ),
            )
            .with_context("env", var)),
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Checks the pair `api_key` / `api_key_env` of agent settings: at most one of them, no empty
/// key, and a variable name that can exist. Problems are
/// [`Validation`](ErrorKind::Validation) errors naming the setting.
pub(crate) fn validate_key_settings(
    agent: &str,
    key: Option<&ApiKey>,
    env: Option<&str>,
) -> Result<()> {
    let invalid = |field: &'static str, message: String| {
        Err(Error::validation(message).with_context("field", field))
    };
    if key.is_some() && env.is_some() {
        return invalid(
            "agent.settings.api_key",
            format!("{agent} agent: give either api_key or api_key_env, not both"),
        );
    }
    if key.is_some_and(|k| k.0.trim().is_empty()) {
        return invalid(
            "agent.settings.api_key",
            format!("{agent} agent: api_key is empty"),
        );
    }
    if let Some(var) = env {
        let valid = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return invalid(
                "agent.settings.api_key_env",
                format!("{agent} agent: api_key_env {var:?} is not an environment variable name"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_redacted_and_resolved() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(format!("{key:?} {key}"), "*** ***");
        assert_eq!(
            ApiKey::resolve("llm", Some(&key), None)
                .expect("key")
                .map(|k| k.expose().to_owned()),
            Some("sk-secret".to_owned())
        );
        assert!(ApiKey::resolve("llm", None, None).expect("none").is_none());
        let err = ApiKey::resolve("llm", None, Some("MINO_TEST_SURELY_UNSET_KEY"))
            .expect_err("unset variable");
        assert_eq!(err.kind(), ErrorKind::Agent);
        assert!(!err.is_transient());
        assert!(err.message().contains("MINO_TEST_SURELY_UNSET_KEY"));
    }

    #[test]
    fn key_settings_are_checked() {
        let key = ApiKey::new("k");
        assert!(validate_key_settings("llm", Some(&key), None).is_ok());
        assert!(validate_key_settings("llm", None, Some("OPENAI_API_KEY")).is_ok());
        for (key, env) in [
            (Some(ApiKey::new("k")), Some("A")),
            (Some(ApiKey::new(" ")), None),
            (None, Some("1BAD")),
            (None, Some("HAS SPACE")),
        ] {
            let err = validate_key_settings("llm", key.as_ref(), env).expect_err("invalid");
            assert_eq!(err.kind(), ErrorKind::Validation);
        }
    }
}
