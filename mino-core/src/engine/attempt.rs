//! One attempt at one job: browser session, agent, screenshot, evaluation, result.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::config::WorkerConfig;
use super::spec::{RunSpec, SpecCache};
use crate::agent::{AgentOutcome, AgentRegistry, AgentTask};
use crate::browser::{BrowserSession, DynBrowserDriver, SessionOptions};
use crate::error::{Error, ErrorKind};
use crate::events::{DynEventSink, Event};
use crate::model::{
    ArtifactId, Execution, Job, JobStatus, LogLevel, LogLine, NewArtifact, Session, SessionError,
    SessionOutcome, SessionStatus,
};
use crate::store::{AttemptResult, Claim, DynStore, NextStep};

/// How long opening or closing a browser session may take before it counts as hung.
const BROWSER_OP_TIMEOUT: Duration = Duration::from_secs(30);
/// The most screenshots kept from one attempt.
const MAX_SCREENSHOTS: usize = 20;

/// Everything attempts share within one worker.
#[derive(Debug)]
pub(crate) struct AttemptContext {
    pub store: DynStore,
    pub driver: DynBrowserDriver,
    pub agents: Arc<AgentRegistry>,
    pub events: DynEventSink,
    pub config: WorkerConfig,
    pub specs: SpecCache,
    /// Cancelled when the worker hands its jobs back on shutdown.
    pub handing_back: CancellationToken,
}

/// Why an attempt ended without an outcome.
enum Failure {
    /// The agent or browser failed.
    Error(Error),
    /// The attempt was aborted (execution stopped, lease lost, or worker handing back).
    Aborted,
}

/// Runs one claimed attempt to its end and records it. Never panics, never returns an error:
/// every failure becomes the attempt's recorded result.
pub(crate) async fn run_attempt(ctx: &AttemptContext, claim: Claim, cancel: CancellationToken) {
    let Claim {
        job,
        execution,
        session,
        ..
    } = claim;
    publish_transition(
        ctx,
        &execution,
        &job,
        &session,
        JobStatus::Queued,
        JobStatus::Running,
        None,
    );
    let started = Instant::now();
    let mut log = vec![line(
        LogLevel::Info,
        format!(
            "attempt {} of {} on worker {} for {}",
            job.attempts, execution.max_attempts, ctx.config.worker_id, job.site_url
        ),
    )];

    let spec = ctx
        .specs
        .get(
            ctx.store.as_ref(),
            &ctx.agents,
            job.project_id,
            execution.instruction_version,
        )
        .await;
    let (result, screenshot) = match spec {
        Ok(spec) => run_in_browser(ctx, &spec, &job, &execution, &cancel, &mut log).await,
        Err(err) => (Err(Failure::Error(err)), None),
    };

    let elapsed_ms = started.elapsed().as_millis();
    let (next, outcome, evaluation) = match result {
        Ok((agent_outcome, spec)) => {
            log.push(line(LogLevel::Info, format!("finished in {elapsed_ms} ms")));
            let evaluation = spec
                .evaluator
                .as_ref()
                .filter(|_| !job.ground_truth.is_empty())
                .map(|e| e.evaluate(&job.ground_truth, Some(&agent_outcome.values)));
            let mut all_log = log;
            all_log.extend(agent_outcome.log);
            all_log.sort_by_key(|l| l.at);
            let outcome = SessionOutcome {
                status: SessionStatus::Succeeded,
                log: all_log,
                extraction: Some(agent_outcome.values),
                error: None,
                screenshot,
                final_url: agent_outcome.final_url,
                usage: agent_outcome.usage,
            };
            (NextStep::Complete, outcome, evaluation)
        }
        Err(Failure::Error(err)) => {
            let transient = err.is_transient();
            let next = if transient && job.attempts < execution.max_attempts {
                let delay = ctx.config.backoff.delay(job.attempts, &mut rand::rng());
                log.push(line(
                    LogLevel::Warn,
                    format!(
                        "{} error after {elapsed_ms} ms, retrying in {:.1} s: {}",
                        err.kind(),
                        delay.as_secs_f64(),
                        err.message()
                    ),
                ));
                NextStep::Retry {
                    at: Utc::now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero()),
                }
            } else {
                let why = if transient {
                    "no attempts left"
                } else {
                    "permanent"
                };
                log.push(line(
                    LogLevel::Error,
                    format!(
                        "{} error ({why}) after {elapsed_ms} ms: {}",
                        err.kind(),
                        err.message()
                    ),
                ));
                NextStep::Fail
            };
            let outcome = SessionOutcome {
                status: SessionStatus::Failed,
                log,
                extraction: None,
                error: Some(SessionError {
                    kind: err.kind(),
                    message: err.message().to_owned(),
                    transient,
                }),
                screenshot,
                final_url: None,
                usage: Default::default(),
            };
            (next, outcome, None)
        }
        Err(Failure::Aborted) => {
            let handing_back = ctx.handing_back.is_cancelled();
            let (next, why) = if handing_back {
                (
                    NextStep::Retry { at: Utc::now() },
                    "worker shut down; job handed back to the queue",
                )
            } else {
                (NextStep::Cancel, "aborted: the execution was stopped")
            };
            log.push(line(LogLevel::Warn, why.to_owned()));
            let outcome = SessionOutcome {
                status: SessionStatus::Cancelled,
                log,
                extraction: None,
                error: Some(SessionError {
                    kind: ErrorKind::Cancelled,
                    message: why.to_owned(),
                    transient: handing_back,
                }),
                screenshot,
                final_url: None,
                usage: Default::default(),
            };
            (next, outcome, None)
        }
    };

    let error_text = outcome.error.as_ref().map(|e| e.message.clone());
    let lines = outcome.log.clone();
    let result = AttemptResult {
        outcome,
        next,
        evaluation,
    };
    match ctx
        .store
        .finish_attempt(&ctx.config.worker_id, session.id, result)
        .await
    {
        Ok(finished) => {
            for l in lines {
                ctx.events.publish(Event::Log {
                    execution_id: execution.id,
                    job_id: job.id,
                    session_id: session.id,
                    line: l,
                });
            }
            publish_transition(
                ctx,
                &execution,
                &finished.job,
                &session,
                JobStatus::Running,
                finished.job.status,
                error_text,
            );
            if finished.execution.status != execution.status
                && !finished.execution.status.is_active()
            {
                ctx.events.publish(Event::ExecutionStatus {
                    execution_id: execution.id,
                    batch_id: execution.batch_id,
                    status: finished.execution.status,
                    at: Utc::now(),
                });
                super::on_execution_end(ctx.store.clone(), finished.execution);
            }
        }
        Err(err) if err.kind() == ErrorKind::Conflict => {
            // The lease was lost and the job reclaimed: the other attempt's result stands.
            debug!(job = %job.id, "attempt result dropped: lease no longer held");
        }
        Err(err) => warn!(job = %job.id, error = ?err, "recording an attempt failed"),
    }
}

