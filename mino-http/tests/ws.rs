//! Live monitoring over WebSocket: a client follows a whole execution (run by a real worker
//! with Chromium on fixture pages, in the same process on SQLite and in another platform on
//! Postgres, so events cross processes through the database), sequence numbers have no gap,
//! the final stats equal the store's, and a stalled client is dropped without slowing anyone.

mod common;

use std::time::{Duration, Instant};

use common::fixture::{product, Shop};
use common::{Backend, TestPlatform, TestServer};
use futures::{SinkExt, StreamExt};
use mino_core::events::Event;
use mino_core::model::{ExecutionId, JobId, LogLevel, LogLine, SessionId};
use mino_http::HttpConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &TestServer, query: &str) -> Client {
    let url = format!("{}/ws{query}", server.base.replace("http://", "ws://"));
    let (client, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the WebSocket connects");
    client
}

/// The next JSON message, failing after `timeout`.
async fn next_json(client: &mut Client, timeout: Duration) -> Value {
    loop {
        let message = tokio::time::timeout(timeout, client.next())
            .await
            .expect("a message in time")
            .expect("the connection is open")
            .expect("a readable message");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

/// Creates the shop project and a batch of `n` product pages; answers (project, batch).
async fn shop_batch(server: &TestServer, shop: &Shop, n: usize) -> (String, String) {
    let project = server.shop_project("live").await;
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let (title, price, brand) = product(i);
            common::row(&shop.url(i), title, price, brand)
        })
        .collect();
    let batch = server.rows_batch(&project, &rows).await;
    (project, batch)
}

/// Follows an execution from subscribe to its end; checks the snapshot, the sequence and
/// the final stats against the store.
async fn follow_whole_execution(server: &TestServer) {
    let shop = Shop::start().await;
    let (project, batch) = shop_batch(server, &shop, 12).await;
    let (status, execution) = server
        .post(
            &format!("/api/projects/{project}/batches/{batch}/execute"),
            json!({ "mode": "test", "sample_size": 10, "concurrency": 4 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{execution}");
    let id = execution["id"].as_str().expect("an id").to_owned();
    let mut client = connect(server, "").await;
    client
        .send(Message::Text(
            json!({ "type": "subscribe", "execution_id": id })
                .to_string()
                .into(),
        ))
        .await
        .expect("subscribe is sent");

    let mut snapshot_seq: Option<u64> = None;
    let mut last_seq = 0;
    let mut transitions = 0;
    let mut final_stats = None;
    let deadline = Instant::now() + Duration::from_secs(180);
    while final_stats.is_none() {
        assert!(
            Instant::now() < deadline,
            "the execution did not end in time"
        );
        let message = next_json(&mut client, Duration::from_secs(120)).await;
        match message["type"].as_str() {
            Some("snapshot") => {
                assert_eq!(message["execution_id"], id.as_str());
                assert_eq!(message["stats"]["total"], 10);
                let seq = message["seq"].as_u64().expect("a sequence number");
                snapshot_seq = Some(seq);
                last_seq = seq;
                if message["stats"]["status"] == "completed" {
                    final_stats = Some(message["stats"].clone());
                }
            }
            Some("event") => {
                let seq = message["seq"].as_u64().expect("a sequence number");
                let event = &message["event"];
                assert!(
                    snapshot_seq.is_some(),
                    "the snapshot comes first: {message}"
                );
                if event["type"] == "frame" {
                    assert!(seq <= last_seq, "frames repeat the last number");
                    continue;
                }
                assert_eq!(seq, last_seq + 1, "no gap and no repeat: {message}");
                last_seq = seq;
                match event["type"].as_str() {
                    Some("job_transition") => transitions += 1,
                    Some("stats") if event["status"] == "completed" => {
                        final_stats = Some(event.clone())
                    }
                    _ => {}
                }
            }
            other => panic!("unexpected message {other:?}: {message}"),
        }
    }
    let final_stats = final_stats.expect("final stats");
    assert!(transitions > 0, "job transitions were seen");
    let (_, stored) = server.get(&format!("/api/executions/{id}")).await;
    assert_eq!(stored["status"], "completed");
    assert_eq!(
        final_stats["counts"], stored["counts"],
        "live counts equal the store's"
    );
    assert_eq!(final_stats["total"], stored["total"]);
    assert_eq!(final_stats["progress"], 1.0);
    assert_eq!(stored["counts"]["completed"], 10, "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_follows_a_whole_execution_on_sqlite() {
    if !common::require_chromium() {
        return;
    }
    let server = TestServer::start(Backend::Sqlite, true, HttpConfig::default())
        .await
        .expect("SQLite is always there");
    follow_whole_execution(&server).await;
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_without_worker_relays_a_remote_workers_events_on_postgres() {
    if !common::require_chromium() {
        return;
    }
    let Some(test) = TestPlatform::open(Backend::Postgres, false).await else {
        return;
    };
    // The worker runs on its own platform: its events reach the server only through
    // Postgres, as from another machine.
    let worker = common::platform_on(&test.database, true).await;
    assert!(!test.platform.has_worker());
    let server = TestServer::serve(test, HttpConfig::default()).await;
    follow_whole_execution(&server).await;
    worker
        .stop_worker(mino_core::engine::Shutdown::HandBack)
        .await;
    server.finish().await;
}

fn log_event(execution: ExecutionId, i: usize) -> Event {
    Event::Log {
        execution_id: execution,
        job_id: JobId::new(),
        session_id: SessionId::new(),
        line: LogLine {
            at: chrono::Utc::now(),
            level: LogLevel::Info,
            message: format!("line {i} {}", "x".repeat(8000)),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_client_is_dropped_and_slows_nobody() {
    let config = HttpConfig {
        ws_queue: 1024,
        ws_send_timeout: Duration::from_secs(2),
        ..HttpConfig::default()
    };
    let server = TestServer::start(Backend::Sqlite, false, config)
        .await
        .expect("SQLite is always there");
    let project = server.shop_project("stall").await;
    let rows: Vec<_> = (0..10)
        .map(|i| common::row(&format!("https://s{i}.example/"), "T", "$1", "B"))
        .collect();
    let batch = server.rows_batch(&project, &rows).await;
    let (_, execution) = server
        .post(
            &format!("/api/projects/{project}/batches/{batch}/execute"),
            json!({}),
        )
        .await;
    let id = execution["id"].as_str().expect("an id").to_owned();
    let execution_id = ExecutionId::parse(&id).expect("an execution id");

    let mut stalled = connect(&server, &format!("?execution_id={id}")).await;
    let mut fast = connect(&server, &format!("?execution_id={id}")).await;
    let snapshot = next_json(&mut stalled, Duration::from_secs(10)).await;
    assert_eq!(snapshot["type"], "snapshot");
    let snapshot = next_json(&mut fast, Duration::from_secs(10)).await;
    assert_eq!(snapshot["type"], "snapshot");
    let first = snapshot["seq"].as_u64().expect("a sequence number");

    // 8,000 events of 8 kB at about 2,000 a second: 64 MB, far more than the socket buffers
    // and the queue of a client that reads nothing.
    const EVENTS: usize = 8_000;
    let events = server.platform().events().clone();
    let publisher = tokio::spawn(async move {
        for i in 0..EVENTS {
            events.publish(log_event(execution_id, i));
            if i % 20 == 19 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    // The fast client reads everything, in order, while the stalled one reads nothing.
    let started = Instant::now();
    let mut expected = first + 1;
    let mut received = 0;
    while received < EVENTS {
        let message = next_json(&mut fast, Duration::from_secs(20)).await;
        if message["type"] != "event" {
            continue;
        }
        // Every event of the execution (logs, and the stats derived from them) is numbered.
        assert_eq!(message["seq"].as_u64(), Some(expected), "in order, no gap");
        expected += 1;
        if message["event"]["type"] == "log" {
            received += 1;
        }
    }
    let elapsed = started.elapsed();
    publisher.await.expect("the publisher ends");
    assert!(
        elapsed < Duration::from_secs(30),
        "the fast client was slowed down: {elapsed:?}"
    );
    // The stalled client was dropped: its stream ends (after a `dropped` notice) instead of
    // holding the server's memory.
    let metrics = server.get_raw("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains("mino_ws_dropped_clients_total 1"),
        "{metrics}"
    );
    let mut saw_end = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), stalled.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("\"dropped\"") => {
                saw_end = true;
                break;
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                saw_end = true;
                break;
            }
            Ok(Some(Ok(_))) => continue,
            Err(_) => break,
        }
    }
    assert!(saw_end, "the stalled client's connection ends");
    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_are_answered_with_errors() {
    let server = TestServer::start(Backend::Sqlite, false, HttpConfig::default())
        .await
        .expect("SQLite is always there");
    let response = server.get_raw("/ws?execution_id=nope").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let mut client = connect(&server, "").await;
    for (message, code) in [
        ("not json".to_owned(), "VALIDATION_ERROR"),
        (
            json!({ "type": "subscribe" }).to_string(),
            "VALIDATION_ERROR",
        ),
        (
            json!({ "type": "subscribe", "execution_id": "xyz" }).to_string(),
            "VALIDATION_ERROR",
        ),
        (
            json!({ "type": "subscribe", "execution_id": ExecutionId::new() }).to_string(),
            "NOT_FOUND",
        ),
        (
            json!({ "type": "subscribe", "job_id": JobId::new() }).to_string(),
            "NOT_FOUND",
        ),
    ] {
        client
            .send(Message::Text(message.clone().into()))
            .await
            .expect("sent");
        let answer = next_json(&mut client, Duration::from_secs(10)).await;
        assert_eq!(answer["type"], "error", "{message}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{message}: {answer}");
    }
    client
        .send(Message::Text(json!({ "type": "ping" }).to_string().into()))
        .await
        .expect("sent");
    assert_eq!(
        next_json(&mut client, Duration::from_secs(10)).await["type"],
        "pong"
    );
    server.finish().await;
}
