//! Loads a batch's jobs with `COPY … FROM STDIN` (text format).
//!
//! The row iterator is synchronous and may be slow (it parses a CSV file), so it is pulled on
//! a blocking thread that encodes rows into chunks and hands them to the connection through
//! a bounded channel: the async runtime never blocks, encoding overlaps with the server's
//! work, and memory stays constant (at most `CHANNEL_DEPTH + 2` chunks exist at once) for
//! any number of rows.

use std::io::Write as _;

use mino_core::model::{JobId, NewJob};
use mino_core::store::JobRows;
use mino_core::{Error, Result};
use sqlx::PgConnection;
use tokio::sync::mpsc;
use tracing::warn;
use uuid::Uuid;

use super::codec::PairsRef;
use super::error::DbResultExt;

/// Bytes per chunk sent to the server.
const CHUNK_BYTES: usize = 512 * 1024;
/// Chunks encoded ahead of the connection.
const CHANNEL_DEPTH: usize = 4;

const COPY_JOBS: &str = "COPY jobs (id, batch_id, project_id, row_index, line, site_url, \
     inputs, ground_truth, status, invalid_reason) FROM STDIN";

/// How many rows were stored, and how many of them as invalid jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CopyCounts {
    pub total: u64,
    pub invalid: u64,
}

/// Streams `rows` into the jobs table as jobs of `batch`, on `conn` (inside the caller's
/// transaction). An `Err` row aborts the copy and is returned.
pub(crate) async fn copy_jobs(
    conn: &mut PgConnection,
    batch: Uuid,
    project: Uuid,
    rows: JobRows,
) -> Result<CopyCounts> {
    let mut copy = conn.copy_in_raw(COPY_JOBS).await.db()?;

    let (chunks_tx, mut chunks_rx) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
    let producer = tokio::task::spawn_blocking(move || {
        let mut encoder = RowEncoder::new(batch, project);
        encode_all(&mut encoder, rows, &chunks_tx)
    });

    let mut send_error = None;
    while let Some(chunk) = chunks_rx.recv().await {
        if let Err(err) = copy.send(chunk).await {
            send_error = Some(err);
            break;
        }
    }
    // Closing the receiver stops the producer at its next chunk if we stopped early.
    drop(chunks_rx);
    let produced = producer
        .await
        .map_err(|e| Error::internal(format!("row encoder thread failed: {e}")))?;

    if let Some(err) = send_error {
        // Dropping `copy` tells the server to fail the COPY; the caller's transaction then
        // rolls back.
        return Err(super::error::map_db_error(err));
    }
    let counts = match produced {
        Ok(counts) => counts,
        Err(row_error) => {
            if let Err(abort_error) = copy.abort("a row of the batch could not be read").await {
                warn!(error = %abort_error, "aborting COPY failed");
            }
            return Err(row_error);
        }
    };
    let stored = copy.finish().await.db()?;
    if stored != counts.total {
        return Err(Error::internal(format!(
            "COPY stored {stored} jobs but {} were sent",
            counts.total
        )));
    }
    Ok(counts)
}

/// Pulls every row, sending full chunks as they fill. Stops at the first `Err` row, or
/// quietly when the receiver is gone (the caller has already failed).
fn encode_all(
    encoder: &mut RowEncoder,
    rows: JobRows,
    chunks: &mpsc::Sender<Vec<u8>>,
) -> Result<CopyCounts> {
    let mut counts = CopyCounts::default();
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
    for row in rows {
        let job = row?;
        encoder.encode(&mut chunk, JobId::new().0, &job)?;
        counts.total += 1;
        if job.invalid_reason.is_some() {
            counts.invalid += 1;
        }
        if chunk.len() >= CHUNK_BYTES {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_BYTES + 4096));
            if chunks.blocking_send(full).is_err() {
                return Ok(counts);
            }
        }
    }
    if !chunk.is_empty() {
        // An error here means the receiver is gone; the caller reports its own failure.
        let _ = chunks.blocking_send(chunk);
    }
    Ok(counts)
}

