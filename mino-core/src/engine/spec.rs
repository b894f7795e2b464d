//! What an attempt needs to know about its project, cached per execution's instruction version.
//!
//! Instructions and output fields come from the instruction version the execution recorded,
//! so editing a project mid-run never changes what a running execution asks for. Agent and
//! settings (proxies) come from the project and are re-read every few seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::agent::{AgentRegistry, DynAgent};
use crate::error::Result;
use crate::evaluation::JobEvaluator;
use crate::model::{InstructionVersion, Project, ProjectId};
use crate::store::Store;

/// The project, the instruction version and the agent of one execution.
#[derive(Debug)]
pub(crate) struct RunSpec {
    pub project: Project,
    pub version: InstructionVersion,
    pub agent: DynAgent,
    /// `None` when a field's comparator override is invalid: attempts still run, and the
    /// problem is logged instead of failing every job.
    pub evaluator: Option<JobEvaluator>,
}

type Entry = (Instant, Arc<RunSpec>);

/// A small time-limited cache of [`RunSpec`]s.
#[derive(Debug)]
pub(crate) struct SpecCache {
    ttl: Duration,
    entries: Mutex<HashMap<(ProjectId, u32), Entry>>,
}

impl SpecCache {
    pub fn new(ttl: Duration) -> Self {
        SpecCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(
        &self,
        store: &dyn Store,
        agents: &AgentRegistry,
        project_id: ProjectId,
        version: u32,
    ) -> Result<Arc<RunSpec>> {
        let key = (project_id, version);
        if let Some(spec) = self.fresh(&key) {
            return Ok(spec);
        }
        let project = store.get_project(project_id).await?;
        let version = store.get_instruction_version(project_id, version).await?;
        let agent = agents.create_from(&project.agent)?;
        let evaluator = JobEvaluator::new(&version.output_fields, &project.settings)
            .map_err(|err| tracing::warn!(project = %project_id, error = ?err, "ground truth cannot be evaluated"))
            .ok();
        let spec = Arc::new(RunSpec {
            project,
            version,
            agent,
            evaluator,
        });
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, (Instant::now(), spec.clone()));
        }
        Ok(spec)
    }

    fn fresh(&self, key: &(ProjectId, u32)) -> Option<Arc<RunSpec>> {
        let entries = self.entries.lock().ok()?;
        let (at, spec) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| spec.clone())
    }
}
