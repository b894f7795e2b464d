//! The engine end to end in one process: a `Platform` on SQLite with its worker, real
//! Chromium and the heuristic agent, against fixture sites served on 127.0.0.1 whose pages
//! behave as each test scripts them (normal, slow, 503 at first, 404).
//!
//! Needs Chromium: skipped with a message when it is missing, failed under `CI=true`.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::fixture::Reply;
use common::harness::{collect_events, paths, production, shop, Harness, BACKOFF};
use common::runs::{self, assert_counts_add_up, JobRun};
use common::{product, wait_until};
use mino::engine::WorkerConfig;
use mino::events::Event;
use mino::metrics::batch_report;
use mino::model::{
    Execution, ExecutionId, ExecutionMode, ExecutionStatus, JobFilter, JobStatus, SessionStatus,
    Usage,
};
use mino::platform::StartExecution;
use mino::ErrorKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_execution_completes_with_sessions_events_and_accuracy() {
    let delay = Duration::from_millis(300);
    let Some(h) = Harness::start(shop(delay)).await else {
        return;
    };
    let all = paths("/p", 12);
    let project = runs::shop_project(&h.platform, 5, 60).await;
    // Some rows hold wrong ground truth, so accuracy has something to find.
    let wrong_brand = [2u64, 7];
    let wrong_price = [4u64];
    let rows: Vec<_> = all
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let (title, price, brand) = product(i);
            let i = i as u64;
            let brand = if wrong_brand.contains(&i) {
                "Someone Else"
            } else {
                brand
            };
            let price = if wrong_price.contains(&i) {
                "$1.00"
            } else {
                price
            };
            runs::row(&h.server.url(path), title, price, brand)
        })
        .collect();
    let batch = runs::batch(&h.platform, &project, &rows).await;
    let events = collect_events(&h.platform, Duration::from_secs(180));
    let started = h
        .platform
        .start_execution(
            project.id,
            batch.id,
            StartExecution {
                mode: Some(ExecutionMode::Test),
                concurrency: Some(3),
                ..StartExecution::default()
            },
        )
        .await
        .expect("the execution starts");
    assert_eq!((started.total, started.sample_size), (10, Some(10)));

    let done = h.finished(started.id, Duration::from_secs(180)).await;
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_counts_add_up(&done);
    assert_eq!(done.counts.completed, 10, "{:?}", done.counts);
    assert!(done.finished_at.is_some());

    let job_runs = runs::job_runs(&h.platform, done.id).await;
    assert_eq!(job_runs.len(), 10);
    for run in &job_runs {
        check_succeeded_once(&h, run, delay).await;
    }
    for path in &all {
        let sampled = job_runs.iter().any(|r| &r.path() == path);
        assert_eq!(
            h.server.hits(path),
            u32::from(sampled),
            "requests for {path}"
        );
    }

    // Per-field accuracy: every sampled row passes except where its ground truth is wrong.
    let sampled: Vec<u64> = job_runs.iter().map(|r| r.job.row_index).collect();
    let expect = |wrong: &[u64]| sampled.iter().filter(|i| !wrong.contains(i)).count() as u64;
    let report = batch_report(
        h.platform.store().as_ref(),
        &JobFilter {
            execution_id: Some(done.id),
            ..JobFilter::default()
        },
    )
    .await
    .expect("the metrics");
    let passed: HashMap<&str, (u64, u64)> = report
        .metrics
        .columns
        .iter()
        .map(|c| (c.field.as_str(), (c.evaluated, c.passed)))
        .collect();
    assert_eq!(passed["title"], (10, 10));
    assert_eq!(passed["price"], (10, expect(&wrong_price)));
    assert_eq!(passed["brand"], (10, expect(&wrong_brand)));

    check_events(&done, &job_runs, events.await.expect("the event collector")).await;
    h.stop().await;
}

