//! Job lists: which jobs a filter selects, walked in `seq` (= id) order from a cursor.
//!
//! A batch's jobs are one `seq` range, so a list scoped to a batch (directly, or through an
//! execution, which belongs to one batch) walks that range, or the (batch, status) index
//! when statuses are given, and each page costs a few index seeks at any depth. Cursors
//! name the last job's id; the next page starts at the first job with a greater id.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::error::SqlResultExt;
use super::filter::{self, blob, Conditions};
use super::jobs::{from_row, status_counts, SELECT};
use super::{batches, page};
use mino_core::model::{BatchId, Job, JobFilter, JobId, JobStatus, StatusCounts};
use mino_core::store::{Page, PageRequest};
use mino_core::Result;

/// Lists jobs matching `filter`, in id order.
pub(crate) fn list(conn: &Connection, filter: &JobFilter, page: &PageRequest) -> Result<Page<Job>> {
    let after = match &page.cursor {
        None => None,
        Some(cursor) => Some(JobId(cursor.id()?)),
    };
    let Some(query) = build(conn, filter, after, Some(page::fetch(page)), SELECT)? else {
        return Ok(Page {
            data: Vec::new(),
            next_cursor: None,
        });
    };
    let rows = conn
        .prepare_cached(&query.sql)
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(query.params.iter()), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list jobs")?;
    Ok(page::by_id(rows, page, |j| j.id.0))
}

