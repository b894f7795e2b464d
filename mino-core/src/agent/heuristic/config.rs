//! Settings of the heuristic agent, as given in a project's agent config.

use serde::{Deserialize, Serialize};

use crate::browser::WaitUntil;
use crate::error::{Error, Result};

/// How the heuristic agent drives the browser. Every setting is optional; unknown settings
/// are rejected so that a typo does not silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeuristicSettings {
    /// Links followed at most while fields are missing (0–3, default 1).
    pub max_follow_links: u32,
    /// Time limit of each navigation in seconds (1–300, default 30).
    pub navigation_timeout_secs: u64,
    /// When a page counts as loaded (default `load`).
    pub wait_until: WaitUntil,
    /// Take a screenshot of the last page (default true).
    pub screenshot: bool,
    /// JPEG quality of the screenshot (1–100, default 70).
    pub screenshot_quality: u8,
}

impl Default for HeuristicSettings {
    fn default() -> Self {
        HeuristicSettings {
            max_follow_links: 1,
            navigation_timeout_secs: 30,
            wait_until: WaitUntil::Load,
            screenshot: true,
            screenshot_quality: 70,
        }
    }
}

impl HeuristicSettings {
    /// Reads settings from a project's JSON (`null` or `{}` means all defaults) and checks
    /// them; anything wrong is a [`Validation`](crate::ErrorKind::Validation) error.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        let settings: HeuristicSettings = if value.is_null() {
            HeuristicSettings::default()
        } else if !value.is_object() {
            return Err(
                Error::validation("heuristic agent settings must be a JSON object")
                    .with_context("field", "agent.settings"),
            );
        } else {
            serde_json::from_value(value.clone()).map_err(|e| {
                Error::validation(format!("invalid heuristic agent settings: {e}"))
                    .with_context("field", "agent.settings")
            })?
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every range.
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, field: &'static str, message: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::validation(message.to_owned()).with_context("field", field))
            }
        };
        check(
            self.max_follow_links <= 3,
            "agent.settings.max_follow_links",
            "max_follow_links must be between 0 and 3",
        )?;
        check(
            (1..=300).contains(&self.navigation_timeout_secs),
            "agent.settings.navigation_timeout_secs",
            "navigation_timeout_secs must be between 1 and 300",
        )?;
        check(
            (1..=100).contains(&self.screenshot_quality),
            "agent.settings.screenshot_quality",
            "screenshot_quality must be between 1 and 100",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            HeuristicSettings::from_json(&json!(null)).ok(),
            Some(HeuristicSettings::default())
        );
        let s = HeuristicSettings::from_json(
            &json!({"max_follow_links": 0, "wait_until": "network_idle"}),
        )
        .expect("valid settings");
        assert_eq!(s.max_follow_links, 0);
        assert_eq!(s.wait_until, WaitUntil::NetworkIdle);
    }

    #[test]
    fn bad_settings_are_validation_errors() {
        for bad in [
            json!({"max_follow_links": 9}),
            json!({"follow": 1}),
            json!({"screenshot_quality": 0}),
            json!([1]),
        ] {
            let err = HeuristicSettings::from_json(&bad).expect_err("invalid");
            assert_eq!(err.kind(), ErrorKind::Validation, "{bad}");
        }
    }
}
