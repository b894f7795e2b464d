//! Projects and instruction versions.

use super::Platform;
use crate::error::{Error, Result};
use crate::evaluation::reevaluate;
use crate::model::{
    ExecutionStatus, InstructionVersion, JobFilter, NewProject, Project, ProjectId, ProjectUpdate,
};
use crate::store::{ExecutionFilter, Page, PageRequest};

impl Platform {
    /// Creates a project (its instruction version 1). An unknown agent name or bad agent
    /// settings are a validation error.
    pub async fn create_project(&self, new: NewProject) -> Result<Project> {
        self.inner.agents.create_from(&new.agent)?;
        crate::evaluation::JobEvaluator::new(&new.output_fields, &new.settings)?;
        self.inner.store.create_project(new).await
    }

    /// Gets a project.
    pub async fn project(&self, id: ProjectId) -> Result<Project> {
        self.inner.store.get_project(id).await
    }

    /// Lists projects.
    pub async fn projects(&self, page: PageRequest) -> Result<Page<Project>> {
        self.inner.store.list_projects(page).await
    }

    /// Updates a project; new instructions or output fields make a new instruction version.
    /// When output fields or evaluation settings change, every job of the project is scored
    /// again against its ground truth (no agent runs again).
    pub async fn update_project(&self, id: ProjectId, update: ProjectUpdate) -> Result<Project> {
        if let Some(agent) = &update.agent {
            self.inner.agents.create_from(agent)?;
        }
        let before = self.inner.store.get_project(id).await?;
        if update.output_fields.is_some() || update.settings.is_some() {
            let fields = update
                .output_fields
                .as_ref()
                .unwrap_or(&before.output_fields);
            let settings = update.settings.as_ref().unwrap_or(&before.settings);
            crate::evaluation::JobEvaluator::new(fields, settings)?;
        }
        let after = self.inner.store.update_project(id, update).await?;
        let rescore = after.output_fields != before.output_fields
            || after.settings.empty_ground_truth_is_expected
                != before.settings.empty_ground_truth_is_expected;
        if rescore {
            let n = reevaluate(self.inner.store.as_ref(), &after, &JobFilter::default()).await?;
            tracing::info!(project = %id, jobs = n, "re-evaluated after a change of fields");
        }
        Ok(after)
    }

    /// Deletes a project and everything under it. A conflict while one of its executions is
    /// active: stop it first.
    pub async fn delete_project(&self, id: ProjectId) -> Result<()> {
        self.ensure_no_active_execution(ExecutionFilter {
            project_id: Some(id),
            ..ExecutionFilter::default()
        })
        .await?;
        self.inner.store.delete_project(id).await
    }

    /// Lists a project's instruction versions, oldest first.
    pub async fn instruction_versions(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<InstructionVersion>> {
        self.inner.store.get_project(project).await?;
        self.inner
            .store
            .list_instruction_versions(project, page)
            .await
    }

    /// Gets one instruction version.
    pub async fn instruction_version(
        &self,
        project: ProjectId,
        version: u32,
    ) -> Result<InstructionVersion> {
        self.inner
            .store
            .get_instruction_version(project, version)
            .await
    }

    pub(super) async fn ensure_no_active_execution(&self, filter: ExecutionFilter) -> Result<()> {
        let active = self
            .inner
            .store
            .list_executions(
                ExecutionFilter {
                    statuses: vec![
                        ExecutionStatus::Running,
                        ExecutionStatus::Paused,
                        ExecutionStatus::Stopping,
                    ],
                    ..filter
                },
                PageRequest::first(1)?,
            )
            .await?;
        match active.data.first() {
            Some(execution) => Err(Error::conflict(format!(
                "execution {} is still {}; stop it first",
                execution.id,
                execution.status.as_str()
            ))
            .with_context("execution_id", execution.id.to_string())),
            None => Ok(()),
        }
    }
}
