//! The `agentql` agent against a local server speaking AgentQL's documented query-data format
//! (`POST /v1/query-data`, `X-API-Key`, `{query, html, params}` → `{data, metadata}`), with
//! the agent driving real Chromium on a local fixture page.
#![cfg(all(feature = "agentql", feature = "chromium"))]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mino_browser::agentql::AgentQlAgent;
use mino_browser::chromium::{find_chromium, ChromiumConfig, ChromiumDriver};
use mino_core::agent::{Agent, AgentOutcome, AgentTask};
use mino_core::browser::{BrowserDriver, BrowserSession, SessionOptions};
use mino_core::model::{FieldType, OutputField};
use mino_core::{ErrorKind, Result};
use serde_json::{json, Value};

/// One Chromium at a time: the machine is small and shared.
static BROWSER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn chromium_found() -> bool {
    if find_chromium().is_some() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("Chromium is required when CI is set, but it was not found (MINO_CHROME or PATH)");
    }
    eprintln!("skipping: Chromium not found (set CI=true to make this a failure)");
    false
}

async fn run_agent(agent: &AgentQlAgent, task: &AgentTask) -> Result<AgentOutcome> {
    let _turn = BROWSER_TURN.lock().await;
    let driver = ChromiumDriver::new(ChromiumConfig::local());
    let mut session: Box<dyn BrowserSession> = driver
        .open(SessionOptions::default())
        .await
        .expect("open a Chromium session");
    let outcome = agent.run(task, session.as_mut()).await;
    session.close().await.expect("close");
    driver.shutdown().await;
    outcome
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{addr}")
}

/// A product page whose price is rendered by script, so only a real browser's HTML has it.
async fn product_page() -> String {
    serve(Router::new().route(
        "/anvil",
        get(|| async {
            Html(
                "<!DOCTYPE html><html><head><title>Acme Anvil</title></head><body>\
                 <h1>Acme Anvil</h1><p id=\"price\"></p>\
                 <script>document.getElementById('price').textContent = 'Price: $19.99';</script>\
                 </body></html>",
            )
        }),
    ))
    .await
}

/// One scripted answer of the fake AgentQL: status, headers, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, Value);

#[derive(Clone)]
struct Api {
    answers: Arc<Vec<Answer>>,
    requests: Arc<Mutex<Vec<(Instant, String, Value)>>>,
}

impl Api {
    fn requests(&self) -> Vec<(Instant, String, Value)> {
        self.requests.lock().expect("lock").clone()
    }
}

/// Serves `answers` in order (the last one repeats) on `/v1/query-data`, recording the key
/// header and the body of every request. Requests without JSON `query` and `html` strings get
/// HTTP 422, as a real API would refuse them.
async fn agentql_api(answers: Vec<Answer>) -> (String, Api) {
    let api = Api {
        answers: Arc::new(answers),
        requests: Arc::new(Mutex::new(Vec::new())),
    };
    let router = Router::new()
        .route("/v1/query-data", post(query_data))
        .with_state(api.clone());
    (serve(router).await, api)
}

async fn query_data(
    State(api): State<Api>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let n = {
        let mut requests = api.requests.lock().expect("lock");
        requests.push((Instant::now(), key, body.clone()));
        requests.len() - 1
    };
    if !body["query"].is_string() || !body["html"].is_string() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"detail": "query and html are required"})),
        )
            .into_response();
    }
    let (status, headers, answer) = api.answers[n.min(api.answers.len() - 1)].clone();
    let mut response =
        (StatusCode::from_u16(status).expect("status"), Json(answer)).into_response();
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("header value"));
    }
    response
}

fn agent(base_url: &str, extra: Value) -> AgentQlAgent {
    let mut settings = json!({"base_url": base_url, "api_key": "aq-test-key", "mode": "standard",
                              "navigation_timeout_secs": 15});
    if let (Some(settings), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
        settings.extend(extra.clone());
    }
    AgentQlAgent::from_json(&settings).expect("valid settings")
}

