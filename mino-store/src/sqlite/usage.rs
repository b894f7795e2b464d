//! What the sessions of a set of jobs spent, summed in SQL.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::error::SqlResultExt;
use super::filter::blob;
use super::job_query;
use super::row::opt_uuid_at;
use mino_core::metrics::{ExecutionCost, UsageTotals};
use mino_core::model::{ExecutionId, JobFilter};
use mino_core::Result;

/// Sums usage per execution over the sessions of the jobs matching `filter`; see
/// `Store::usage_totals`.
pub(crate) fn totals(conn: &Connection, filter: &JobFilter) -> Result<UsageTotals> {
    let Some(jobs) = job_query::selection(conn, filter)? else {
        return Ok(UsageTotals::default());
    };
    let mut params: Vec<Value> = jobs.params().to_vec();
    let mut scope = format!(
        "FROM jobs j JOIN sessions s ON s.job_id = j.id \
         WHERE ({}) AND j.execution_id IS NOT NULL",
        jobs.sql()
    );
    if let Some(execution) = filter.execution_id {
        scope.push_str(" AND s.execution_id = ?");
        params.push(blob(execution.0));
    }
    type Row = (Option<ExecutionId>, i64, i64, i64, i64, f64);
    let rows: Vec<Row> = conn
        .prepare(&format!(
            "SELECT s.execution_id, count(*), count(DISTINCT s.job_id), \
             total(json_extract(s.usage, '$.tokens_in')), \
             total(json_extract(s.usage, '$.tokens_out')), \
             total(json_extract(s.usage, '$.cost_usd')) \
             {scope} GROUP BY s.execution_id ORDER BY min(s.id)"
        ))
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(params.iter()), |r| {
                Ok((
                    opt_uuid_at(r, 0)?.map(ExecutionId),
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, f64>(3)? as i64,
                    r.get::<_, f64>(4)? as i64,
                    r.get(5)?,
                ))
            })?
            .collect()
        })
        .db("sum session usage")?;
    let jobs_run: i64 = conn
        .prepare(&format!("SELECT count(DISTINCT s.job_id) {scope}"))
        .and_then(|mut stmt| stmt.query_row(params_from_iter(params.iter()), |r| r.get(0)))
        .db("count jobs that ran")?;
    let mut usage = UsageTotals {
        jobs_run: jobs_run.max(0) as u64,
        ..UsageTotals::default()
    };
    for (execution_id, sessions, jobs, tokens_in, tokens_out, cost_usd) in rows {
        usage.tokens_in += tokens_in.max(0) as u64;
        usage.tokens_out += tokens_out.max(0) as u64;
        usage.executions.push(ExecutionCost {
            execution_id,
            sessions: sessions.max(0) as u64,
            jobs: jobs.max(0) as u64,
            cost_usd,
            cost_per_job: None,
        });
    }
    Ok(usage)
}
