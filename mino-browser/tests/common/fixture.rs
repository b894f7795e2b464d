//! Fixture websites served by the tests themselves on 127.0.0.1 (axum on a random port).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tokio::task::JoinHandle;

/// The fixture site; stops serving when dropped.
pub struct Fixture {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fixture {
    /// Serves the fixture pages on a random local port.
    pub async fn start() -> Fixture {
        serve(pages()).await
    }

    /// Serves a forward proxy that answers every request itself, naming the host it was asked
    /// for, so a test can tell that a browser went through it without any real network.
    pub async fn start_proxy() -> Fixture {
        serve(Router::new().fallback(proxied)).await
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

async fn serve(router: Router) -> Fixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("fixture server");
    });
    Fixture { addr, task }
}

/// A port on which nothing listens (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    listener.local_addr().expect("local addr").port()
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body>{body}</body></html>"
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pages() -> Router {
    Router::new()
        .route(
            "/static",
            get(|| async { page("Static fixture", "<h1 id=\"headline\">Hello from MINO</h1>") }),
        )
        .route(
            "/delayed",
            get(|| async {
                page(
                    "Delayed fixture",
                    "<div id=\"root\">loading</div><script>setTimeout(() => {\
                       const el = document.createElement('p'); el.id = 'late';\
                       el.textContent = 'rendered later'; document.body.appendChild(el);\
                     }, 700);</script>",
                )
            }),
        )
        .route("/redirect/a", get(|| async { Redirect::to("/redirect/b") }))
        .route(
            "/redirect/b",
            get(|| async { Redirect::permanent("/redirect/final") }),
        )
        .route(
            "/redirect/final",
            get(|| async { page("Redirect target", "<p>arrived</p>") }),
        )
        .route(
            "/status/404",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    page("Not here", "<p id=\"missing\">nothing at this address</p>"),
                )
            }),
        )
        .route(
            "/status/500",
            get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    page("Broken", "<p>server failed</p>"),
                )
            }),
        )
        .route(
            "/slow",
            get(|| async {
                // Longer than any goto timeout of the tests, short enough to end on its own.
                tokio::time::sleep(Duration::from_secs(20)).await;
                page("Slow fixture", "<p>finally</p>")
            }),
        )
        .route(
            "/slow-resource",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let ms = q.get("ms").and_then(|v| v.parse().ok()).unwrap_or(800);
                tokio::time::sleep(Duration::from_millis(ms.min(5_000))).await;
                "done"
            }),
        )
        .route(
            "/idle",
            get(|| async {
                page(
                    "Idle fixture",
                    "<script>window.__fetched = false;\
                     window.addEventListener('load', () => {\
                       fetch('/slow-resource?ms=1200').then(r => r.text())\
                         .then(() => { window.__fetched = true; });\
                     });</script>",
                )
            }),
        )
        .route(
            "/form",
            get(|| async {
                page(
                    "Form fixture",
                    "<form action=\"/submit\" method=\"get\">\
                     <input id=\"q\" name=\"q\" autocomplete=\"off\">\
                     <button id=\"go\" type=\"submit\">Go</button></form>",
                )
            }),
        )
        .route(
            "/submit",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let typed = q.get("q").map(String::as_str).unwrap_or("");
                page(
                    "Result",
                    &format!("<p id=\"result\">You typed: {}</p>", escape(typed)),
                )
            }),
        )
        .route(
            "/set-cookie",
            get(|| async {
                (
                    [(header::SET_COOKIE, "server_cookie=1; Path=/")],
                    page("Cookie set", "<p>set</p>"),
                )
            }),
        )
        .route(
            "/echo-cookie",
            get(|headers: HeaderMap| async move {
                let cookie = headers
                    .get(header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                page(
                    "Cookie echo",
                    &format!("<p id=\"cookie\">{}</p>", escape(&cookie)),
                )
            }),
        )
        .route(
            "/csp",
            get(|| async {
                (
                    [(
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'self'; script-src 'self'",
                    )],
                    page("CSP fixture", "<p id=\"strict\">no eval here</p>"),
                )
            }),
        )
        .route(
            "/tall",
            get(|| async {
                page(
                    "Tall fixture",
                    "<div style=\"height: 6000px; background: linear-gradient(#fff, #06c)\">tall</div>",
                )
            }),
        )
        .route(
            "/animated",
            get(|| async {
                page(
                    "Animated fixture",
                    "<div id=\"box\" style=\"width:200px;height:200px;background:#c33\"></div>\
                     <p id=\"tick\">0</p><script>let n = 0; setInterval(() => {\
                       n += 1; document.getElementById('tick').textContent = n;\
                       document.getElementById('box').style.marginLeft = (n % 300) + 'px';\
                     }, 16);</script>",
                )
            }),
        )
        .route(
            "/memory-hog",
            get(|| async {
                // Allocates until the renderer runs out of memory and crashes. The test
                // browsers cap the JavaScript heap, so this takes a moment and little memory.
                page(
                    "Memory hog",
                    "<script>const hoard = []; \
                     while (true) { hoard.push(new Array(1 << 20).fill({ x: hoard.length })); }\
                     </script>",
                )
            }),
        )
}

/// The forward proxy's answer: which host the browser asked for, through us.
async fn proxied(uri: Uri, headers: HeaderMap) -> Response {
    let host = uri
        .host()
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    page(
        "Proxied",
        &format!("<p id=\"via\">proxied {}</p>", escape(&host)),
    )
    .into_response()
}