/// Encodes jobs as lines of `COPY` text format.
pub(crate) struct RowEncoder {
    batch: [u8; 36],
    project: [u8; 36],
    scratch: Vec<u8>,
}

impl RowEncoder {
    pub(crate) fn new(batch: Uuid, project: Uuid) -> Self {
        let mut encoder = RowEncoder {
            batch: [0; 36],
            project: [0; 36],
            scratch: Vec::with_capacity(1024),
        };
        batch.hyphenated().encode_lower(&mut encoder.batch);
        project.hyphenated().encode_lower(&mut encoder.project);
        encoder
    }

    /// Appends one line for `job` with id `id` to `out`.
    pub(crate) fn encode(&mut self, out: &mut Vec<u8>, id: Uuid, job: &NewJob) -> Result<()> {
        let row_index = i64::try_from(job.row_index)
            .map_err(|_| Error::validation("row_index is too large"))?;
        let line = i64::try_from(job.line).map_err(|_| Error::validation("line is too large"))?;

        let mut id_text = [0u8; 36];
        out.extend_from_slice(id.hyphenated().encode_lower(&mut id_text).as_bytes());
        out.push(b'\t');
        out.extend_from_slice(&self.batch);
        out.push(b'\t');
        out.extend_from_slice(&self.project);
        // Writing to a Vec cannot fail.
        let _ = write!(out, "\t{row_index}\t{line}\t");
        push_escaped(out, job.site_url.as_bytes());
        out.push(b'\t');
        self.push_json(out, &PairsRef(&job.inputs))?;
        out.push(b'\t');
        self.push_json(out, &PairsRef(&job.ground_truth))?;
        match &job.invalid_reason {
            Some(reason) => {
                out.extend_from_slice(b"\tinvalid\t");
                push_escaped(out, reason.as_bytes());
            }
            None => out.extend_from_slice(b"\tpending\t\\N"),
        }
        out.push(b'\n');
        Ok(())
    }

    fn push_json(&mut self, out: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<()> {
        self.scratch.clear();
        serde_json::to_writer(&mut self.scratch, value)?;
        push_escaped(out, &self.scratch);
        Ok(())
    }
}

/// Appends `text` with the characters that are special in `COPY` text format escaped.
fn push_escaped(out: &mut Vec<u8>, text: &[u8]) {
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => continue,
        };
        out.extend_from_slice(&text[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    fn job(site: &str, invalid: Option<&str>) -> NewJob {
        let mut inputs = IndexMap::new();
        inputs.insert("name".to_owned(), "A\tB\\C\nD".to_owned());
        NewJob {
            row_index: 3,
            line: 5,
            site_url: site.to_owned(),
            inputs,
            ground_truth: IndexMap::new(),
            invalid_reason: invalid.map(str::to_owned),
        }
    }

    #[test]
    fn escapes_copy_specials() {
        let mut out = Vec::new();
        push_escaped(&mut out, b"a\\b\tc\nd\re");
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re");
    }

    #[test]
    fn encodes_one_line_per_job() {
        let batch = Uuid::nil();
        let project = Uuid::max();
        let id = Uuid::from_u128(1);
        let mut encoder = RowEncoder::new(batch, project);
        let mut out = Vec::new();
        encoder
            .encode(&mut out, id, &job("https://a.example", None))
            .expect("encodes");
        encoder
            .encode(&mut out, id, &job("", Some("no URL\there")))
            .expect("encodes");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let first: Vec<&str> = lines[0].split('\t').collect();
        assert_eq!(first.len(), 10, "{first:?}");
        assert_eq!(first[0], "00000000-0000-0000-0000-000000000001");
        assert_eq!(first[3], "3");
        assert_eq!(first[4], "5");
        // The JSON's own backslash escapes are doubled for COPY.
        assert_eq!(first[6], r#"[["name","A\\tB\\\\C\\nD"]]"#);
        assert_eq!(first[7], "[]");
        assert_eq!(first[8], "pending");
        assert_eq!(first[9], "\\N");
        assert!(lines[1].ends_with("\tinvalid\tno URL\\there"));
    }
}
