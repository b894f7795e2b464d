//! The engine under faults, across real processes: `mino worker` processes share one Postgres
//! schema while the fixture site answers 503, drops connections and stalls past the job time
//! limit; one worker is killed with SIGKILL mid-run, and in the second test every worker is,
//! and new ones take over. The test process creates the execution through its own `Platform`
//! on the same database and follows the workers' events through LISTEN/NOTIFY.
//!
//! Needs Chromium and Postgres (`MINO_TEST_DATABASE_URL`): skipped with a message when either
//! is missing, failed under `CI=true`. Run with `cargo test --features postgres`.

#![cfg(feature = "postgres")]

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::cluster::{with_cluster, Cluster};
use common::fixture::Reply;
use common::processes::group_alive;
use common::runs::{self, assert_counts_add_up, JobRun};
use common::shop::product_page;
use common::{product, wait_until};
use mino::events::Event;
use mino::model::{Execution, ExecutionMode, ExecutionStatus, JobStatus, Session, SessionStatus};
use mino::platform::StartExecution;
use mino::ErrorKind;

/// Short, so that a dead worker's jobs come back within seconds.
const LEASE_SECS: u64 = 3;
const CONCURRENCY: u32 = 6;
/// Jobs of the fault test: fifteen rounds of the twenty-row fault pattern.
const FAULT_JOBS: usize = 300;
/// Jobs of the restart test.
const RESTART_JOBS: usize = 72;
const MAX_ATTEMPTS: u32 = 5;
/// Generous for a tiny page on a busy machine; the stalls outlast it.
const TIMEOUT_SECS: u32 = 6;
/// Postgres stamps rows with their transaction's start (`now()`), so a claim whose transaction
/// began a moment before another attempt's end committed carries a start a little earlier than
/// the moment it really claimed. Sessions overlapping by less than this do not count as
/// running together; a real breach of the limit lasts a whole attempt.
const CLOCK_SLACK_MS: i64 = 250;

/// One test at a time: each runs three workers with a Chromium each, all two cores can take.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the fixture site does to a row's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    None,
    /// 503 to the first request.
    ErrorFirst,
    /// The first connection is closed without an answer.
    DropFirst,
    /// The first request hangs past the job's time limit.
    StallFirst,
    /// 404, always.
    NotFound,
    /// 503, always.
    Down,
}

impl Fault {
    fn of(row: usize) -> Fault {
        match (row % 10, row % 20) {
            (_, 9) => Fault::Down,
            (_, 5) => Fault::StallFirst,
            (1, _) => Fault::ErrorFirst,
            (3, _) => Fault::DropFirst,
            (7, _) => Fault::NotFound,
            _ => Fault::None,
        }
    }

    fn is_transient_first(self) -> bool {
        matches!(
            self,
            Fault::ErrorFirst | Fault::DropFirst | Fault::StallFirst
        )
    }

    /// The job status the fault implies.
    fn outcome(self) -> JobStatus {
        match self {
            Fault::NotFound | Fault::Down => JobStatus::Failed,
            _ => JobStatus::Completed,
        }
    }

    /// The error kind an attempt that met the fault records.
    fn error_kind(self) -> Option<ErrorKind> {
        match self {
            Fault::ErrorFirst | Fault::NotFound | Fault::Down => Some(ErrorKind::HttpStatus),
            Fault::DropFirst => Some(ErrorKind::Network),
            Fault::StallFirst => Some(ErrorKind::Timeout),
            Fault::None => None,
        }
    }
}

/// The row number in a `/f/<row>` path.
fn row_of(path: &str) -> usize {
    path.rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Serves row pages, with `delay`, faulted as [`Fault::of`] says.
fn faulty_site(delay: Duration) -> impl Fn(&str, u32) -> Reply + Send + Sync + 'static {
    move |path, hit| {
        let row = row_of(path);
        match (Fault::of(row), hit) {
            (Fault::ErrorFirst, 1) | (Fault::Down, _) => Reply::Status(503),
            (Fault::DropFirst, 1) => Reply::Drop,
            (Fault::StallFirst, 1) => Reply::Stall(Duration::from_secs(TIMEOUT_SECS as u64 + 4)),
            (Fault::NotFound, _) => Reply::Status(404),
            _ => {
                let (title, price, brand) = product(row);
                Reply::Page {
                    html: product_page(title, price, brand),
                    delay,
                }
            }
        }
    }
}