/// The ids of every job matching `filter`, in id order.
pub(crate) fn ids(conn: &Connection, filter: &JobFilter) -> Result<Vec<JobId>> {
    let Some(query) = build(conn, filter, None, None, "SELECT j.id FROM jobs j")? else {
        return Ok(Vec::new());
    };
    conn.prepare_cached(&query.sql)
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(query.params.iter()), |r| {
                let bytes: [u8; 16] = r.get(0)?;
                Ok(JobId(uuid::Uuid::from_bytes(bytes)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list job ids")
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// The SQL.
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<Value>,
}

/// Where a list may find its jobs: a batch (and so a `seq` range), or a `seq` range alone.
struct Scope {
    batch: Option<BatchId>,
    first: i64,
    last: i64,
}

/// Builds the list statement: `select` (a column list over `jobs j`) for the jobs matching
/// `filter` after the job `after`, in `seq` order, at most `limit` of them. `None` when no
/// job can match (an unknown batch, an execution of another batch, a cursor past the end).
pub(crate) fn build(
    conn: &Connection,
    filter: &JobFilter,
    after: Option<JobId>,
    limit: Option<i64>,
    select: &str,
) -> Result<Option<Query>> {
    let Some(scope) = scope(conn, filter)? else {
        return Ok(None);
    };
    let mut start = scope.first;
    if let Some(after) = after {
        let next: Option<i64> = conn
            .prepare_cached("SELECT seq FROM jobs WHERE id > ?1 ORDER BY id LIMIT 1")
            .and_then(|mut stmt| {
                stmt.query_row([after.0.as_bytes()], |r| r.get(0))
                    .optional()
            })
            .db("find where a page starts")?;
        match next {
            Some(seq) => start = start.max(seq),
            None => return Ok(None),
        }
    }
    let rows = row_conditions(conn, filter, &scope)?;
    let statuses = filter::dedup(&filter.statuses);
    let limit_sql = if limit.is_some() { " LIMIT ?" } else { "" };
    let mut params = Vec::new();
    let sql = match (scope.batch, statuses.as_slice()) {
        // One status of a batch: a range of the (batch, status) index, already in `seq` order.
        (Some(batch), [status]) => {
            let c = status_branch(batch, *status, start, &rows);
            params.extend_from_slice(c.params());
            format!("{select} WHERE {} ORDER BY j.seq{limit_sql}", c.sql())
        }
        // Several statuses of a batch, for a page: one such range per status, each cut to
        // the page size, then merged.
        (Some(batch), [_, _, ..]) if limit.is_some() => {
            let mut branches = Vec::new();
            for status in &statuses {
                let c = status_branch(batch, *status, start, &rows);
                branches.push(format!(
                    "SELECT seq FROM (SELECT j.seq FROM jobs j WHERE {} ORDER BY j.seq{limit_sql})",
                    c.sql()
                ));
                params.extend_from_slice(c.params());
                params.extend(limit.map(Value::Integer));
            }
            format!(
                "{select} WHERE j.seq IN ({}) ORDER BY j.seq{limit_sql}",
                branches.join(" UNION ALL ")
            )
        }
        // Otherwise walk the `seq` range, checking each job.
        _ => {
            let c = walk(&scope, start, &statuses, &rows);
            params.extend_from_slice(c.params());
            format!("{select} WHERE {} ORDER BY j.seq{limit_sql}", c.sql())
        }
    };
    params.extend(limit.map(Value::Integer));
    Ok(Some(Query { sql, params }))
}

/// The conditions on each job (see [`filter::row_conditions`]), plus its project when the
/// scope is not one batch. The unary `+` keeps the planner off the batch index, which
/// would lose `seq` order.
fn row_conditions(conn: &Connection, filter: &JobFilter, scope: &Scope) -> Result<Conditions> {
    let mut rows = filter::row_conditions(conn, filter)?;
    if let (None, Some(project)) = (scope.batch, filter.project_id) {
        rows.push(
            "+j.batch_id IN (SELECT id FROM batches WHERE project_id = ?)",
            [blob(project.0)],
        );
    }
    Ok(rows)
}

/// The jobs of the scope's `seq` range from `start` on with one of `statuses` (any when
/// empty), matching `rows`: a rowid range scan, or whatever `rows` narrows it to.
fn walk(scope: &Scope, start: i64, statuses: &[JobStatus], rows: &Conditions) -> Conditions {
    let mut c = Conditions::default();
    c.push(
        "j.seq >= ? AND j.seq <= ?",
        [Value::Integer(start), Value::Integer(scope.last)],
    );
    if let Some(batch) = scope.batch {
        c.push("+j.batch_id = ?", [blob(batch.0)]);
    }
    if let Some(sql) = filter::status_condition(statuses) {
        c.push(sql.replacen("j.status", "+j.status", 1), []);
    }
    c.push(rows.sql(), rows.params().iter().cloned());
    c
}

/// Conditions selecting every job matching `filter`, for statements that visit them all
/// (counts, execution selections); `None` when none can match. Filters on batch, project
/// and status alone read the (batch, status) index; filters that look at each job walk the
/// batch's `seq` range in order instead of jumping between index and table.
pub(crate) fn selection(conn: &Connection, filter: &JobFilter) -> Result<Option<Conditions>> {
    let Some(scope) = scope(conn, filter)? else {
        return Ok(None);
    };
    let rows = row_conditions(conn, filter, &scope)?;
    if rows.is_empty() {
        return filter::conditions(conn, filter).map(Some);
    }
    let statuses = filter::dedup(&filter.statuses);
    Ok(Some(walk(&scope, scope.first, &statuses, &rows)))
}

/// Counts jobs matching `filter` by status.
pub(crate) fn count(conn: &Connection, filter: &JobFilter) -> Result<StatusCounts> {
    let Some(c) = selection(conn, filter)? else {
        return Ok(StatusCounts::default());
    };
    let sql = format!(
        "SELECT j.status, count(*) FROM jobs j WHERE {} GROUP BY j.status",
        c.sql()
    );
    let rows: Vec<(String, i64)> = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(c.params().iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect()
        })
        .db("count jobs")?;
    status_counts(rows)
}

/// The jobs of one batch with one status from `start` on, matching `rows`.
fn status_branch(batch: BatchId, status: JobStatus, start: i64, rows: &Conditions) -> Conditions {
    let mut c = Conditions::default();
    c.push("j.batch_id = ?", [blob(batch.0)]);
    c.push(format!("j.status = '{}'", status.as_str()), []);
    c.push("j.seq >= ?", [Value::Integer(start)]);
    c.push(rows.sql(), rows.params().iter().cloned());
    c
}

/// The batch and `seq` range a filter confines its jobs to.
fn scope(conn: &Connection, filter: &JobFilter) -> Result<Option<Scope>> {
    let mut batch = filter.batch_id;
    if let Some(execution) = filter.execution_id {
        let owner: Option<[u8; 16]> = conn
            .prepare_cached("SELECT batch_id FROM executions WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([execution.0.as_bytes()], |r| r.get(0))
                    .optional()
            })
            .db("find an execution's batch")?;
        let Some(owner) = owner.map(|b| BatchId(uuid::Uuid::from_bytes(b))) else {
            return Ok(None);
        };
        if batch.is_some_and(|b| b != owner) {
            return Ok(None);
        }
        batch = Some(owner);
    }
    if let Some(batch) = batch {
        let Some((project, first, last)) = batches::scope(conn, batch)? else {
            return Ok(None);
        };
        if filter.project_id.is_some_and(|p| p != project) {
            return Ok(None);
        }
        return Ok(Some(Scope {
            batch: Some(batch),
            first,
            last,
        }));
    }
    if let Some(project) = filter.project_id {
        let range: (Option<i64>, Option<i64>) = conn
            .prepare_cached(
                "SELECT min(first_job_seq), max(last_job_seq) FROM batches WHERE project_id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([project.0.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
            })
            .db("find a project's jobs")?;
        return Ok(match range {
            (Some(first), Some(last)) => Some(Scope {
                batch: None,
                first,
                last,
            }),
            _ => None,
        });
    }
    Ok(Some(Scope {
        batch: None,
        first: 0,
        last: i64::MAX,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{SqliteConfig, SqliteStore};
    use indexmap::IndexMap;
    use mino_core::model::{NewBatch, NewJob, NewProject};
    use mino_core::store::Store;

    /// The query plan of a list statement, one line per step.
    fn plan(conn: &Connection, query: &Query) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", query.sql))
            .expect("explain");
        let rows = stmt
            .query_map(params_from_iter(query.params.iter()), |r| {
                r.get::<_, String>(3)
            })
            .expect("plan");
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .expect("plan rows")
    }

    async fn store_with_batch(n: u64) -> (SqliteStore, BatchId) {
        let store = SqliteStore::open(SqliteConfig::memory())
            .await
            .expect("open");
        let project = store
            .create_project(NewProject::named("plans"))
            .await
            .expect("project");
        let rows = (0..n).map(|i| {
            Ok(NewJob {
                row_index: i,
                line: i + 2,
                site_url: format!("https://shop-{i}.example.com/"),
                inputs: IndexMap::new(),
                ground_truth: IndexMap::new(),
                invalid_reason: (i % 10 == 9).then(|| "bad".to_owned()),
            })
        });
        let batch = store
            .create_batch(
                NewBatch {
                    project_id: project.id,
                    name: "plans".into(),
                    source_filename: None,
                    columns: vec![],
                    site_url_column: "url".into(),
                    preview: vec![],
                    warnings: vec![],
                },
                Box::new(rows),
            )
            .await
            .expect("batch");
        (store, batch.id)
    }

    fn plan_of(conn: &Connection, filter: &JobFilter, after: Option<JobId>) -> String {
        let query = build(conn, filter, after, Some(51), SELECT)
            .expect("build")
            .expect("a query");
        plan(conn, &query).join(" | ")
    }

    #[tokio::test]
    async fn pages_use_index_ranges_at_any_depth() {
        let (store, batch) = store_with_batch(2_000).await;
        store.wait_for_search_index().await.expect("index");
        let deep = store
            .job_ids(&JobFilter {
                batch_id: Some(batch),
                ..JobFilter::default()
            })
            .await
            .expect("ids")[1_800];
        let conn = store.conns.lock_writer();
        let in_batch = |statuses: Vec<JobStatus>, search: Option<&str>| JobFilter {
            batch_id: Some(batch),
            statuses,
            search: search.map(str::to_owned),
            ..JobFilter::default()
        };

        let one = plan_of(&conn, &in_batch(vec![JobStatus::Pending], None), Some(deep));
        assert!(
            one.contains("USING INDEX jobs_batch_status (batch_id=? AND status=? AND rowid>?)"),
            "{one}"
        );
        let two = in_batch(vec![JobStatus::Pending, JobStatus::Invalid], None);
        let two = plan_of(&conn, &two, Some(deep));
        assert_eq!(
            two.matches("COVERING INDEX jobs_batch_status (batch_id=? AND status=? AND rowid>?)")
                .count(),
            2,
            "{two}"
        );
        let all = plan_of(&conn, &in_batch(vec![], None), Some(deep));
        assert!(
            all.contains("USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"),
            "{all}"
        );
        let found = plan_of(&conn, &in_batch(vec![], Some("shop-1234.")), None);
        assert!(found.contains("VIRTUAL TABLE INDEX"), "{found}");
        assert!(
            found.contains("USING INTEGER PRIMARY KEY (rowid=?)"),
            "{found}"
        );
        for plan in [one, two, all, found] {
            assert!(!plan.contains("TEMP B-TREE"), "no sorting: {plan}");
        }
    }
}
