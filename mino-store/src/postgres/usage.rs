//! What the sessions of a set of jobs spent, summed in SQL.

use mino_core::metrics::{ExecutionCost, UsageTotals};
use mino_core::model::{ExecutionId, JobFilter};
use mino_core::Result;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::DbResultExt;
use super::jobs::push_filter;

/// The sessions counted: those of the matching jobs that ran, of one execution when the
/// filter names one.
fn push_scope(qb: &mut QueryBuilder<Postgres>, filter: &JobFilter) {
    qb.push(
        " FROM sessions s WHERE s.job_id IN \
         (SELECT id FROM jobs WHERE execution_id IS NOT NULL",
    );
    push_filter(qb, filter);
    qb.push(")");
    if let Some(execution) = filter.execution_id {
        qb.push(" AND s.execution_id = ").push_bind(execution.0);
    }
}

#[derive(sqlx::FromRow)]
struct UsageRow {
    execution_id: Option<Uuid>,
    sessions: i64,
    jobs: i64,
    tokens_in: i64,
    tokens_out: i64,
    cost_usd: f64,
}

/// Sums usage per execution over the sessions of the jobs matching `filter`; see
/// `Store::usage_totals`.
pub(crate) async fn totals(pool: &PgPool, filter: &JobFilter) -> Result<UsageTotals> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT s.execution_id, count(*) AS sessions, count(DISTINCT s.job_id) AS jobs, \
         coalesce(sum((s.usage->>'tokens_in')::bigint), 0)::bigint AS tokens_in, \
         coalesce(sum((s.usage->>'tokens_out')::bigint), 0)::bigint AS tokens_out, \
         coalesce(sum((s.usage->>'cost_usd')::float8), 0)::float8 AS cost_usd",
    );
    push_scope(&mut qb, filter);
    // Postgres has no min() of uuid; v7 ids sort as their text does.
    qb.push(" GROUP BY s.execution_id ORDER BY min(s.id::text)");
    let rows: Vec<UsageRow> = qb.build_query_as().fetch_all(pool).await.db()?;

    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(DISTINCT s.job_id)");
    push_scope(&mut qb, filter);
    let (jobs_run,): (i64,) = qb.build_query_as().fetch_one(pool).await.db()?;

    let mut usage = UsageTotals {
        jobs_run: jobs_run.max(0) as u64,
        ..UsageTotals::default()
    };
    for row in rows {
        usage.tokens_in += row.tokens_in.max(0) as u64;
        usage.tokens_out += row.tokens_out.max(0) as u64;
        usage.executions.push(ExecutionCost {
            execution_id: row.execution_id.map(ExecutionId),
            sessions: row.sessions.max(0) as u64,
            jobs: row.jobs.max(0) as u64,
            cost_usd: row.cost_usd,
            cost_per_job: None,
        });
    }
    Ok(usage)
}
