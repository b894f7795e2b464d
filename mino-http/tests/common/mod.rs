//! A real MINO server for the tests: the router on a random 127.0.0.1 port over a real
//! SQLite file or a throw-away Postgres schema, a fixture shop served by the test, and small
//! HTTP helpers.

#![allow(dead_code)] // each test binary uses a different part

pub mod fixture;
/// A throw-away Postgres schema per test, shared with the workspace's tests.
#[path = "../../../tests/common/pg.rs"]
pub mod pg;
/// Postgres, Chromium and the CI rule, shared with the workspace's tests.
#[path = "../../../tests/common/services.rs"]
mod services;
/// The fixture shop's pages, project and rows, shared with the workspace's tests.
#[path = "../../../tests/common/shop.rs"]
pub mod shop;
/// Waiting on a condition, shared with the workspace's tests.
#[path = "../../../tests/common/wait.rs"]
mod wait;

pub use services::*;
#[allow(unused_imports)] // each test binary uses a different part
pub use {shop::row, wait::wait_until};

use std::time::Duration;

use indexmap::IndexMap;
use mino_core::agent::AgentRegistry;
use mino_core::engine::{Backoff, WorkerConfig};
use mino_core::platform::Platform;
use mino_http::HttpConfig;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::task::JoinHandle;

/// Where a test server keeps its data.
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh schema on the test Postgres server.
    Postgres,
}

/// A platform over a real store, with a worker when asked.
pub struct TestPlatform {
    pub platform: Platform,
    pub database: String,
    _dir: Option<TempDir>,
    schema: Option<pg::PgSchema>,
}

impl TestPlatform {
    /// `None` (after saying why) when the backend's service is missing outside CI.
    pub async fn open(backend: Backend, worker: bool) -> Option<Self> {
        let (database, dir, schema) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite:{}", dir.path().join("mino.db").display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let schema = pg::PgSchema::create().await?;
                (schema.url.clone(), None, Some(schema))
            }
        };
        let platform = platform_on(&database, worker).await;
        Some(TestPlatform {
            platform,
            database,
            _dir: dir,
            schema,
        })
    }

    /// Stops the worker and drops a Postgres schema.
    pub async fn finish(self) {
        self.platform
            .stop_worker(mino_core::engine::Shutdown::HandBack)
            .await;
        if let Some(schema) = self.schema {
            schema.drop().await;
        }
    }
}

/// A second platform on the same database (another "process": its own worker and events).
pub async fn platform_on(database: &str, worker: bool) -> Platform {
    let (store, events) = mino_store::open_with_events(database)
        .await
        .expect("the store opens");
    let driver = mino_browser::driver_from_spec("chromium").expect("a chromium driver");
    let mut agents = AgentRegistry::default();
    mino_browser::register_agents(&mut agents);
    let platform = Platform::builder()
        .store(store)
        .driver(driver)
        .agents(agents)
        .events(events)
        .worker(WorkerConfig {
            backoff: Backoff {
                base: Duration::from_millis(100),
                max: Duration::from_millis(400),
            },
            max_in_flight: 8,
            ..WorkerConfig::default()
        })
        .build()
        .expect("the platform is built");
    if worker {
        platform.start_worker().expect("the worker starts");
    }
    platform
}

/// The router serving on a random local port.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub test: TestPlatform,
    task: JoinHandle<()>,
}

impl TestServer {
    /// A server over `backend` with `config`; `None` when the backend is missing outside CI.
    pub async fn start(backend: Backend, worker: bool, config: HttpConfig) -> Option<Self> {
        let test = TestPlatform::open(backend, worker).await?;
        Some(Self::serve(test, config).await)
    }

    /// Serves the router over an opened platform.
    pub async fn serve(test: TestPlatform, config: HttpConfig) -> Self {
        let app = mino_http::router_with(test.platform.clone(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("the local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            test,
            task,
        }
    }

    /// The platform behind the server.
    pub fn platform(&self) -> &Platform {
        &self.test.platform
    }

    /// An absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET `path`, answering the response as it came (for bodies that are not JSON, headers
    /// and streams).
    pub async fn get_raw(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }

    /// Sends a request with an optional JSON body; answers status, JSON body (or `Null`) and
    /// headers.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, json, headers)
    }

    /// GET, answering status and JSON.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.call(Method::GET, path, None).await;
        (status, body)
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, body, _) = self.call(Method::POST, path, Some(body)).await;
        (status, body)
    }

    /// Creates the fixture-shop project over the API; answers its id.
    pub async fn shop_project(&self, name: &str) -> String {
        let (status, body) = self.post("/api/projects", shop_project_json(name)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Creates a batch from JSON rows; answers its id.
    pub async fn rows_batch(&self, project: &str, rows: &[IndexMap<String, String>]) -> String {
        let (status, body) = self
            .post(
                &format!("/api/projects/{project}/batches"),
                serde_json::json!({ "name": "rows", "rows": rows }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["batch"]["id"].as_str().expect("an id").to_owned()
    }

    /// Stops serving and cleans up.
    pub async fn finish(self) {
        self.task.abort();
        self.test.finish().await;
    }
}

/// The project JSON of the fixture shop: title, price and brand with the heuristic agent,
/// following no links.
pub fn shop_project_json(name: &str) -> Value {
    serde_json::to_value(shop::shop_project(name, 3, 60)).expect("a project as JSON")
}
