//! Shared by the `llm` agent tests: one Chromium session per run, a bookshop fixture site that
//! records what it serves, and a scripted chat-completions server.

#![allow(dead_code)] // each test uses a different part

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mino_browser::chromium::{find_chromium, ChromiumConfig, ChromiumDriver};
use mino_browser::llm::LlmAgent;
use mino_core::agent::{Agent, AgentOutcome, AgentTask};
use mino_core::browser::{BrowserDriver, BrowserSession, SessionOptions};
use mino_core::model::OutputField;
use mino_core::Result;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// The browser

/// One Chromium at a time: the machine is small and shared.
pub static BROWSER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn chromium_found() -> bool {
    if find_chromium().is_some() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("Chromium is required when CI is set, but it was not found (MINO_CHROME or PATH)");
    }
    eprintln!("skipping: Chromium not found (set CI=true to make this a failure)");
    false
}

/// Runs the agent on a fresh Chromium session and closes everything afterwards.
pub async fn run_agent(agent: &LlmAgent, task: &AgentTask) -> Result<AgentOutcome> {
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

// ---------------------------------------------------------------------------------------
// The fixture site: a small bookshop that records every page it serves.

pub struct Site {
    base: String,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().expect("lock").clone()
    }
}

pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body>{body}</body></html>"
    ))
}

pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{addr}")
}

pub async fn bookshop() -> Site {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let record = hits.clone();
    let router = Router::new()
        .route(
            "/",
            get(|| async {
                page(
                    "Acme Books",
                    "<h1>Acme Books</h1><p>Welcome to the independent bookshop.</p>\
                     <nav><a href=\"/about\">About us</a> | <a href=\"/catalogue\">Catalogue</a></nav>",
                )
            }),
        )
        .route(
            "/about",
            get(|| async { page("About", "<p>Family run since 1999.</p><a href=\"/\">Home</a>") }),
        )
        .route(
            "/catalogue",
            get(|| async {
                page(
                    "Catalogue",
                    "<h1>Catalogue</h1><form action=\"/search\" method=\"get\">\
                     <input name=\"q\" placeholder=\"Title or author\" autocomplete=\"off\">\
                     <button type=\"submit\">Search</button></form>",
                )
            }),
        )
        .route(
            "/search",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let query = q.get("q").cloned().unwrap_or_default();
                let body = if query.to_lowercase().contains("rust") {
                    format!(
                        "<h1>Results for {query}</h1><div class=\"book\">\
                         <h2>The Rust Programming Language</h2><p>Price: $39.95</p>\
                         <p>Author: Steve Klabnik</p></div>"
                    )
                } else {
                    format!("<h1>Results for {query}</h1><p>No books found.</p>")
                };
                page("Search", &body)
            }),
        )
        .route(
            "/loop",
            get(|| async {
                page(
                    "Endless",
                    "<p>Items 1-10</p><button type=\"button\" onclick=\"void 0\">Load more</button>",
                )
            }),
        )
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let record = record.clone();
                async move {
                    let uri: &Uri = req.uri();
                    if uri.path() != "/favicon.ico" {
                        record.lock().expect("lock").push(uri.to_string());
                    }
                    next.run(req).await
                }
            },
        ));
    Site {
        base: serve(router).await,
        hits,
    }
}

// ---------------------------------------------------------------------------------------
// The scripted model

/// What the scripted model answers: a status, headers and a JSON body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

/// One turn of the script: looks at the request, answers (or says why the request is wrong,
/// which the server sends back as HTTP 400 so that the agent fails with that message).
pub type Turn = Box<dyn Fn(&Value) -> std::result::Result<Answer, String> + Send + Sync>;

#[derive(Clone)]
pub struct Recorded {
    pub at: Instant,
    pub authorization: String,
    pub body: Value,
}

#[derive(Clone)]
pub struct Model {
    script: Arc<Vec<Turn>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Model {
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

pub async fn model_server(script: Vec<Turn>) -> (String, Model) {
    let model = Model {
        script: Arc::new(script),
        requests: Arc::new(Mutex::new(Vec::new())),
    };
    let router = Router::new()
        .route("/v1/chat/completions", post(answer))
        .with_state(model.clone());
    (format!("{}/v1", serve(router).await), model)
}

pub async fn answer(
    State(model): State<Model>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let n = {
        let mut requests = model.requests.lock().expect("lock");
        requests.push(Recorded {
            at: Instant::now(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            body: body.clone(),
        });
        requests.len() - 1
    };
    let Some(turn) = model.script.get(n) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("script has no turn {}", n + 1),
        )
            .into_response();
    };
    match turn(&body) {
        Ok(answer) => {
            let mut response = (
                StatusCode::from_u16(answer.status).expect("status"),
                Json(answer.body),
            )
                .into_response();
            for (name, value) in answer.headers {
                response
                    .headers_mut()
                    .insert(name, value.parse().expect("header value"));
            }
            response
        }
        Err(problem) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"message": format!("script turn {}: {problem}", n + 1)}})),
        )
            .into_response(),
    }
}

/// A chat completion calling `name` with raw argument text, costing 100 + 10 tokens.
pub fn raw_call(name: &str, arguments: &str, reasoning_text: Option<&str>) -> Answer {
    Answer {
        status: 200,
        headers: Vec::new(),
        body: json!({
            "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": reasoning_text,
                "tool_calls": [{"id": "call_x", "type": "function",
                                "function": {"name": name, "arguments": arguments}}]}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
        }),
    }
}

pub fn call(name: &str, arguments: Value) -> Answer {
    raw_call(name, &arguments.to_string(), None)
}

/// The latest page state the agent sent.
pub fn last_page(request: &Value) -> std::result::Result<String, String> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .rfind(|c| c.starts_with("Step "))
        .map(str::to_owned)
        .ok_or_else(|| "no page state in the request".to_owned())
}

/// The number of the first listed element whose line contains `needle`.
pub fn element(page: &str, needle: &str) -> std::result::Result<u64, String> {
    page.lines()
        .filter(|l| l.starts_with('[') && l.contains(needle))
        .find_map(|l| l[1..l.find(']')?].parse().ok())
        .ok_or_else(|| format!("no element with {needle:?} in the page state:\n{page}"))
}

/// The rest of the first text line starting with `label`.
pub fn text_after(page: &str, label: &str) -> std::result::Result<String, String> {
    page.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| format!("no line starting with {label:?} in the page state:\n{page}"))
}

pub fn last_message(request: &Value) -> Value {
    request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or(Value::Null)
}

/// The content of the latest tool result message.
pub fn last_tool_result(request: &Value) -> String {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rfind(|m| m["role"] == "tool")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned()
}

pub fn agent(base_url: &str, extra: Value) -> LlmAgent {
    let mut settings = json!({
        "base_url": base_url, "model": "test-model", "api_key": "sk-test",
        "navigation_timeout_secs": 15,
        "price": {"input_per_million": 2.5, "output_per_million": 10.0}
    });
    if let (Some(settings), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
        settings.extend(extra.clone());
    }
    LlmAgent::from_json(&settings).expect("valid settings")
}

pub fn task(site: &Site, path: &str, fields: &[&str]) -> AgentTask {
    let mut task = AgentTask {
        instructions: "Find the book the row names and report its details.".to_owned(),
        site_url: site.url(path),
        inputs: Default::default(),
        output_fields: fields.iter().map(|f| OutputField::named(*f)).collect(),
    };
    task.inputs.insert("topic".to_owned(), "rust".to_owned());
    task
}
