//! The network agents of this crate (`llm`, `agentql`) and what they share.
//!
//! [`register_agents`] adds every agent this build has to an [`AgentRegistry`], next to the
//! built-in `heuristic` one. The submodules hold what both agents need: [`ApiKey`] and the
//! provider HTTP plumbing (retries honouring `Retry-After`).

use mino_core::agent::AgentRegistry;

#[cfg(any(feature = "llm", feature = "agentql"))]
mod http;
#[cfg(any(feature = "llm", feature = "agentql"))]
pub(crate) mod secret;

#[cfg(any(feature = "llm", feature = "agentql"))]
pub(crate) use http::{send_with_retry, ProviderErrors, RetryPolicy};
#[cfg(any(feature = "llm", feature = "agentql"))]
pub use secret::ApiKey;

/// Registers the agents of this build in `registry`: `llm` with the feature `llm`, `agentql`
/// with the feature `agentql`. An agent already registered under one of these names is
/// replaced. Bad settings make [`AgentRegistry::create`] fail with a
/// [`Validation`](mino_core::ErrorKind::Validation) error.
pub fn register_agents(registry: &mut AgentRegistry) {
    #[cfg(feature = "llm")]
    registry.register(crate::llm::LlmAgent::NAME, |settings| {
        Ok(
            std::sync::Arc::new(crate::llm::LlmAgent::from_json(settings)?)
                as mino_core::agent::DynAgent,
        )
    });
    #[cfg(feature = "agentql")]
    registry.register(crate::agentql::AgentQlAgent::NAME, |settings| {
        Ok(
            std::sync::Arc::new(crate::agentql::AgentQlAgent::from_json(settings)?)
                as mino_core::agent::DynAgent,
        )
    });
    // Without either feature there is nothing to add.
    #[cfg(not(any(feature = "llm", feature = "agentql")))]
    let _ = registry;
}

#[cfg(all(test, feature = "llm", feature = "agentql"))]
mod tests {
    use super::*;
    use mino_core::ErrorKind;
    use serde_json::json;

    fn registry() -> AgentRegistry {
        let mut registry = AgentRegistry::default();
        register_agents(&mut registry);
        registry
    }

    #[test]
    fn both_agents_are_built_from_json_settings() {
        let registry = registry();
        assert_eq!(registry.names(), ["agentql", "heuristic", "llm"]);
        let llm = registry
            .create(
                "llm",
                &json!({"model": "gpt-test", "base_url": "http://127.0.0.1:1/v1",
                        "api_key_env": "MINO_TEST_LLM_KEY", "max_steps": 5,
                        "price": {"input_per_million": 1.0, "output_per_million": 2.0}}),
            )
            .expect("llm agent");
        assert_eq!(llm.name(), "llm");
        let agentql = registry
            .create("agentql", &json!({"api_key": "aq-key", "mode": "standard"}))
            .expect("agentql agent");
        assert_eq!(agentql.name(), "agentql");
        // The key never shows in debug output.
        assert!(!format!("{agentql:?}").contains("aq-key"));
    }

    #[test]
    fn bad_settings_are_validation_errors_naming_the_agent() {
        let registry = registry();
        for (name, settings) in [
            ("llm", json!({})),
            ("llm", json!({"model": "m", "max_steps": "many"})),
            ("llm", json!({"model": "m", "tempreature": 0.2})),
            ("llm", json!("gpt")),
            ("agentql", json!({})),
            ("agentql", json!({"api_key": "k", "mode": "thorough"})),
            ("agentql", json!({"api_key_env": "not a name"})),
        ] {
            let err = registry.create(name, &settings).expect_err("invalid");
            assert_eq!(err.kind(), ErrorKind::Validation, "{name} {settings}");
            assert_eq!(err.context_value("agent"), Some(name));
        }
    }
}
