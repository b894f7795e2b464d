//! The bulk insert behind `create_batch`.
//!
//! Two threads share the work: a producer pulls rows from the caller's iterator (often a
//! CSV parser), gives them ids and encodes their JSON; the writer binds and inserts them with
//! one cached statement. A bounded channel of small chunks between them keeps memory
//! constant however many rows there are, and lets parsing and SQLite use two cores.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use rusqlite::Connection;

use super::error::SqlResultExt;
use super::ids::JobIds;
use super::row::{int, json};
use mino_core::model::{BatchId, JobId, JobStatus, NewJob};
use mino_core::store::JobRows;
use mino_core::Result;

/// Rows with an empty site URL and no reason of their own are stored invalid with this one.
pub(crate) const EMPTY_URL_REASON: &str = "the site URL is empty";

/// Rows per message: enough to make the channel's cost vanish, few enough to stay small.
const CHUNK_ROWS: usize = 256;
/// Chunks in flight between the threads.
const CHUNKS_IN_FLIGHT: usize = 16;

/// What was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inserted {
    /// Jobs stored `pending`.
    pub valid: u64,
    /// Jobs stored `invalid`.
    pub invalid: u64,
    /// The `seq` range of the stored jobs (empty, `first > last`, when there were none).
    pub first_seq: i64,
    /// See `first_seq`.
    pub last_seq: i64,
}

/// A row ready to bind.
struct Prepared {
    id: JobId,
    row_index: i64,
    line: i64,
    site_url: String,
    inputs: String,
    ground_truth: String,
    has_truth: bool,
    invalid_reason: Option<String>,
}

impl Prepared {
    fn new(job: NewJob, id: JobId) -> Result<Self> {
        let invalid_reason = match job.invalid_reason {
            None if job.site_url.trim().is_empty() => Some(EMPTY_URL_REASON.to_owned()),
            reason => reason,
        };
        Ok(Prepared {
            id,
            row_index: int(job.row_index, "row_index")?,
            line: int(job.line, "line")?,
            has_truth: job.ground_truth.values().any(|v| !v.trim().is_empty()),
            inputs: json(&job.inputs)?,
            ground_truth: json(&job.ground_truth)?,
            site_url: job.site_url,
            invalid_reason,
        })
    }
}

/// Inserts every row as a job of `batch`, inside the caller's write transaction. The first
/// `Err` row (or failed insert) stops both threads and is returned; the caller rolls back.
pub(crate) fn insert_rows(
    conn: &Connection,
    batch: BatchId,
    rows: JobRows,
    at: i64,
) -> Result<Inserted> {
    let ids = JobIds::start(conn)?;
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(CHUNKS_IN_FLIGHT);
        scope.spawn(move || produce(rows, ids, sender));
        // Leaving this closure early drops the receiver, which stops the producer.
        consume(conn, batch, at, receiver)
    })
}

fn produce(rows: JobRows, mut ids: JobIds, sender: SyncSender<Result<Vec<Prepared>>>) {
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    for row in rows {
        match row.and_then(|job| Prepared::new(job, ids.next_id())) {
            Ok(prepared) => chunk.push(prepared),
            Err(err) => {
                // The writer may be gone already; then there is nobody left to tell.
                let _ = sender.send(Err(err));
                return;
            }
        }
        if chunk.len() == CHUNK_ROWS {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
            if sender.send(Ok(full)).is_err() {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(Ok(chunk));
    }
}

fn consume(
    conn: &Connection,
    batch: BatchId,
    at: i64,
    receiver: Receiver<Result<Vec<Prepared>>>,
) -> Result<Inserted> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO jobs (id, batch_id, row_index, line, site_url, inputs, ground_truth, \
             has_ground_truth, status, invalid_reason, attempts, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?11)",
        )
        .db("prepare the job insert")?;
    let mut inserted = Inserted {
        valid: 0,
        invalid: 0,
        first_seq: 1,
        last_seq: 0,
    };
    for chunk in receiver {
        for row in chunk? {
            let status = if row.invalid_reason.is_some() {
                inserted.invalid += 1;
                JobStatus::Invalid
            } else {
                inserted.valid += 1;
                JobStatus::Pending
            };
            stmt.execute(rusqlite::params![
                row.id.0.as_bytes(),
                batch.0.as_bytes(),
                row.row_index,
                row.line,
                row.site_url,
                row.inputs,
                row.ground_truth,
                row.has_truth,
                status.as_str(),
                row.invalid_reason,
                at,
            ])
            .db("insert a job")?;
            let seq = conn.last_insert_rowid();
            if inserted.valid + inserted.invalid == 1 {
                inserted.first_seq = seq;
            }
            inserted.last_seq = seq;
        }
    }
    Ok(inserted)
}
