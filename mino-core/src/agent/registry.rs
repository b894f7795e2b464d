//! [`AgentRegistry`]: agents by name, built from a project's JSON settings.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::heuristic::HeuristicAgent;
use super::DynAgent;
use crate::error::{Error, Result};
use crate::model::AgentConfig;

/// Builds an agent from its JSON settings; bad settings are a
/// [`Validation`](crate::ErrorKind::Validation) error.
pub type AgentFactory = Arc<dyn Fn(&serde_json::Value) -> Result<DynAgent> + Send + Sync>;

/// Agents by registry name. [`AgentRegistry::default`] knows the built-in `heuristic`;
/// adapters (`llm`, `agentql`) and plugins add theirs with [`AgentRegistry::register`].
#[derive(Clone)]
pub struct AgentRegistry {
    factories: BTreeMap<String, AgentFactory>,
}

impl fmt::Debug for AgentRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentRegistry")
            .field("names", &self.names())
            .finish()
    }
}

impl Default for AgentRegistry {
    fn default() -> Self {
        let mut registry = AgentRegistry::empty();
        registry.register(HeuristicAgent::NAME, |settings| {
            Ok(Arc::new(HeuristicAgent::from_json(settings)?) as DynAgent)
        });
        registry
    }
}

impl AgentRegistry {
    /// A registry with the built-in agents.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with no agents at all.
    pub fn empty() -> Self {
        AgentRegistry {
            factories: BTreeMap::new(),
        }
    }

    /// Registers `factory` under `name`, replacing an agent of that name; returns whether one
    /// was replaced.
    pub fn register<F>(&mut self, name: impl Into<String>, factory: F) -> bool
    where
        F: Fn(&serde_json::Value) -> Result<DynAgent> + Send + Sync + 'static,
    {
        self.factories
            .insert(name.into(), Arc::new(factory))
            .is_some()
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.factories.keys().map(String::as_str).collect()
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    /// Builds the agent `name` with `settings`. An unknown name is a
    /// [`Validation`](crate::ErrorKind::Validation) error listing the known names; so are
    /// settings the agent does not accept.
    pub fn create(&self, name: &str, settings: &serde_json::Value) -> Result<DynAgent> {
        let Some(factory) = self.factories.get(name) else {
            let known = self.names().join(", ");
            return Err(Error::validation(format!(
                "unknown agent {name:?}; known agents: {known}"
            ))
            .with_context("field", "agent.name")
            .with_context("known", known));
        };
        factory(settings).map_err(|e| e.with_context("agent", name.to_owned()))
    }

    /// Builds the agent a project is configured with.
    pub fn create_from(&self, config: &AgentConfig) -> Result<DynAgent> {
        self.create(&config.name, &config.settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn heuristic_is_there_by_default() {
        let registry = AgentRegistry::default();
        assert_eq!(registry.names(), ["heuristic"]);
        let agent = registry
            .create_from(&AgentConfig::default())
            .expect("default agent");
        assert_eq!(agent.name(), "heuristic");
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = AgentRegistry::default()
            .create("gpt", &json!({}))
            .expect_err("unknown");
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert!(err.message().contains("heuristic"));
        assert_eq!(err.context_value("known"), Some("heuristic"));
    }

    #[test]
    fn bad_settings_are_validation_errors() {
        let err = AgentRegistry::default()
            .create("heuristic", &json!({"max_follow_links": "many"}))
            .expect_err("bad settings");
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.context_value("agent"), Some("heuristic"));
    }

    #[test]
    fn plugins_register_and_replace() {
        let mut registry = AgentRegistry::empty();
        assert!(!registry.register("mine", |_| Ok(
            Arc::new(HeuristicAgent::default()) as DynAgent
        )));
        assert!(registry.register("mine", |_| Err(Error::validation("nope"))));
        assert!(registry.contains("mine"));
        assert!(registry.create("mine", &json!(null)).is_err());
    }
}