type RunResult = std::result::Result<(AgentOutcome, Arc<RunSpec>), Failure>;

/// Opens a browser session, runs the agent within the job's time limit, keeps screenshots and
/// closes the session whatever happened.
async fn run_in_browser(
    ctx: &AttemptContext,
    spec: &Arc<RunSpec>,
    job: &Job,
    execution: &Execution,
    cancel: &CancellationToken,
    log: &mut Vec<LogLine>,
) -> (RunResult, Option<ArtifactId>) {
    let task = AgentTask {
        instructions: spec.version.instructions.clone(),
        site_url: job.site_url.clone(),
        inputs: job.inputs.clone(),
        output_fields: spec.version.output_fields.clone(),
    };
    let options = SessionOptions {
        proxy: pick_proxy(&spec.project.settings.proxies, job),
        viewport: None,
    };
    if let Some(proxy) = &options.proxy {
        log.push(line(LogLevel::Info, format!("using proxy {proxy}")));
    }
    let deadline = Duration::from_secs(u64::from(execution.job_timeout_secs));
    let opened = tokio::select! {
        biased;
        _ = cancel.cancelled() => return (Err(Failure::Aborted), None),
        opened = tokio::time::timeout(BROWSER_OP_TIMEOUT.min(deadline), ctx.driver.open(options)) => opened,
    };
    let mut browser = match opened {
        Ok(Ok(browser)) => browser,
        Ok(Err(err)) => return (Err(Failure::Error(err)), None),
        // When the job's own limit is the shorter one, the job ran out of time; otherwise
        // the browser hangs.
        Err(_) if deadline <= BROWSER_OP_TIMEOUT => {
            return (
                Err(Failure::Error(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "the job took longer than its limit of {} s (opening the browser)",
                        execution.job_timeout_secs
                    ),
                ))),
                None,
            )
        }
        Err(_) => {
            return (
                Err(Failure::Error(
                    Error::new(ErrorKind::Browser, "opening a browser session timed out")
                        .with_transient(true),
                )),
                None,
            )
        }
    };

    let frames = live_frames(ctx, execution, job, browser.as_mut()).await;
    let ran = tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Failure::Aborted),
        ran = tokio::time::timeout(deadline, spec.agent.run(&task, browser.as_mut())) => match ran {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(err)) => Err(Failure::Error(err)),
            Err(_) => Err(Failure::Error(Error::new(
                ErrorKind::Timeout,
                format!("the job took longer than its limit of {} s", execution.job_timeout_secs),
            ))),
        },
    };

    let screenshot = match &ran {
        Ok(outcome) if !outcome.screenshots.is_empty() => {
            store_agent_screenshots(ctx, job, outcome).await
        }
        Err(Failure::Aborted) => None,
        _ if ctx.config.screenshots => final_screenshot(ctx, job, browser.as_mut()).await,
        _ => None,
    };
    match tokio::time::timeout(Duration::from_secs(10), browser.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => debug!(error = ?err, "closing a browser session failed"),
        Err(_) => warn!("closing a browser session timed out"),
    }
    if let Some(frames) = frames {
        frames.abort();
    }
    (ran.map(|outcome| (outcome, spec.clone())), screenshot)
}

