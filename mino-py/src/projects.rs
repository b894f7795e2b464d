//! Projects and instruction versions.

use mino::model::{self, NewProject, ProjectId, ProjectUpdate};
use mino::store::PageRequest;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::{from_py, id_of};
use crate::errors::validation;
use crate::paging::PageIterator;
use crate::platform::{agent_config, Platform};
use crate::runtime::run;
use crate::types::{InstructionVersion, Project};

/// Output fields from a list of names, dicts (`{"name", "description", "type", "selector",
/// "comparator"}`) or `OutputField` records.
fn output_fields(arg: &Bound<'_, PyAny>) -> PyResult<Vec<model::OutputField>> {
    if arg.is_instance_of::<PyString>() {
        return Err(validation(
            arg.py(),
            "fields must be a list of field names or dicts, not one string",
            "output_fields",
        ));
    }
    let mut fields = Vec::new();
    for item in arg.try_iter()? {
        let item = item?;
        match item.cast::<PyString>() {
            Ok(name) => fields.push(model::OutputField::named(name.to_cow()?.trim())),
            Err(_) => fields.push(from_py(&item, "output_fields")?),
        }
    }
    Ok(fields)
}

/// Settings from the keyword arguments, over `base`.
fn settings(
    base: model::ProjectSettings,
    max_attempts: Option<u32>,
    job_timeout_secs: Option<u32>,
    proxies: Option<Vec<String>>,
    empty_ground_truth_is_expected: Option<bool>,
) -> model::ProjectSettings {
    model::ProjectSettings {
        max_attempts: max_attempts.unwrap_or(base.max_attempts),
        job_timeout_secs: job_timeout_secs.unwrap_or(base.job_timeout_secs),
        proxies: proxies.unwrap_or(base.proxies),
        empty_ground_truth_is_expected: empty_ground_truth_is_expected
            .unwrap_or(base.empty_ground_truth_is_expected),
    }
}

