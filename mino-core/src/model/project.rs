//! Projects, output fields and instruction versions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::ProjectId;
use crate::error::{Error, Result};

/// The type of an output field; it picks the comparator used against ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    #[default]
    Text,
    /// A number (prices, counts); currency and separators are folded.
    Number,
    /// A calendar date.
    Date,
    /// A URL.
    Url,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// Yes/no.
    Boolean,
    /// A list of values, order-insensitive.
    List,
}

/// One value the agent must extract from every site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutputField {
    /// The field name; ground truth for it lives in the CSV column `gt_<name>`.
    pub name: String,
    /// What the field means, in words the agent can use.
    #[serde(default)]
    pub description: String,
    /// The value type.
    #[serde(default, rename = "type")]
    pub field_type: FieldType,
    /// An explicit CSS selector to read the value from, tried first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Comparator settings overriding the defaults of the field type (see the evaluation module).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub comparator: serde_json::Value,
}

impl OutputField {
    /// A text field with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        OutputField {
            name: name.into(),
            description: String::new(),
            field_type: FieldType::Text,
            selector: None,
            comparator: serde_json::Value::Null,
        }
    }
}

/// Which agent a project uses, by registry name, with its JSON settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentConfig {
    /// Registry name: `heuristic` (default), `llm`, `agentql`, or a plugin's name.
    pub name: String,
    /// Agent-specific settings.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            name: "heuristic".to_owned(),
            settings: serde_json::Value::Object(Default::default()),
        }
    }
}

/// Per-project run settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ProjectSettings {
    /// Proxies to rotate through, one per browser session (e.g. `http://host:3128`).
    pub proxies: Vec<String>,
    /// Attempts per job before it fails for good (1–20).
    pub max_attempts: u32,
    /// Time limit of one attempt, in seconds (1–3600).
    pub job_timeout_secs: u32,
    /// When true, an empty ground-truth cell means "must be empty" instead of "not evaluated".
    pub empty_ground_truth_is_expected: bool,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            proxies: Vec::new(),
            max_attempts: 5,
            job_timeout_secs: 120,
            empty_ground_truth_is_expected: false,
        }
    }
}

impl ProjectSettings {
    /// Checks every range.
    pub fn validate(&self) -> Result<()> {
        if !(1..=20).contains(&self.max_attempts) {
            return Err(Error::validation("max_attempts must be between 1 and 20")
                .with_context("field", "settings.max_attempts"));
        }
        if !(1..=3600).contains(&self.job_timeout_secs) {
            return Err(
                Error::validation("job_timeout_secs must be between 1 and 3600")
                    .with_context("field", "settings.job_timeout_secs"),
            );
        }
        Ok(())
    }
}

/// A project: what to extract, how, and from which batches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// A short name.
    pub name: String,
    /// A longer description.
    pub description: String,
    /// The current instructions for the agent.
    pub instructions: String,
    /// The current output fields.
    pub output_fields: Vec<OutputField>,
    /// The agent used.
    pub agent: AgentConfig,
    /// Run settings.
    pub settings: ProjectSettings,
    /// The number of the current instruction version (starts at 1).
    pub instruction_version: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Input for creating a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProject {
    /// A short name (1–200 characters).
    pub name: String,
    /// A longer description.
    #[serde(default)]
    pub description: String,
    /// Instructions for the agent.
    #[serde(default)]
    pub instructions: String,
    /// Output fields (names unique, 1–100 of them allowed to be empty until the first run).
    #[serde(default)]
    pub output_fields: Vec<OutputField>,
    /// The agent.
    #[serde(default)]
    pub agent: AgentConfig,
    /// Run settings.
    #[serde(default)]
    pub settings: ProjectSettings,
}

impl NewProject {
    /// A project with a name and defaults everywhere else.
    pub fn named(name: impl Into<String>) -> Self {
        NewProject {
            name: name.into(),
            description: String::new(),
            instructions: String::new(),
            output_fields: Vec::new(),
            agent: AgentConfig::default(),
            settings: ProjectSettings::default(),
        }
    }

    /// Checks name length, field names and settings.
    pub fn validate(&self) -> Result<()> {
        validate_name(&self.name)?;
        validate_output_fields(&self.output_fields)?;
        self.settings.validate()
    }
}

/// A partial update of a project; `None` leaves a value as it is.
///
/// Changing `instructions` or `output_fields` creates a new instruction version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectUpdate {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New instructions.
    #[serde(default)]
    pub instructions: Option<String>,
    /// New output fields.
    #[serde(default)]
    pub output_fields: Option<Vec<OutputField>>,
    /// New agent.
    #[serde(default)]
    pub agent: Option<AgentConfig>,
    /// New settings.
    #[serde(default)]
    pub settings: Option<ProjectSettings>,
}

impl ProjectUpdate {
    /// Checks every value that is set.
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.name {
            validate_name(name)?;
        }
        if let Some(fields) = &self.output_fields {
            validate_output_fields(fields)?;
        }
        if let Some(settings) = &self.settings {
            settings.validate()?;
        }
        Ok(())
    }
}

/// One numbered version of a project's instructions and output fields. Versions are never
/// changed or deleted while the project exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstructionVersion {
    /// The project.
    pub project_id: ProjectId,
    /// 1, 2, 3…
    pub version: u32,
    /// The instructions of this version.
    pub instructions: String,
    /// The output fields of this version.
    pub output_fields: Vec<OutputField>,
    /// When this version was made.
    pub created_at: DateTime<Utc>,
}

fn validate_name(name: &str) -> Result<()> {
    let len = name.trim().chars().count();
    if len == 0 || len > 200 {
        return Err(
            Error::validation("name must be between 1 and 200 characters")
                .with_context("field", "name"),
        );
    }
    Ok(())
}

/// Checks that field names are non-empty, unique, at most 100 of them, and usable as `gt_` suffixes.
pub fn validate_output_fields(fields: &[OutputField]) -> Result<()> {
    if fields.len() > 100 {
        return Err(Error::validation("at most 100 output fields are allowed")
            .with_context("field", "output_fields"));
    }
    let mut seen = std::collections::HashSet::new();
    for field in fields {
        let name = field.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::validation(
                "output field names must be between 1 and 100 characters",
            )
            .with_context("field", "output_fields"));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(
                Error::validation(format!("output field {name:?} is defined twice"))
                    .with_context("field", "output_fields"),
            );
        }
    }
    Ok(())
}