/// Live frames a second of a running attempt, published as `Frame` events.
const LIVE_FPS: u32 = 2;

/// Publishes the session's live frames (when the driver has them) until it closes.
async fn live_frames(
    ctx: &AttemptContext,
    execution: &Execution,
    job: &Job,
    browser: &mut dyn BrowserSession,
) -> Option<tokio::task::JoinHandle<()>> {
    if !ctx.driver.capabilities().live_frames {
        return None;
    }
    let mut rx = match tokio::time::timeout(BROWSER_OP_TIMEOUT, browser.frames(LIVE_FPS)).await {
        Ok(Ok(Some(rx))) => rx,
        Ok(Ok(None)) => return None,
        Ok(Err(err)) => {
            debug!(error = ?err, "no live frames for this session");
            return None;
        }
        Err(_) => {
            debug!("starting live frames timed out");
            return None;
        }
    };
    let events = ctx.events.clone();
    let (execution_id, job_id) = (execution.id, job.id);
    Some(tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            events.publish(Event::Frame {
                execution_id,
                job_id,
                jpeg: frame.jpeg,
                at: Utc::now(),
            });
        }
    }))
}

/// Stores the agent's screenshots; the last one becomes the session's screenshot.
async fn store_agent_screenshots(
    ctx: &AttemptContext,
    job: &Job,
    outcome: &AgentOutcome,
) -> Option<ArtifactId> {
    let mut last = None;
    let skip = outcome.screenshots.len().saturating_sub(MAX_SCREENSHOTS);
    for shot in outcome.screenshots.iter().skip(skip) {
        let stored = ctx
            .store
            .put_artifact(NewArtifact {
                job_id: Some(job.id),
                session_id: None,
                kind: format!("screenshot: {}", shot.label),
                content_type: shot.content_type.clone(),
                bytes: shot.bytes.clone(),
            })
            .await;
        match stored {
            Ok(artifact) => last = Some(artifact.id),
            Err(err) => warn!(error = ?err, "storing a screenshot failed"),
        }
    }
    last
}

/// Takes and stores one screenshot of the page as it is now.
async fn final_screenshot(
    ctx: &AttemptContext,
    job: &Job,
    browser: &mut dyn BrowserSession,
) -> Option<ArtifactId> {
    let format = ctx.config.screenshot_format;
    let bytes =
        match tokio::time::timeout(Duration::from_secs(10), browser.screenshot(format)).await {
            Ok(Ok(bytes)) => bytes,
            _ => return None,
        };
    ctx.store
        .put_artifact(NewArtifact {
            job_id: Some(job.id),
            session_id: None,
            kind: "screenshot".to_owned(),
            content_type: format.content_type().to_owned(),
            bytes,
        })
        .await
        .map(|a| a.id)
        .map_err(|err| warn!(error = ?err, "storing a screenshot failed"))
        .ok()
}

/// Rotates through the project's proxies: each job starts at its own place in the list and
/// moves on by one with every attempt, so a retry goes out through a different proxy.
fn pick_proxy(proxies: &[String], job: &Job) -> Option<String> {
    if proxies.is_empty() {
        return None;
    }
    let start = (job.row_index as usize) % proxies.len();
    let index = (start + job.attempts.saturating_sub(1) as usize) % proxies.len();
    proxies.get(index).cloned()
}

fn line(level: LogLevel, message: String) -> LogLine {
    LogLine {
        at: Utc::now(),
        level,
        message,
    }
}

fn publish_transition(
    ctx: &AttemptContext,
    execution: &Execution,
    job: &Job,
    session: &Session,
    from: JobStatus,
    to: JobStatus,
    error: Option<String>,
) {
    ctx.events.publish(Event::JobTransition {
        execution_id: execution.id,
        job_id: job.id,
        session_id: Some(session.id),
        from,
        to,
        attempt: session.attempt,
        worker_id: Some(ctx.config.worker_id.clone()),
        site_url: job.site_url.clone(),
        error,
        at: Utc::now(),
    });
}