/// One successful attempt with its log, screenshot, worker, timings and usage.
async fn check_succeeded_once(h: &Harness, run: &JobRun, page_delay: Duration) {
    assert_eq!(run.job.status, JobStatus::Completed, "{}", run.job.site_url);
    let [session] = run.sessions.as_slice() else {
        panic!("one session for {}: {:?}", run.job.site_url, run.sessions);
    };
    assert_eq!(session.status, SessionStatus::Succeeded);
    assert_eq!(session.attempt, 1);
    assert_eq!(session.worker_id, h.worker_id);
    assert!(session.error.is_none());
    assert!(
        session
            .log
            .iter()
            .any(|l| l.message.contains("attempt 1 of 5")),
        "log: {:?}",
        session.log
    );
    let took = session
        .duration_ms()
        .expect("a finished session has a duration");
    assert!(
        took >= page_delay.as_millis() as i64,
        "{took} ms is shorter than the page's delay"
    );
    assert_eq!(
        session.final_url.as_deref(),
        Some(run.job.site_url.as_str())
    );
    assert_eq!(
        session.usage,
        Usage::default(),
        "the heuristic agent spends nothing"
    );
    let extraction = session.extraction.as_ref().expect("an extraction");
    assert_eq!(extraction.len(), 3);
    let shot = session.screenshot.expect("a screenshot");
    let (artifact, bytes) = h
        .platform
        .store()
        .get_artifact(shot)
        .await
        .expect("the screenshot is stored");
    assert_eq!(artifact.content_type, "image/jpeg");
    assert_eq!(bytes.get(..2), Some(&[0xFF, 0xD8][..]), "JPEG bytes");
}