fn task(site: &str) -> AgentTask {
    let mut price = OutputField::named("Price (USD)");
    price.field_type = FieldType::Number;
    price.description = "The price shown under the heading".to_owned();
    AgentTask {
        instructions: "Read the product.".to_owned(),
        site_url: format!("{site}/anvil"),
        inputs: Default::default(),
        output_fields: vec![
            OutputField::named("product name"),
            price,
            OutputField::named("sku"),
        ],
    }
}

fn found() -> Answer {
    (
        200,
        Vec::new(),
        json!({
            "data": {"product_name": "Acme Anvil", "Price_USD": "$19.99", "sku": null},
            "metadata": {"request_id": "ecab9d2c-test"}
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_the_rendered_page_and_reads_the_data() {
    if !chromium_found() {
        return;
    }
    let site = product_page().await;
    let (api_url, api) = agentql_api(vec![found()]).await;
    let outcome = run_agent(&agent(&api_url, json!({})), &task(&site))
        .await
        .expect("the run succeeds");

    assert_eq!(
        outcome.values["product name"].as_deref(),
        Some("Acme Anvil")
    );
    assert_eq!(outcome.values["Price (USD)"].as_deref(), Some("$19.99"));
    assert_eq!(outcome.values["sku"], None);
    assert_eq!(outcome.evidence["Price (USD)"].rule, "agentql:query-data");
    assert!(!outcome.evidence.contains_key("sku"));
    assert_eq!(
        outcome.final_url.as_deref(),
        Some(format!("{site}/anvil").as_str())
    );

    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    let (_, key, body) = &requests[0];
    assert_eq!(key, "aq-test-key");
    assert_eq!(
        body["query"],
        "{\n  product_name\n  Price_USD(The price shown under the heading)\n  sku\n}"
    );
    assert_eq!(body["params"], json!({"mode": "standard"}));
    let html = body["html"].as_str().expect("html");
    assert!(html.contains("<h1>Acme Anvil</h1>"), "{html}");
    // The browser ran the page's script: the HTML is the rendered DOM.
    assert!(html.contains("Price: $19.99"), "{html}");

    assert!(
        outcome
            .log
            .iter()
            .any(|l| l.message.contains("ecab9d2c-test")),
        "metadata is logged: {:?}",
        outcome.log
    );
    assert_eq!(outcome.screenshots.len(), 1);
    assert!(outcome.screenshots[0]
        .bytes
        .starts_with(&[0xFF, 0xD8, 0xFF]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_have_the_right_kinds() {
    if !chromium_found() {
        return;
    }
    let site = product_page().await;

    // A refused key is permanent and not retried.
    let (api_url, api) = agentql_api(vec![(
        401,
        Vec::new(),
        json!({"detail": "Invalid API key"}),
    )])
    .await;
    let err = run_agent(&agent(&api_url, json!({})), &task(&site))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Agent);
    assert!(!err.is_transient());
    assert!(err.message().contains("Invalid API key"), "{err:?}");
    assert_eq!(api.requests().len(), 1);

    // A rate limit is waited out as Retry-After says.
    let (api_url, api) = agentql_api(vec![
        (
            429,
            vec![("retry-after", "1")],
            json!({"detail": "Too many requests"}),
        ),
        found(),
    ])
    .await;
    let outcome = run_agent(&agent(&api_url, json!({})), &task(&site))
        .await
        .expect("succeeds after the wait");
    assert_eq!(
        outcome.values["product name"].as_deref(),
        Some("Acme Anvil")
    );
    let requests = api.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].0 - requests[0].0 >= Duration::from_secs(1));

    // A failing service is retried, then a transient error.
    let (api_url, api) =
        agentql_api(vec![(503, Vec::new(), json!({"detail": "overloaded"}))]).await;
    let err = run_agent(&agent(&api_url, json!({"max_retries": 1})), &task(&site))
        .await
        .expect_err("down");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.is_transient());
    assert_eq!(err.context_value("status"), Some("503"));
    assert_eq!(api.requests().len(), 2);
}