#[pymethods]
impl Platform {
    /// Creates a project (its instruction version 1).
    ///
    /// ``fields`` lists what the agent extracts: names, or dicts with ``name`` and optionally
    /// ``description``, ``type`` (text, number, date, url, email, phone, boolean, list),
    /// ``selector`` and ``comparator``. ``agent`` defaults to the platform's agent.
    /// A ``ValidationError`` for a bad name, duplicate fields, an unknown agent or settings
    /// out of range.
    #[pyo3(signature = (name, *, instructions = "", fields = None, description = "", agent = None, max_attempts = None, job_timeout_secs = None, proxies = None, empty_ground_truth_is_expected = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_project(
        &self,
        py: Python<'_>,
        name: &str,
        instructions: &str,
        fields: Option<&Bound<'_, PyAny>>,
        description: &str,
        agent: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<u32>,
        job_timeout_secs: Option<u32>,
        proxies: Option<Vec<String>>,
        empty_ground_truth_is_expected: Option<bool>,
    ) -> PyResult<Project> {
        let platform = self.core()?;
        let mut new = NewProject::named(name);
        new.instructions = instructions.to_owned();
        new.description = description.to_owned();
        if let Some(fields) = fields {
            new.output_fields = output_fields(fields)?;
        }
        new.agent = match agent {
            Some(agent) if !agent.is_none() => agent_config(agent)?,
            _ => self.default_agent().clone(),
        };
        new.settings = settings(
            new.settings,
            max_attempts,
            job_timeout_secs,
            proxies,
            empty_ground_truth_is_expected,
        );
        let project = run(py, async move { platform.create_project(new).await })?;
        Ok(Project::from(&project))
    }

    /// Gets a project by id. A ``NotFoundError`` when there is none.
    fn project(&self, py: Python<'_>, project: &Bound<'_, PyAny>) -> PyResult<Project> {
        let id: ProjectId = id_of(project)?;
        let platform = self.core()?;
        let project = run(py, async move { platform.project(id).await })?;
        Ok(Project::from(&project))
    }

    /// Every project, oldest first, fetched ``page_size`` at a time as you iterate.
    #[pyo3(signature = (*, page_size = 50))]
    fn projects(slf: &Bound<'_, Self>, page_size: u32) -> PyResult<PageIterator> {
        PageIterator::new(slf, page_size, None, move |platform, page| {
            Box::pin(async move {
                let page = platform.projects(page).await?;
                Ok(page.map(|p| crate::paging::Item::Project(Project::from(&p))))
            })
        })
    }

    /// Changes a project; only the arguments given change. New ``instructions`` or ``fields``
    /// make a new instruction version; new fields or settings score every job again against
    /// its ground truth (no agent runs).
    #[pyo3(signature = (project, *, name = None, description = None, instructions = None, fields = None, agent = None, max_attempts = None, job_timeout_secs = None, proxies = None, empty_ground_truth_is_expected = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_project(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        name: Option<String>,
        description: Option<String>,
        instructions: Option<String>,
        fields: Option<&Bound<'_, PyAny>>,
        agent: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<u32>,
        job_timeout_secs: Option<u32>,
        proxies: Option<Vec<String>>,
        empty_ground_truth_is_expected: Option<bool>,
    ) -> PyResult<Project> {
        let id: ProjectId = id_of(project)?;
        let platform = self.core()?;
        let mut update = ProjectUpdate {
            name,
            description,
            instructions,
            ..ProjectUpdate::default()
        };
        if let Some(fields) = fields {
            update.output_fields = Some(output_fields(fields)?);
        }
        if let Some(agent) = agent {
            update.agent = Some(agent_config(agent)?);
        }
        let settings_changed = max_attempts.is_some()
            || job_timeout_secs.is_some()
            || proxies.is_some()
            || empty_ground_truth_is_expected.is_some();
        let project = run(py, async move {
            if settings_changed {
                let current = platform.project(id).await?;
                update.settings = Some(settings(
                    current.settings,
                    max_attempts,
                    job_timeout_secs,
                    proxies,
                    empty_ground_truth_is_expected,
                ));
            }
            platform.update_project(id, update).await
        })?;
        Ok(Project::from(&project))
    }

    /// Sets new instructions (and optionally new output fields): a new instruction version.
    #[pyo3(signature = (project, instructions, *, fields = None))]
    fn update_instructions(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        instructions: String,
        fields: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Project> {
        let id: ProjectId = id_of(project)?;
        let platform = self.core()?;
        let update = ProjectUpdate {
            instructions: Some(instructions),
            output_fields: fields.map(output_fields).transpose()?,
            ..ProjectUpdate::default()
        };
        let project = run(py, async move { platform.update_project(id, update).await })?;
        Ok(Project::from(&project))
    }

    /// Deletes a project and everything under it. A ``ConflictError`` while one of its
    /// executions is active.
    fn delete_project(&self, py: Python<'_>, project: &Bound<'_, PyAny>) -> PyResult<()> {
        let id: ProjectId = id_of(project)?;
        let platform = self.core()?;
        run(py, async move { platform.delete_project(id).await })
    }

    /// A project's instruction versions, oldest first, fetched lazily.
    #[pyo3(signature = (project, *, page_size = 50))]
    fn instruction_versions(
        slf: &Bound<'_, Self>,
        project: &Bound<'_, PyAny>,
        page_size: u32,
    ) -> PyResult<PageIterator> {
        let id: ProjectId = id_of(project)?;
        PageIterator::new(slf, page_size, None, move |platform, page: PageRequest| {
            Box::pin(async move {
                let page = platform.instruction_versions(id, page).await?;
                Ok(page
                    .map(|v| crate::paging::Item::InstructionVersion(InstructionVersion::from(&v))))
            })
        })
    }

    /// One instruction version of a project.
    fn instruction_version(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        version: u32,
    ) -> PyResult<InstructionVersion> {
        let id: ProjectId = id_of(project)?;
        let platform = self.core()?;
        let version = run(py, async move {
            platform.instruction_version(id, version).await
        })?;
        Ok(InstructionVersion::from(&version))
    }
}
