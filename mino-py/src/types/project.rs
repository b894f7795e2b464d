//! Projects, output fields and instruction versions.

use mino::model;

use super::Timestamp;
use crate::convert::{enum_name, Json};
use crate::records::record;

record! {
    /// A project: what to extract, how, and from which batches.
    Project {
        /// Its id.
        id: String,
        /// A short name.
        name: String,
        /// A longer description.
        description: String,
        /// The current instructions for the agent.
        instructions: String,
        /// The current output fields.
        output_fields: Vec<OutputField>,
        /// The agent used.
        agent: AgentConfig,
        /// Run settings.
        settings: ProjectSettings,
        /// The number of the current instruction version (starts at 1).
        instruction_version: u32,
        /// When it was created (UTC).
        created_at: Timestamp,
        /// When it last changed (UTC).
        updated_at: Timestamp,
    }
}

record! {
    /// One value the agent extracts from every site; its ground truth is the CSV column
    /// ``gt_<name>``.
    OutputField {
        /// The field name.
        name: String,
        /// What the field means, in words the agent can use.
        description: String,
        /// The value type: text, number, date, url, email, phone, boolean or list.
        r#type: String,
        /// An explicit CSS selector tried first, if any.
        selector: Option<String>,
        /// Comparator settings overriding the type's defaults, if any.
        comparator: Json,
    }
}

record! {
    /// Which agent a project uses, by name, with its settings.
    AgentConfig {
        /// Registry name: ``heuristic``, ``llm``, ``agentql``…
        name: String,
        /// Agent-specific settings.
        settings: Json,
    }
}

record! {
    /// Per-project run settings.
    ProjectSettings {
        /// Proxies rotated through, one per browser session.
        proxies: Vec<String>,
        /// Attempts per job before it fails for good (1–20).
        max_attempts: u32,
        /// Time limit of one attempt, in seconds.
        job_timeout_secs: u32,
        /// Whether an empty ground-truth cell means "must be empty" (else: not evaluated).
        empty_ground_truth_is_expected: bool,
    }
}

record! {
    /// One numbered version of a project's instructions and output fields.
    InstructionVersion {
        /// The project's id.
        project_id: String,
        /// 1, 2, 3…
        version: u32,
        /// The instructions of this version.
        instructions: String,
        /// The output fields of this version.
        output_fields: Vec<OutputField>,
        /// When this version was made (UTC).
        created_at: Timestamp,
    }
}

impl From<&model::OutputField> for OutputField {
    fn from(f: &model::OutputField) -> Self {
        OutputField {
            name: f.name.clone(),
            description: f.description.clone(),
            r#type: enum_name(&f.field_type),
            selector: f.selector.clone(),
            comparator: Json(f.comparator.clone()),
        }
    }
}

impl From<&model::AgentConfig> for AgentConfig {
    fn from(a: &model::AgentConfig) -> Self {
        AgentConfig {
            name: a.name.clone(),
            settings: Json(a.settings.clone()),
        }
    }
}

impl From<&model::ProjectSettings> for ProjectSettings {
    fn from(s: &model::ProjectSettings) -> Self {
        ProjectSettings {
            proxies: s.proxies.clone(),
            max_attempts: s.max_attempts,
            job_timeout_secs: s.job_timeout_secs,
            empty_ground_truth_is_expected: s.empty_ground_truth_is_expected,
        }
    }
}

impl From<&model::Project> for Project {
    fn from(p: &model::Project) -> Self {
        Project {
            id: p.id.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            instructions: p.instructions.clone(),
            output_fields: p.output_fields.iter().map(OutputField::from).collect(),
            agent: AgentConfig::from(&p.agent),
            settings: ProjectSettings::from(&p.settings),
            instruction_version: p.instruction_version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

impl From<&model::InstructionVersion> for InstructionVersion {
    fn from(v: &model::InstructionVersion) -> Self {
        InstructionVersion {
            project_id: v.project_id.to_string(),
            version: v.version,
            instructions: v.instructions.clone(),
            output_fields: v.output_fields.iter().map(OutputField::from).collect(),
            created_at: v.created_at,
        }
    }
}