/// Every transition is an event; stats carried an ETA mid-run and end equal to the store.
async fn check_events(done: &Execution, job_runs: &[JobRun], events: Vec<Event>) {
    let mut started = HashMap::new();
    let mut completed = HashMap::new();
    let mut stats = Vec::new();
    for event in events.iter().filter(|e| e.execution_id() == done.id) {
        match event {
            Event::JobTransition {
                job_id, from, to, ..
            } => match (from, to) {
                (JobStatus::Queued, JobStatus::Running) => {
                    *started.entry(*job_id).or_insert(0) += 1
                }
                (JobStatus::Running, JobStatus::Completed) => {
                    *completed.entry(*job_id).or_insert(0) += 1
                }
                other => panic!("unexpected transition {other:?}"),
            },
            Event::Stats(s) => stats.push(s.clone()),
            _ => {}
        }
    }
    for run in job_runs {
        assert_eq!(
            started.get(&run.job.id),
            Some(&1),
            "start event of {}",
            run.job.id
        );
        assert_eq!(
            completed.get(&run.job.id),
            Some(&1),
            "end event of {}",
            run.job.id
        );
    }
    let last = stats.last().expect("stats events");
    assert_eq!(last.status, ExecutionStatus::Completed);
    assert_eq!((last.total, last.counts), (done.total, done.counts));
    assert_eq!((last.progress, last.eta_secs), (1.0, Some(0)));
    let mid_run = stats
        .iter()
        .find(|s| s.status == ExecutionStatus::Running && s.progress > 0.0 && s.progress < 1.0);
    let mid_run = mid_run.expect("stats while the execution ran");
    assert!(
        stats.iter().any(|s| s.status == ExecutionStatus::Running
            && s.eta_secs.is_some_and(|eta| eta > 0)
            && s.throughput_per_min > 0.0),
        "an ETA from the recent throughput while running; first mid-run stats: {mid_run:?}"
    );
    for s in &stats {
        assert_eq!(s.counts.total(), s.total, "stats counts add up: {s:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_retry_with_backoff_and_permanent_ones_fail_at_once() {
    let Some(h) = Harness::start(|path, hit| {
        let page = shop(Duration::ZERO);
        match path.split('/').nth(1) {
            Some("flaky") if hit == 1 => Reply::Status(503),
            Some("dropped") if hit == 1 => Reply::Drop,
            Some("gone") => Reply::Status(404),
            Some("down") => Reply::Status(503),
            _ => page(path, hit),
        }
    })
    .await
    else {
        return;
    };
    let default_attempts = mino::model::ProjectSettings::default().max_attempts;
    assert_eq!(default_attempts, 5);
    let all: Vec<String> = [
        paths("/ok", 2),
        paths("/flaky", 2),
        paths("/dropped", 2),
        paths("/gone", 2),
    ]
    .concat()
    .into_iter()
    .chain(["/down/0".to_owned()])
    .collect();
    let batch = h.batch(default_attempts, 60, &all).await;
    let started = h.start_execution(&batch, production(4)).await;
    assert_eq!(started.max_attempts, 5);

    let done = h.finished(started.id, Duration::from_secs(180)).await;
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_counts_add_up(&done);
    assert_eq!((done.counts.completed, done.counts.failed), (6, 3));

    for run in runs::job_runs(&h.platform, done.id).await {
        let path = run.path();
        let kinds: Vec<_> = run.sessions.iter().map(|s| s.status).collect();
        let hits = h.server.hits(&path);
        match path.split('/').nth(1) {
            Some("ok") => assert_eq!((kinds, hits), (vec![SessionStatus::Succeeded], 1)),
            // Chromium sends a request again by itself when the connection it dropped was
            // one it had opened ahead of time: one attempt then made both requests.
            Some("dropped") if kinds == [SessionStatus::Succeeded] => assert_eq!(hits, 2),
            Some(first @ ("flaky" | "dropped")) => {
                use SessionStatus::{Failed, Succeeded};
                assert_eq!((kinds, hits), (vec![Failed, Succeeded], 2), "{path}");
                assert_eq!(run.job.status, JobStatus::Completed);
                let error = run.sessions[0].error.as_ref().expect("the first error");
                let kind = match first {
                    "flaky" => ErrorKind::HttpStatus,
                    _ => ErrorKind::Network,
                };
                assert_eq!(
                    (error.kind, error.transient),
                    (kind, true),
                    "{path}: {error:?}"
                );
                let log = &run.sessions[0].log;
                assert!(
                    log.iter().any(|l| l.message.contains("retrying in")),
                    "{log:?}"
                );
                assert_eq!(run.sessions[1].attempt, 2);
            }
            Some("gone") => {
                assert_eq!((kinds, hits), (vec![SessionStatus::Failed], 1), "{path}");
                assert_eq!(run.job.status, JobStatus::Failed);
                let error = run.sessions[0].error.as_ref().expect("the 404's error");
                assert_eq!(
                    (error.kind, error.transient),
                    (ErrorKind::HttpStatus, false)
                );
            }
            Some("down") => {
                assert_eq!((kinds, hits), (vec![SessionStatus::Failed; 5], 5), "{path}");
                assert_eq!((run.job.status, run.job.attempts), (JobStatus::Failed, 5));
                check_backoff(&run);
            }
            _ => panic!("unexpected job {path}"),
        }
    }
    h.stop().await;
}

/// The pauses between attempts stay under the backoff's caps (plus the worker's polling):
/// the configured backoff is the one applied.
fn check_backoff(run: &JobRun) {
    let poll = WorkerConfig::default().poll_interval;
    for (n, pair) in run.sessions.windows(2).enumerate() {
        let ended = pair[0].finished_at.expect("a finished attempt");
        let pause = (pair[1].started_at - ended).to_std().unwrap_or_default();
        let cap = BACKOFF.cap(n as u32 + 1);
        assert!(
            pause <= cap + poll * 2 + Duration::from_millis(500),
            "attempt {} began {pause:?} after the previous one, cap {cap:?}",
            n + 2
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_page_times_out_after_max_attempts() {
    // The page would come after 30 s; the job's limit is 3 s.
    let Some(h) = Harness::start(shop(Duration::from_secs(30))).await else {
        return;
    };
    let batch = h.batch(3, 3, &["/p/0".to_owned()]).await;
    let started = h.start_execution(&batch, production(1)).await;
    let done = h.finished(started.id, Duration::from_secs(120)).await;
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_counts_add_up(&done);
    assert_eq!(done.counts.failed, 1);

    let [run] = runs::job_runs(&h.platform, done.id)
        .await
        .try_into()
        .expect("one job");
    assert_eq!((run.job.status, run.job.attempts), (JobStatus::Failed, 3));
    assert!(
        run.job
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("limit of 3 s")),
        "{:?}",
        run.job.last_error
    );
    assert_eq!(run.sessions.len(), 3);
    for session in &run.sessions {
        assert_eq!(session.status, SessionStatus::Failed);
        let error = session.error.as_ref().expect("an error");
        assert_eq!((error.kind, error.transient), (ErrorKind::Timeout, true));
        let took = session.duration_ms().unwrap_or_default();
        assert!((3_000..20_000).contains(&took), "an attempt took {took} ms");
    }
    assert_eq!(h.server.hits("/p/0"), 3);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_new_claims_and_resume_finishes() {
    let Some(h) = Harness::start(shop(Duration::from_millis(400))).await else {
        return;
    };
    let batch = h.batch(5, 60, &paths("/p", 12)).await;
    let started = h.start_execution(&batch, production(2)).await;
    h.until(started.id, "three jobs done", |e| e.counts.completed >= 3)
        .await;
    let paused = h.platform.pause_execution(started.id).await.expect("pause");
    let paused_at = Utc::now();
    assert_eq!(paused.status, ExecutionStatus::Paused);

    // Running attempts finish; then nothing starts, however long we look.
    h.until(started.id, "running attempts to finish", |e| {
        e.counts.running == 0
    })
    .await;
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(2) {
        let now = h.execution(started.id).await;
        assert_eq!(
            (now.status, now.counts.running),
            (ExecutionStatus::Paused, 0)
        );
        assert!(
            now.counts.queued > 0,
            "jobs wait while paused: {:?}",
            now.counts
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before_resume = runs::job_runs(&h.platform, started.id).await;
    let sessions: Vec<_> = before_resume.iter().flat_map(|r| &r.sessions).collect();
    assert!(
        sessions.iter().all(|s| s.started_at < paused_at),
        "a session began while paused"
    );
    assert!(sessions
        .iter()
        .all(|s| s.status == SessionStatus::Succeeded));

    let resumed_at = Utc::now();
    h.platform
        .resume_execution(started.id)
        .await
        .expect("resume");
    let done = h.finished(started.id, Duration::from_secs(180)).await;
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_counts_add_up(&done);
    assert_eq!(done.counts.completed, 12);
    let after = runs::job_runs(&h.platform, started.id).await;
    let resumed = after
        .iter()
        .flat_map(|r| &r.sessions)
        .filter(|s| s.started_at >= resumed_at)
        .count();
    assert_eq!(
        resumed,
        12 - sessions.len(),
        "the rest ran after the resume"
    );
    assert!(after.iter().all(|r| r.sessions.len() == 1));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_cancels_queued_jobs_and_aborts_running_ones_within_seconds() {
    // Pages take 20 s, so the running attempts are mid-page when the stop comes.
    let Some(h) = Harness::start(shop(Duration::from_secs(20))).await else {
        return;
    };
    let batch = h.batch(5, 60, &paths("/p", 20)).await;
    let started = h.start_execution(&batch, production(3)).await;
    h.until(started.id, "three attempts running", |e| {
        e.counts.running == 3
    })
    .await;
    let server = &h.server;
    wait_until(
        "three pages requested",
        Duration::from_secs(60),
        move || async move { Some(()).filter(|_| server.served().len() == 3) },
    )
    .await;

    let stop_asked = Instant::now();
    let stopping = h.platform.stop_execution(started.id).await.expect("stop");
    // Attempts run, so the execution stops only once they are aborted.
    assert_eq!(stopping.status, ExecutionStatus::Stopping);
    let stopped = h
        .until_within(started.id, "the stop", Duration::from_secs(5), |e| {
            !e.status.is_active()
        })
        .await;
    let took = stop_asked.elapsed();
    assert_eq!(
        stopped.status,
        ExecutionStatus::Stopped,
        "stopped after {took:?}"
    );
    assert_counts_add_up(&stopped);
    assert_eq!(stopped.counts.cancelled, 20, "{:?}", stopped.counts);

    let job_runs = runs::job_runs(&h.platform, started.id).await;
    let sessions: Vec<_> = job_runs.iter().flat_map(|r| &r.sessions).collect();
    assert_eq!(sessions.len(), 3, "only the running attempts had sessions");
    for session in sessions {
        assert_eq!(session.status, SessionStatus::Cancelled);
        let error = session.error.as_ref().expect("why it ended");
        assert_eq!(error.kind, ErrorKind::Cancelled);
    }
    assert!(job_runs
        .iter()
        .all(|r| r.job.status == JobStatus::Cancelled));
    assert_eq!(
        h.server.served().len(),
        3,
        "no page was requested after the stop"
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_changes_are_obeyed_mid_run() {
    let Some(h) = Harness::start(shop(Duration::from_millis(600))).await else {
        return;
    };
    let batch = h.batch(5, 60, &paths("/p", 36)).await;
    let started = h.start_execution(&batch, production(2)).await;
    h.until(started.id, "four jobs done", |e| e.counts.completed >= 4)
        .await;
    let raise = change_concurrency(&h, started.id, 10).await;
    h.until(started.id, "sixteen jobs done", |e| {
        e.counts.completed >= 16
    })
    .await;
    let lower = change_concurrency(&h, started.id, 3).await;
    let done = h.finished(started.id, Duration::from_secs(240)).await;
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_counts_add_up(&done);
    assert_eq!(done.counts.completed, 36);

    let job_runs = runs::job_runs(&h.platform, started.id).await;
    let sessions: Vec<_> = job_runs.iter().flat_map(|r| &r.sessions).collect();
    // A loaded machine may make an attempt fail and retry; every job still succeeds once.
    assert!(sessions.len() >= 36, "{} sessions", sessions.len());
    let succeeded = sessions
        .iter()
        .filter(|s| s.status == mino::model::SessionStatus::Succeeded)
        .count();
    assert_eq!(succeeded, 36);
    // SQLite takes every timestamp inside its single write transaction: no slack needed.
    let mut most = [0usize; 3];
    for (start, running) in runs::running_at_starts(&sessions, chrono::Duration::zero()) {
        // A claim racing a change may use either limit: the higher one applies while the
        // change is under way (from just before the call to just after it returned).
        let (limit, phase) = if start < raise.0 {
            (2, 0)
        } else if start < lower.0 {
            (10, 1)
        } else if start <= lower.1 {
            (10, 2)
        } else {
            (3, 2)
        };
        assert!(
            running <= limit,
            "{running} running at {start} (limit {limit})"
        );
        most[phase] = most[phase].max(running);
    }
    assert_eq!(most[0], 2, "the first limit was used");
    assert_eq!(most[1], 10, "the raised limit was used at once");
    let after_lower = sessions.iter().filter(|s| s.started_at > lower.1).count();
    assert!(
        after_lower >= 5,
        "{after_lower} jobs ran under the lowered limit"
    );
    assert!(h.server.max_in_flight() <= 10);
    h.stop().await;
}

/// Sets the concurrency; returns the instants just before and just after the change.
async fn change_concurrency(
    h: &Harness,
    id: ExecutionId,
    concurrency: u32,
) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let before = Utc::now();
    let changed = h.platform.set_concurrency(id, concurrency).await;
    assert_eq!(changed.expect("the change").concurrency, concurrency);
    (before, Utc::now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_handle_is_dropped_stops_claiming() {
    let Some(h) = Harness::start(shop(Duration::ZERO)).await else {
        return;
    };
    h.platform
        .stop_worker(mino::engine::Shutdown::Graceful)
        .await;
    let p = &h.platform;
    let orphan = mino::engine::start_worker(
        p.store().clone(),
        p.driver().clone(),
        p.agents().clone(),
        p.events().clone(),
        WorkerConfig {
            poll_interval: Duration::from_millis(20),
            ..WorkerConfig::default()
        },
    );
    drop(orphan);
    let b = h.batch(1, 60, &paths("/p", 3)).await;
    let started = h.start_execution(&b, production(3)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let now = h.execution(started.id).await;
    assert_eq!(
        (now.counts.queued, now.counts.running),
        (3, 0),
        "nothing claimed the jobs: {:?}",
        now.counts
    );
    // A worker that is kept runs them.
    p.start_worker().expect("a worker starts");
    let done = h.finished(started.id, Duration::from_secs(120)).await;
    assert_eq!(done.counts.completed, 3);
    h.stop().await;
}
