//! Engine events as Python objects: one class per kind, each with a ``type`` attribute.

use mino::events::Event;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use super::{LogLine, StatusCounts, Timestamp};
use crate::records::record;

record! {
    /// An execution changed status (started, paused, resumed, stopping, finished).
    ExecutionStatusEvent {
        /// Always ``"execution_status"``.
        r#type: String,
        /// The execution's id.
        execution_id: String,
        /// Its batch's id.
        batch_id: String,
        /// The new status.
        status: String,
        /// When (UTC).
        at: Timestamp,
    }
}

record! {
    /// An execution's concurrency changed.
    ConcurrencyEvent {
        /// Always ``"concurrency"``.
        r#type: String,
        /// The execution's id.
        execution_id: String,
        /// The new limit.
        concurrency: u32,
        /// When (UTC).
        at: Timestamp,
    }
}

record! {
    /// A job moved from one status to another.
    JobTransitionEvent {
        /// Always ``"job_transition"``.
        r#type: String,
        /// The execution's id.
        execution_id: String,
        /// The job's id.
        job_id: String,
        /// The session of the attempt involved, if any.
        session_id: Option<String>,
        /// The old status.
        from_status: String,
        /// The new status.
        to_status: String,
        /// The attempt number (from 1).
        attempt: u32,
        /// The worker involved.
        worker_id: Option<String>,
        /// The site URL.
        site_url: String,
        /// The error, when the transition is a failure or a retry.
        error: Option<String>,
        /// When (UTC).
        at: Timestamp,
    }
}

record! {
    /// A log line of a running attempt.
    LogEvent {
        /// Always ``"log"``.
        r#type: String,
        /// The execution's id.
        execution_id: String,
        /// The job's id.
        job_id: String,
        /// The session's id.
        session_id: String,
        /// When (UTC).
        at: Timestamp,
        /// debug, info, warn or error.
        level: String,
        /// The text.
        message: String,
    }
}

record! {
    /// Fresh figures of an execution (progress, throughput, ETA).
    StatsEvent {
        /// Always ``"stats"``.
        r#type: String,
        /// The execution's id.
        execution_id: String,
        /// Its batch's id.
        batch_id: String,
        /// Its status.
        status: String,
        /// Jobs in it.
        total: u64,
        /// Its jobs by status.
        counts: StatusCounts,
        /// Finished jobs / total, from 0 to 1.
        progress: f64,
        /// Jobs finished per minute, over the recent window.
        throughput_per_min: f64,
        /// Estimated seconds until every job is done, when known.
        eta_secs: Option<u64>,
        /// The concurrency limit.
        concurrency: u32,
        /// When these figures were taken (UTC).
        at: Timestamp,
    }
}

record! {
    /// A live browser frame of a running job (JPEG bytes).
    FrameEvent {
        /// Always ``"frame"``.
        r#type: String,
        /// The execution's id.
        execution_id: String,
        /// The job's id.
        job_id: String,
        /// The JPEG image.
        jpeg: Vec<u8>,
        /// When (UTC).
        at: Timestamp,
    }
}

/// The Python object for an event.
pub fn event_to_py(py: Python<'_>, event: &Event) -> PyResult<Py<PyAny>> {
    match event {
        Event::ExecutionStatus {
            execution_id,
            batch_id,
            status,
            at,
        } => ExecutionStatusEvent {
            r#type: "execution_status".to_owned(),
            execution_id: execution_id.to_string(),
            batch_id: batch_id.to_string(),
            status: status.as_str().to_owned(),
            at: *at,
        }
        .into_py_any(py),
        Event::Concurrency {
            execution_id,
            concurrency,
            at,
        } => ConcurrencyEvent {
            r#type: "concurrency".to_owned(),
            execution_id: execution_id.to_string(),
            concurrency: *concurrency,
            at: *at,
        }
        .into_py_any(py),
        Event::JobTransition {
            execution_id,
            job_id,
            session_id,
            from,
            to,
            attempt,
            worker_id,
            site_url,
            error,
            at,
        } => JobTransitionEvent {
            r#type: "job_transition".to_owned(),
            execution_id: execution_id.to_string(),
            job_id: job_id.to_string(),
            session_id: session_id.map(|s| s.to_string()),
            from_status: from.as_str().to_owned(),
            to_status: to.as_str().to_owned(),
            attempt: *attempt,
            worker_id: worker_id.clone(),
            site_url: site_url.clone(),
            error: error.clone(),
            at: *at,
        }
        .into_py_any(py),
        Event::Log {
            execution_id,
            job_id,
            session_id,
            line,
        } => {
            let line = LogLine::from(line);
            LogEvent {
                r#type: "log".to_owned(),
                execution_id: execution_id.to_string(),
                job_id: job_id.to_string(),
                session_id: session_id.to_string(),
                at: line.at,
                level: line.level,
                message: line.message,
            }
            .into_py_any(py)
        }
        Event::Stats(stats) => StatsEvent {
            r#type: "stats".to_owned(),
            execution_id: stats.execution_id.to_string(),
            batch_id: stats.batch_id.to_string(),
            status: stats.status.as_str().to_owned(),
            total: stats.total,
            counts: StatusCounts::from(&stats.counts),
            progress: stats.progress,
            throughput_per_min: stats.throughput_per_min,
            eta_secs: stats.eta_secs,
            concurrency: stats.concurrency,
            at: stats.at,
        }
        .into_py_any(py),
        Event::Frame {
            execution_id,
            job_id,
            jpeg,
            at,
        } => FrameEvent {
            r#type: "frame".to_owned(),
            execution_id: execution_id.to_string(),
            job_id: job_id.to_string(),
            jpeg: jpeg.clone(),
            at: *at,
        }
        .into_py_any(py),
    }
}
