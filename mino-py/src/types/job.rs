//! Jobs, their evaluations and sessions (attempts).

use indexmap::IndexMap;
use mino::model;

use super::Timestamp;
use crate::convert::enum_name;
use crate::errors::kind_name;
use crate::records::record;

record! {
    /// A job: one CSV row to run the agent on.
    Job {
        /// Its id.
        id: String,
        /// The batch's id.
        batch_id: String,
        /// The project's id.
        project_id: String,
        /// Data row index from 0.
        row_index: u64,
        /// The 1-based line of the file where the row starts.
        line: u64,
        /// The site URL (bare domains got ``https://``).
        site_url: String,
        /// Input columns (header → value), in file order.
        inputs: IndexMap<String, String>,
        /// Ground truth (field → expected value).
        ground_truth: IndexMap<String, String>,
        /// pending, queued, running, completed, failed, cancelled or invalid.
        status: String,
        /// Why the row is invalid, when it is.
        invalid_reason: Option<String>,
        /// Attempts made in its current or last execution.
        attempts: u32,
        /// The execution it belongs to now, or last belonged to.
        execution_id: Option<String>,
        /// The latest successful extraction (field → value; ``None``: nothing found).
        extraction: Option<IndexMap<String, Option<String>>>,
        /// The latest evaluation against ground truth.
        evaluation: Option<Evaluation>,
        /// The overall verdict: ``pass``, ``partial``, ``fail``, or ``None`` when not evaluated.
        accuracy: Option<String>,
        /// The last error message, when the last attempt failed.
        last_error: Option<String>,
        /// When it was created (UTC).
        created_at: Timestamp,
        /// When it last changed (UTC).
        updated_at: Timestamp,
        /// Every attempt, oldest first, on a job fetched with ``Platform.job()``; ``None`` on
        /// jobs from lists.
        sessions: Option<Vec<Session>>,
    }
}

record! {
    /// The evaluation of a job's latest extraction against its ground truth.
    Evaluation {
        /// One entry per evaluated field.
        fields: Vec<FieldEvaluation>,
        /// ``pass``, ``partial`` or ``fail``; ``None`` when no field was evaluated.
        accuracy: Option<String>,
        /// When it was computed (UTC).
        evaluated_at: Timestamp,
    }
}

record! {
    /// The verdict for one field of one job.
    FieldEvaluation {
        /// The field name.
        field: String,
        /// The ground truth.
        expected: String,
        /// What the agent extracted.
        actual: Option<String>,
        /// The comparator that decided.
        comparator: String,
        /// Similarity from 0 to 1.
        score: f64,
        /// Whether it matched.
        passed: bool,
    }
}

record! {
    /// One attempt at a job.
    Session {
        /// Its id.
        id: String,
        /// The job's id.
        job_id: String,
        /// The execution it ran in.
        execution_id: Option<String>,
        /// 1 for the first attempt of the job in its execution.
        attempt: u32,
        /// The worker that ran it.
        worker_id: String,
        /// running, succeeded, failed, cancelled or lost.
        status: String,
        /// When it started (UTC).
        started_at: Timestamp,
        /// When it ended (UTC).
        finished_at: Option<Timestamp>,
        /// How long it took, in milliseconds, once finished.
        duration_ms: Option<i64>,
        /// Its log, in order.
        log: Vec<LogLine>,
        /// What it extracted, when it succeeded.
        extraction: Option<IndexMap<String, Option<String>>>,
        /// Why it failed.
        error: Option<SessionError>,
        /// The id of its final screenshot, if one was kept.
        screenshot: Option<String>,
        /// The URL the browser ended on.
        final_url: Option<String>,
        /// Tokens and cost.
        usage: Usage,
    }
}

record! {
    /// One line of an attempt's log.
    LogLine {
        /// When it was written (UTC).
        at: Timestamp,
        /// debug, info, warn or error.
        level: String,
        /// The text.
        message: String,
    }
}

record! {
    /// Why an attempt failed.
    SessionError {
        /// The error kind, e.g. ``timeout`` or ``network``.
        kind: String,
        /// The same kind as an error code, e.g. ``TIMEOUT``.
        code: String,
        /// The message.
        message: String,
        /// Whether it was retried (or would have been, had attempts remained).
        transient: bool,
    }
}

record! {
    /// Tokens and money an attempt spent.
    Usage {
        /// Prompt tokens.
        tokens_in: u64,
        /// Completion tokens.
        tokens_out: u64,
        /// Cost in US dollars.
        cost_usd: f64,
    }
}

impl From<&model::Evaluation> for Evaluation {
    fn from(e: &model::Evaluation) -> Self {
        Evaluation {
            fields: e
                .fields
                .iter()
                .map(|f| FieldEvaluation {
                    field: f.field.clone(),
                    expected: f.expected.clone(),
                    actual: f.actual.clone(),
                    comparator: f.comparator.clone(),
                    score: f.score,
                    passed: f.passed,
                })
                .collect(),
            accuracy: e.accuracy.map(|a| a.as_str().to_owned()),
            evaluated_at: e.evaluated_at,
        }
    }
}

impl From<&model::Usage> for Usage {
    fn from(u: &model::Usage) -> Self {
        Usage {
            tokens_in: u.tokens_in,
            tokens_out: u.tokens_out,
            cost_usd: u.cost_usd,
        }
    }
}

impl From<&model::Session> for Session {
    fn from(s: &model::Session) -> Self {
        Session {
            id: s.id.to_string(),
            job_id: s.job_id.to_string(),
            execution_id: s.execution_id.map(|e| e.to_string()),
            attempt: s.attempt,
            worker_id: s.worker_id.clone(),
            status: s.status.as_str().to_owned(),
            started_at: s.started_at,
            finished_at: s.finished_at,
            duration_ms: s.duration_ms(),
            log: s.log.iter().map(LogLine::from).collect(),
            extraction: s.extraction.clone(),
            error: s.error.as_ref().map(|e| SessionError {
                kind: kind_name(e.kind),
                code: e.kind.code().to_owned(),
                message: e.message.clone(),
                transient: e.transient,
            }),
            screenshot: s.screenshot.map(|a| a.to_string()),
            final_url: s.final_url.clone(),
            usage: Usage::from(&s.usage),
        }
    }
}

impl From<&model::LogLine> for LogLine {
    fn from(l: &model::LogLine) -> Self {
        LogLine {
            at: l.at,
            level: enum_name(&l.level),
            message: l.message.clone(),
        }
    }
}

impl Job {
    /// A job record; `sessions` are given for a job fetched on its own.
    pub fn new(j: &model::Job, sessions: Option<&[model::Session]>) -> Self {
        Job {
            id: j.id.to_string(),
            batch_id: j.batch_id.to_string(),
            project_id: j.project_id.to_string(),
            row_index: j.row_index,
            line: j.line,
            site_url: j.site_url.clone(),
            inputs: j.inputs.clone(),
            ground_truth: j.ground_truth.clone(),
            status: j.status.as_str().to_owned(),
            invalid_reason: j.invalid_reason.clone(),
            attempts: j.attempts,
            execution_id: j.execution_id.map(|e| e.to_string()),
            extraction: j.extraction.clone(),
            evaluation: j.evaluation.as_ref().map(Evaluation::from),
            accuracy: j.accuracy.map(|a| a.as_str().to_owned()),
            last_error: j.last_error.clone(),
            created_at: j.created_at,
            updated_at: j.updated_at,
            sessions: sessions.map(|s| s.iter().map(Session::from).collect()),
        }
    }
}
