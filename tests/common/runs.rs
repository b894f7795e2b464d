//! Setting up a project and batch on a platform, and reading back what an execution did.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use mino::model::{
    Batch, Execution, ExecutionId, Job, JobFilter, JobStatus, Project, Session, SessionStatus,
};
use mino::Platform;

/// The fixture shop's project (see [`super::shop::shop_project`]), created on `platform`.
pub async fn shop_project(platform: &Platform, max_attempts: u32, timeout_secs: u32) -> Project {
    platform
        .create_project(super::shop::shop_project(
            "fixture shop",
            max_attempts,
            timeout_secs,
        ))
        .await
        .expect("the project is created")
}

pub use super::shop::row;

/// A batch of `rows` (through the same ingest as a CSV file).
pub async fn batch(
    platform: &Platform,
    project: &Project,
    rows: &[IndexMap<String, String>],
) -> Batch {
    let (batch, report) = platform
        .create_batch_from_rows(project.id, "fixture.csv", rows)
        .await
        .expect("the batch is created");
    assert_eq!(
        report.valid_rows,
        rows.len() as u64,
        "every row is runnable"
    );
    batch
}

/// A job of an execution with its sessions in that execution, oldest first.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub job: Job,
    pub sessions: Vec<Session>,
}

impl JobRun {
    /// The URL path of the job's site (`/p/3`).
    pub fn path(&self) -> String {
        url_path(&self.job.site_url)
    }
}

/// The path (and query) of a URL.
pub fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/".to_owned(), |at| after_scheme[at..].to_owned())
}

/// Every job of an execution with its sessions there, in job order.
pub async fn job_runs(platform: &Platform, execution: ExecutionId) -> Vec<JobRun> {
    let filter = JobFilter {
        execution_id: Some(execution),
        ..JobFilter::default()
    };
    let ids = platform
        .store()
        .job_ids(&filter)
        .await
        .expect("job ids are listed");
    let mut runs = Vec::with_capacity(ids.len());
    for id in ids {
        let detail = platform.job(id).await.expect("the job is read");
        let sessions = detail
            .sessions
            .into_iter()
            .filter(|s| s.execution_id == Some(execution))
            .collect();
        runs.push(JobRun {
            job: detail.job,
            sessions,
        });
    }
    runs
}

/// Checks the engine's rules for one job's attempts, whatever happened around it:
///
/// - one session per attempt, and at most one succeeded: the last;
/// - every attempt before the last ended transiently (a transient error, or lost);
/// - the job completed exactly when its last attempt succeeded; it failed when that attempt
///   failed permanently or was the last one allowed.
///
/// Returns whether the job failed because every allowed attempt ended transiently.
pub fn check_attempt_rules(run: &JobRun, max_attempts: u32) -> bool {
    let url = &run.job.site_url;
    let statuses: Vec<_> = run.sessions.iter().map(|s| s.status).collect();
    assert_eq!(
        run.job.attempts as usize,
        run.sessions.len(),
        "{url}: {statuses:?}"
    );
    let (last, earlier) = run.sessions.split_last().expect("every job ran");
    for session in earlier {
        let transient = session.error.as_ref().is_some_and(|e| e.transient);
        let retried = session.status == SessionStatus::Lost
            || (session.status == SessionStatus::Failed && transient);
        assert!(retried, "{url}: retried after {statuses:?}");
    }
    match (run.job.status, last.status) {
        (JobStatus::Completed, SessionStatus::Succeeded) => false,
        (JobStatus::Failed, SessionStatus::Failed | SessionStatus::Lost) => {
            let transient = last.status == SessionStatus::Lost
                || last.error.as_ref().is_some_and(|e| e.transient);
            if transient {
                assert_eq!(
                    run.sessions.len(),
                    max_attempts as usize,
                    "{url}: {statuses:?}"
                );
            }
            transient
        }
        other => panic!("{url}: job and last attempt disagree: {other:?} of {statuses:?}"),
    }
}

/// Checks that an execution's counters add up to its total, and returns it.
pub fn assert_counts_add_up(execution: &Execution) -> &Execution {
    assert_eq!(
        execution.counts.total(),
        execution.total,
        "the counters of execution {} add up to its total: {:?}",
        execution.id,
        execution.counts
    );
    execution
}

/// A session's time as running, as the store's concurrency limit sees it: from its claim to
/// the moment its result (or its loss) was recorded. Unfinished sessions run until `now`.
pub fn interval(session: &Session, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (session.started_at, session.finished_at.unwrap_or(now))
}

/// For every session start, how many sessions (itself included) were running at that
/// instant, with the start time. A session that ended more than `slack` before another began
/// does not count for it; `slack` covers stores whose timestamps are not taken in the order
/// the operations committed (zero for SQLite).
pub fn running_at_starts(
    sessions: &[&Session],
    slack: chrono::Duration,
) -> Vec<(DateTime<Utc>, usize)> {
    let now = Utc::now();
    let intervals: Vec<_> = sessions.iter().map(|s| interval(s, now)).collect();
    intervals
        .iter()
        .map(|(start, _)| {
            let running = intervals
                .iter()
                .filter(|(s, e)| s <= start && *e - slack > *start)
                .count();
            (*start, running)
        })
        .collect()
}

/// The largest number of sessions running at once among `sessions`.
pub fn max_running(sessions: &[&Session], slack: chrono::Duration) -> usize {
    running_at_starts(sessions, slack)
        .into_iter()
        .map(|(_, n)| n)
        .max()
        .unwrap_or(0)
}