/// A project, a batch of `rows` rows and a production execution over it.
async fn start(c: &Cluster, rows: usize) -> Execution {
    let project = runs::shop_project(&c.platform, MAX_ATTEMPTS, TIMEOUT_SECS).await;
    let rows: Vec<_> = (0..rows)
        .map(|i| {
            let (title, price, brand) = product(i);
            runs::row(&c.server.url(&format!("/f/{i}")), title, price, brand)
        })
        .collect();
    let batch = runs::batch(&c.platform, &project, &rows).await;
    let start = StartExecution {
        mode: Some(ExecutionMode::Production),
        concurrency: Some(CONCURRENCY),
        ..StartExecution::default()
    };
    let execution = c.platform.start_execution(project.id, batch.id, start);
    execution.await.expect("the execution starts")
}

fn terminal(e: &Execution) -> u64 {
    e.counts.completed + e.counts.failed + e.counts.cancelled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_ride_out_faults_and_a_killed_worker() {
    let _one_at_a_time = SERIAL.lock().await;
    with_cluster(
        LEASE_SECS,
        faulty_site(Duration::ZERO),
        |mut c| async move {
            let began = Instant::now();
            let started = start(&c, FAULT_JOBS).await;
            for n in 0..3 {
                c.spawn_worker(&format!("fault-w{n}"));
            }
            let victim = "fault-w0";
            let a_third = |e: &Execution| terminal(e) >= FAULT_JOBS as u64 / 3;
            c.until(
                started.id,
                "a third of the jobs",
                Duration::from_secs(180),
                a_third,
            )
            .await;
            let deadline = Instant::now() + Duration::from_secs(60);
            while !c
                .running_sessions(started.id)
                .await
                .iter()
                .any(|s| s.worker_id == victim)
            {
                assert!(Instant::now() < deadline, "{victim} never held a job");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            c.workers[0].kill_tree();
            let killed_at = Utc::now();
            let leader = c.workers[0].pid();
            let gone = move || async move { (!group_alive(leader)).then_some(()) };
            wait_until("the killed processes to go", Duration::from_secs(10), gone).await;

            let ended = |e: &Execution| !e.status.is_active();
            let done = c
                .until(started.id, "the end", Duration::from_secs(300), ended)
                .await;
            println!(
                "{FAULT_JOBS} jobs on 3 workers (one killed) in {:?}",
                began.elapsed()
            );
            assert_eq!(done.status, ExecutionStatus::Completed);
            assert_counts_add_up(&done);
            assert_eq!(done.total, FAULT_JOBS as u64);

            let job_runs = runs::job_runs(&c.platform, done.id).await;
            check_outcomes(&c, &job_runs);
            check_concurrency(&job_runs);
            check_lost_work(&c, &job_runs, victim, killed_at);
            check_events(&c, &done, &job_runs, victim).await;
        },
    )
    .await;
}

/// Every job follows the engine's rules for attempts and ends as its fault implies — unless
/// the busy machine failed every allowed attempt of it transiently (browser start-up, time
/// limit, a lease lost), which the rules then say is a failure; those are counted.
fn check_outcomes(c: &Cluster, job_runs: &[JobRun]) {
    let mut tally: BTreeMap<Fault, (usize, usize, usize)> = BTreeMap::new();
    let (mut hidden_drops, mut worn_out) = (0, 0);
    for run in job_runs {
        let path = run.path();
        let fault = Fault::of(row_of(&path));
        let exhausted = runs::check_attempt_rules(run, MAX_ATTEMPTS);
        worn_out += usize::from(exhausted && fault.outcome() == JobStatus::Completed);
        let expected = if exhausted {
            JobStatus::Failed
        } else {
            fault.outcome()
        };
        let sessions = describe(&run.sessions);
        assert_eq!(run.job.status, expected, "{path} ({fault:?}): {sessions}");
        let last = run.sessions.last().expect("every job ran");
        match fault {
            Fault::NotFound if !exhausted => {
                let error = last.error.as_ref().expect("the 404");
                let found = (error.kind, error.transient);
                assert_eq!(found, (ErrorKind::HttpStatus, false), "{path}: {sessions}");
            }
            Fault::Down => {
                assert!(
                    exhausted,
                    "{path} failed before its last attempt: {sessions}"
                );
                // Every attempt that met the server's 503 made a request; a lost attempt, or
                // one whose browser could not start on the loaded machine, may not have.
                let hits = c.server.hits(&path) as usize;
                let n = run.sessions.len();
                let answered = run
                    .sessions
                    .iter()
                    .filter(|s| {
                        s.error
                            .as_ref()
                            .is_some_and(|e| e.kind == ErrorKind::HttpStatus)
                    })
                    .count();
                assert!(
                    (answered..=n).contains(&hits),
                    "{path}: {hits} hits, {answered} answered of {n}"
                );
            }
            _ => {}
        }
        // The attempt that met the fault failed with its kind, unless it ran on the killed
        // worker and was lost, or — for a dropped connection — Chromium sent the request
        // again by itself (it does when the dropped connection was one it had opened ahead
        // of time): then one attempt made two requests and succeeded.
        if let Some(kind) = fault.error_kind() {
            let met = run.sessions.iter().any(|s| {
                s.status == SessionStatus::Failed
                    && s.error.as_ref().is_some_and(|e| e.kind == kind)
            });
            let hits = c.server.hits(&path) as usize;
            let resent = fault == Fault::DropFirst && !met && hits > run.sessions.len();
            hidden_drops += usize::from(resent);
            assert!(
                hits == 0 || met || resent || lost(run) > 0,
                "{path} ({fault:?}) never failed with {kind:?}; {hits} requests; {sessions}"
            );
        }
        let entry = tally.entry(fault).or_default();
        entry.0 += 1;
        entry.1 += usize::from(run.job.status == JobStatus::Completed);
        entry.2 += run.sessions.len();
    }
    println!("fault        jobs  completed  attempts");
    for (fault, (jobs, completed, attempts)) in &tally {
        println!(
            "{:<12} {jobs:>4} {completed:>10} {attempts:>9}",
            format!("{fault:?}")
        );
    }
    let (hit, recovered) = tally
        .iter()
        .filter(|(f, _)| f.is_transient_first())
        .fold((0, 0), |(h, r), (_, (jobs, done, _))| (h + jobs, r + done));
    println!(
        "recovery of transient faults: {recovered} of {hit} jobs ({:.1}%)",
        100.0 * recovered as f64 / hit.max(1) as f64
    );
    println!("dropped connections Chromium retried by itself: {hidden_drops}");
    println!("jobs whose every attempt the busy machine failed: {worn_out}");
    let served = c.server.served();
    for label in ["503", "drop", "stall", "404"] {
        let n = served.iter().filter(|s| s.reply.label() == label).count();
        println!("served {label}: {n}");
        assert!(n > 0, "the site never served {label}");
    }
}

/// A job's sessions in a line, for failure messages.
fn describe(sessions: &[Session]) -> String {
    let parts: Vec<String> = sessions
        .iter()
        .map(|s| {
            let error = s.error.as_ref();
            format!(
                "#{} {} on {} {:?} {:?}",
                s.attempt,
                s.status.as_str(),
                s.worker_id,
                error.map(|e| e.kind),
                error.map(|e| e.message.as_str())
            )
        })
        .collect();
    parts.join("; ")
}

fn lost(run: &JobRun) -> usize {
    let lost = run
        .sessions
        .iter()
        .filter(|s| s.status == SessionStatus::Lost);
    lost.count()
}

/// The running count, from session start and end times, never exceeded the limit.
fn check_concurrency(job_runs: &[JobRun]) {
    let sessions: Vec<&Session> = job_runs.iter().flat_map(|r| &r.sessions).collect();
    let slack = chrono::Duration::milliseconds(CLOCK_SLACK_MS);
    let most = runs::max_running(&sessions, slack);
    let mut took: Vec<i64> = (sessions.iter())
        .filter(|s| s.status == SessionStatus::Succeeded)
        .filter_map(|s| s.duration_ms())
        .collect();
    took.sort_unstable();
    let median = took.get(took.len() / 2).copied().unwrap_or_default();
    println!(
        "most attempts running at once: {most} (limit {CONCURRENCY}); median success {median} ms"
    );
    assert!(most <= CONCURRENCY as usize, "{most} ran at once");
    assert!(most >= 2, "the workers ran jobs side by side");
}

/// The killed worker's attempts show as lost and were taken again within two leases.
fn check_lost_work(
    c: &Cluster,
    job_runs: &[JobRun],
    victim: &str,
    killed_at: chrono::DateTime<Utc>,
) {
    let mut taken_again = Vec::new();
    let mut lost_by_live = 0;
    for run in job_runs {
        let path = run.path();
        for (n, session) in run.sessions.iter().enumerate() {
            let cut_short = session.finished_at.is_none_or(|f| f > killed_at);
            if session.worker_id != victim || !cut_short {
                // A live worker loses a lease only when it could not heartbeat in time.
                lost_by_live += usize::from(session.status == SessionStatus::Lost);
                continue;
            }
            assert_eq!(session.status, SessionStatus::Lost, "{path}");
            let error = session.error.as_ref().expect("why it was lost");
            assert!(error.message.contains(victim), "{}", error.message);
            // The last allowed attempt is not taken again: its job failed (see the rules).
            if let Some(next) = run.sessions.get(n + 1) {
                assert_ne!(next.worker_id, victim, "{path}");
                taken_again.push((next.started_at - killed_at).to_std().unwrap_or_default());
            }
        }
    }
    println!("lost attempts of the killed worker taken again after {taken_again:?}");
    println!("leases lost by live workers that could not heartbeat in time: {lost_by_live}");
    assert!(!taken_again.is_empty(), "{victim} lost no work");
    for after in taken_again {
        let limit = c.lease() * 2;
        assert!(after <= limit, "lost work taken again after {after:?}");
    }
}

/// The workers' events reached the test process through Postgres.
async fn check_events(c: &Cluster, done: &Execution, job_runs: &[JobRun], victim: &str) {
    let final_stats = |events: &[Event]| {
        events.iter().rev().find_map(|e| match e {
            Event::Stats(s) if s.execution_id == done.id && !s.status.is_active() => {
                Some(s.clone())
            }
            _ => None,
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let stats = loop {
        if let Some(stats) = final_stats(&c.events()) {
            break stats;
        }
        assert!(Instant::now() < deadline, "no final stats");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((stats.total, stats.counts), (done.total, done.counts));

    let events = c.events();
    let lost: HashSet<_> = (job_runs.iter().flat_map(|r| &r.sessions))
        .filter(|s| s.status == SessionStatus::Lost)
        .map(|s| s.id)
        .collect();
    let mut workers = HashSet::new();
    let mut finished = HashSet::new();
    let mut reclaims = 0;
    for event in &events {
        if let Event::JobTransition {
            execution_id,
            job_id,
            from,
            to,
            worker_id,
            session_id,
            ..
        } = event
        {
            if *execution_id != done.id {
                continue;
            }
            let worker = worker_id.clone().unwrap_or_default();
            if to.is_terminal() {
                finished.insert(*job_id);
            }
            if *from == JobStatus::Running && session_id.is_some_and(|s| lost.contains(&s)) {
                reclaims += 1;
            }
            workers.insert(worker);
        }
    }
    for n in 0..3 {
        assert!(
            workers.contains(&format!("fault-w{n}")),
            "no event from fault-w{n}"
        );
    }
    assert!(
        reclaims > 0,
        "no transition of {victim}'s lost jobs was heard"
    );
    // The killed worker may have died between recording a result and announcing it.
    for run in job_runs {
        let last = run.sessions.last().map(|s| s.worker_id.as_str());
        if last != Some(victim) {
            assert!(
                finished.contains(&run.job.id),
                "no end event for {}",
                run.path()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_worker_killed_and_restarted_loses_and_repeats_nothing() {
    let _one_at_a_time = SERIAL.lock().await;
    with_cluster(LEASE_SECS, plain_site, |mut c| async move {
        let began = Instant::now();
        let started = start(&c, RESTART_JOBS).await;
        for n in 0..3 {
            c.spawn_worker(&format!("first-w{n}"));
        }
        let a_third = RESTART_JOBS as u64 / 3;
        let busy = |e: &Execution| terminal(e) >= a_third && e.counts.running >= 2;
        c.until(started.id, "work in flight", Duration::from_secs(180), busy)
            .await;
        for worker in &mut c.workers {
            worker.kill_tree();
        }
        let killed_at = Utc::now();
        let at_kill = c.execution(started.id).await;
        for worker in &c.workers {
            let leader = worker.pid();
            let gone = move || async move { (!group_alive(leader)).then_some(()) };
            wait_until("the killed processes to go", Duration::from_secs(10), gone).await;
        }
        assert!(at_kill.counts.running > 0, "{:?}", at_kill.counts);
        for n in 0..3 {
            c.spawn_worker(&format!("second-w{n}"));
        }

        let ended = |e: &Execution| !e.status.is_active();
        let done = c
            .until(started.id, "the end", Duration::from_secs(240), ended)
            .await;
        assert_eq!(done.status, ExecutionStatus::Completed);
        assert_counts_add_up(&done);
        println!(
            "{RESTART_JOBS} jobs, every worker killed and replaced, in {:?}",
            began.elapsed()
        );

        let job_runs = runs::job_runs(&c.platform, done.id).await;
        let (mut in_flight, mut lost_by_live, mut worn_out) = (0, 0, 0);
        for run in &job_runs {
            let path = run.path();
            let exhausted = runs::check_attempt_rules(run, MAX_ATTEMPTS);
            worn_out += usize::from(exhausted);
            for (n, session) in run.sessions.iter().enumerate() {
                let first_life = session.worker_id.starts_with("first-");
                let cut_short = session.finished_at.is_none_or(|f| f > killed_at);
                if first_life && cut_short {
                    assert_eq!(session.status, SessionStatus::Lost, "{path}");
                    let next = run.sessions.get(n + 1);
                    assert!(next.is_none_or(|s| s.worker_id.starts_with("second-")));
                    in_flight += 1;
                } else {
                    lost_by_live += usize::from(session.status == SessionStatus::Lost);
                }
            }
        }
        println!("attempts in flight at the kill, all lost and run again: {in_flight}");
        println!("leases lost by live workers that could not heartbeat in time: {lost_by_live}");
        println!("jobs whose every attempt the busy machine failed: {worn_out}");
        assert_eq!(
            in_flight, at_kill.counts.running,
            "every attempt in flight shows as lost"
        );
        // No job was lost: each completed, unless every allowed attempt failed transiently.
        assert_eq!(done.counts.completed as usize + worn_out, RESTART_JOBS);
        check_concurrency(&job_runs);
    })
    .await;
}

/// Plain row pages that take 300 ms.
fn plain_site(path: &str, _: u32) -> Reply {
    let (title, price, brand) = product(row_of(path));
    Reply::Page {
        html: product_page(title, price, brand),
        delay: Duration::from_millis(300),
    }
}
