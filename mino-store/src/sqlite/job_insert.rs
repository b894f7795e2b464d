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
    // Rows may come from code that expects to run inside the Tokio runtime, as it would on
    // the blocking thread calling us; give the producer the same context.
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::scope(|scope| {
        let (sender, receiver) = sync_channel(CHUNKS_IN_FLIGHT);
        scope.spawn(move || {
            let _context = runtime.as_ref().map(tokio::runtime::Handle::enter);
            produce(rows, ids, sender);
        });
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

/// Rows per INSERT statement: running one statement costs more than binding a row, so
/// rows go in groups; a shorter last group goes one row at a time. The statements say
/// `OR FAIL`: any failure rolls back the whole batch anyway, so SQLite need not keep a
/// statement journal to undo one statement alone.
const ROWS_PER_INSERT: usize = 128;
/// Parameters per row after the two shared ones (?1 batch, ?2 timestamp).
const PARAMS_PER_ROW: usize = 9;

fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR FAIL INTO jobs (id, batch_id, row_index, line, site_url, inputs, ground_truth, \
         has_ground_truth, status, invalid_reason, attempts, created_at, updated_at) VALUES ",
    );
    for r in 0..rows {
        let p = 3 + r * PARAMS_PER_ROW;
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(?{}, ?1, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, 0, ?2, ?2)",
            p,
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6,
            p + 7,
            p + 8
        ));
    }
    sql
}

fn consume(
    conn: &Connection,
    batch: BatchId,
    at: i64,
    receiver: Receiver<Result<Vec<Prepared>>>,
) -> Result<Inserted> {
    let mut group = conn
        .prepare_cached(&insert_sql(ROWS_PER_INSERT))
        .db("prepare the job insert")?;
    let mut single = conn
        .prepare_cached(&insert_sql(1))
        .db("prepare the job insert")?;
    for stmt in [&mut group, &mut single] {
        stmt.raw_bind_parameter(1, batch.0.as_bytes())
            .and_then(|()| stmt.raw_bind_parameter(2, at))
            .db("bind the job insert")?;
    }
    let mut inserted = Inserted {
        valid: 0,
        invalid: 0,
        first_seq: 1,
        last_seq: 0,
    };
    let mut pending: Vec<Prepared> = Vec::with_capacity(ROWS_PER_INSERT);
    for chunk in receiver {
        for row in chunk? {
            pending.push(row);
            if pending.len() == ROWS_PER_INSERT {
                execute(conn, &mut group, &pending, &mut inserted)?;
                pending.clear();
            }
        }
    }
    for row in pending {
        execute(conn, &mut single, std::slice::from_ref(&row), &mut inserted)?;
    }
    Ok(inserted)
}

/// Binds `rows` (as many as the statement has) and runs it.
fn execute(
    conn: &Connection,
    stmt: &mut rusqlite::CachedStatement<'_>,
    rows: &[Prepared],
    inserted: &mut Inserted,
) -> Result<()> {
    for (r, row) in rows.iter().enumerate() {
        let status = if row.invalid_reason.is_some() {
            inserted.invalid += 1;
            JobStatus::Invalid
        } else {
            inserted.valid += 1;
            JobStatus::Pending
        };
        let p = 3 + r * PARAMS_PER_ROW;
        stmt.raw_bind_parameter(p, row.id.0.as_bytes())
            .and_then(|()| stmt.raw_bind_parameter(p + 1, row.row_index))
            .and_then(|()| stmt.raw_bind_parameter(p + 2, row.line))
            .and_then(|()| stmt.raw_bind_parameter(p + 3, row.site_url.as_str()))
            .and_then(|()| stmt.raw_bind_parameter(p + 4, row.inputs.as_str()))
            .and_then(|()| stmt.raw_bind_parameter(p + 5, row.ground_truth.as_str()))
            .and_then(|()| stmt.raw_bind_parameter(p + 6, row.has_truth))
            .and_then(|()| stmt.raw_bind_parameter(p + 7, status.as_str()))
            .and_then(|()| stmt.raw_bind_parameter(p + 8, row.invalid_reason.as_deref()))
            .db("bind a job")?;
    }
    stmt.raw_execute().db("insert jobs")?;
    // Rows of one statement get consecutive seqs; the last one is the statement's.
    let last = conn.last_insert_rowid();
    if inserted.last_seq < inserted.first_seq {
        inserted.first_seq = last - (rows.len() as i64 - 1);
    }
    inserted.last_seq = last;
    Ok(())
}
