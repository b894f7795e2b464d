//! The heuristic agent on a browser session: an in-memory session serves pages by URL, so
//! the agent's navigation, link following, screenshot and error handling are observable.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use indexmap::IndexMap;
use mino_core::agent::{AgentRegistry, AgentTask};
use mino_core::browser::{BrowserSession, Frame, ImageFormat, Navigation, WaitUntil};
use mino_core::model::{FieldType, LogLevel, OutputField};
use mino_core::{Error, ErrorKind, Result};
use serde_json::json;

/// A session over a fixed set of pages. Records what the agent asked for.
#[derive(Debug, Default)]
struct PageSession {
    pages: BTreeMap<String, String>,
    current: Option<String>,
    gotos: Vec<(String, WaitUntil)>,
    screenshot: Option<ErrorKind>,
    screenshots_taken: Vec<ImageFormat>,
}

impl PageSession {
    fn new(pages: &[(&str, &str)]) -> Self {
        PageSession {
            pages: pages
                .iter()
                .map(|(u, h)| ((*u).to_owned(), (*h).to_owned()))
                .collect(),
            ..Default::default()
        }
    }

    fn page(&self) -> Result<&String> {
        let url = self
            .current
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::Browser, "no page"))?;
        self.pages
            .get(url)
            .ok_or_else(|| Error::new(ErrorKind::Internal, "no such page"))
    }
}

#[async_trait]
impl BrowserSession for PageSession {
    async fn goto(&mut self, url: &str, wait: WaitUntil, _timeout: Duration) -> Result<Navigation> {
        self.gotos.push((url.to_owned(), wait));
        if !self.pages.contains_key(url) {
            return Err(Error::new(
                ErrorKind::Network,
                format!("cannot reach {url}"),
            ));
        }
        self.current = Some(url.to_owned());
        Ok(Navigation {
            url: url.to_owned(),
            status: Some(200),
        })
    }

    async fn current_url(&mut self) -> Result<String> {
        self.current
            .clone()
            .ok_or_else(|| Error::new(ErrorKind::Browser, "no page"))
    }

    async fn title(&mut self) -> Result<String> {
        Ok(String::new())
    }

    async fn html(&mut self) -> Result<String> {
        self.page().cloned()
    }

    async fn evaluate(&mut self, _expression: &str) -> Result<serde_json::Value> {
        Err(Error::new(ErrorKind::Unsupported, "no scripts here"))
    }

    async fn click(&mut self, _selector: &str) -> Result<()> {
        Ok(())
    }

    async fn type_text(&mut self, _selector: &str, _text: &str) -> Result<()> {
        Ok(())
    }

    async fn scroll_by(&mut self, _dy: i64) -> Result<()> {
        Ok(())
    }

    async fn wait_for(&mut self, _selector: &str, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    async fn screenshot(&mut self, format: ImageFormat) -> Result<Vec<u8>> {
        if let Some(kind) = self.screenshot {
            return Err(Error::new(kind, "screenshots are not available"));
        }
        self.screenshots_taken.push(format);
        Ok(vec![0xFF, 0xD8, 0xFF, 0xD9])
    }

    async fn frames(
        &mut self,
        _max_fps: u32,
    ) -> Result<Option<tokio::sync::mpsc::Receiver<Frame>>> {
        Ok(None)
    }

    async fn close(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

const HOME: &str = "https://acme.example/";
const CONTACT: &str = "https://acme.example/contact.html";

fn site() -> PageSession {
    PageSession::new(&[
        (
            HOME,
            r#"<html><head><title>Acme Widgets | Home</title></head><body>
            <nav><a href="/">Home</a> <a href="contact.html">Contact</a></nav>
            <main><h1>Widgets that last</h1></main>
            <footer>© 2024 Acme Widgets Ltd.</footer></body></html>"#,
        ),
        (
            CONTACT,
            r#"<main><h1>Contact</h1><p>Email: <a href="mailto:hello@acme.example">hello@acme.example</a></p>
            <p>Phone: +1 415 555 0132</p></main>"#,
        ),
    ])
}

fn task() -> AgentTask {
    let mut email = OutputField::named("email");
    email.field_type = FieldType::Email;
    let mut phone = OutputField::named("phone");
    phone.field_type = FieldType::Phone;
    AgentTask {
        instructions: "Find the company and how to reach it.".to_owned(),
        site_url: HOME.to_owned(),
        inputs: IndexMap::new(),
        output_fields: vec![
            OutputField::named("company"),
            email,
            phone,
            OutputField::named("sku"),
        ],
    }
}

fn agent(settings: serde_json::Value) -> mino_core::agent::DynAgent {
    AgentRegistry::default()
        .create("heuristic", &settings)
        .expect("heuristic agent")
}

#[tokio::test]
async fn reads_the_site_follows_contact_and_takes_a_jpeg() {
    let mut session = site();
    let outcome = agent(json!({}))
        .run(&task(), &mut session)
        .await
        .expect("run");

    assert_eq!(
        session.gotos,
        [
            (HOME.to_owned(), WaitUntil::Load),
            (CONTACT.to_owned(), WaitUntil::Load)
        ]
    );
    let values: Vec<(&str, Option<&str>)> = outcome
        .values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_deref()))
        .collect();
    assert_eq!(
        values,
        [
            ("company", Some("Acme Widgets Ltd.")),
            ("email", Some("hello@acme.example")),
            ("phone", Some("+1 415 555 0132")),
            ("sku", None),
        ]
    );
    assert_eq!(outcome.evidence["company"].url, HOME);
    assert_eq!(outcome.evidence["company"].rule, "pattern:copyright");
    assert_eq!(outcome.evidence["email"].url, CONTACT);
    assert_eq!(outcome.evidence["email"].rule, "label:text");
    assert!(!outcome.evidence.contains_key("sku"));

    assert_eq!(outcome.screenshots.len(), 1);
    assert_eq!(outcome.screenshots[0].content_type, "image/jpeg");
    assert!(matches!(
        session.screenshots_taken[..],
        [ImageFormat::Jpeg(70)]
    ));
    assert_eq!(outcome.final_url.as_deref(), Some(CONTACT));

    let messages: Vec<&str> = outcome.log.iter().map(|l| l.message.as_str()).collect();
    let pos = |needle: &str| messages.iter().position(|m| m.starts_with(needle));
    let (read, follow, email, missing) = (
        pos("reading https://acme.example/"),
        pos("following https://acme.example/contact.html"),
        pos("email: \"hello@acme.example\" by label:text"),
        pos("sku: not found on 2 page(s)"),
    );
    assert!(
        read < follow && follow < email && email < missing,
        "{messages:#?}"
    );
    assert!(missing.is_some());
    assert_eq!(outcome.usage.tokens_in, 0);
}

#[tokio::test]
async fn settings_choose_waiting_following_and_screenshots() {
    let mut session = site();
    let outcome =
        agent(json!({"max_follow_links": 0, "wait_until": "network_idle", "screenshot": false}))
            .run(&task(), &mut session)
            .await
            .expect("run");
    assert_eq!(session.gotos, [(HOME.to_owned(), WaitUntil::NetworkIdle)]);
    assert_eq!(outcome.values["email"], None);
    assert!(outcome.screenshots.is_empty());
    assert!(session.screenshots_taken.is_empty());
}

#[tokio::test]
async fn a_session_without_screenshots_still_gives_values() {
    let mut session = site();
    session.screenshot = Some(ErrorKind::Unsupported);
    let outcome = agent(json!(null))
        .run(&task(), &mut session)
        .await
        .expect("run");
    assert!(outcome.screenshots.is_empty());
    assert_eq!(
        outcome.values["email"].as_deref(),
        Some("hello@acme.example")
    );
    assert!(outcome
        .log
        .iter()
        .any(|l| l.level == LogLevel::Info && l.message.starts_with("no screenshot")));
}

#[tokio::test]
async fn a_broken_link_keeps_the_first_page_values() {
    let mut session = site();
    session.pages.remove(CONTACT);
    let outcome = agent(json!({}))
        .run(&task(), &mut session)
        .await
        .expect("run");
    assert_eq!(
        outcome.values["company"].as_deref(),
        Some("Acme Widgets Ltd.")
    );
    assert_eq!(outcome.values["email"], None);
    assert_eq!(outcome.final_url.as_deref(), Some(HOME));
    assert!(outcome.log.iter().any(|l| l.level == LogLevel::Warn
        && l.message
            .starts_with("could not read https://acme.example/contact.html")));
}

#[tokio::test]
async fn navigation_failures_and_bad_urls_are_errors_with_a_kind() {
    let mut session = PageSession::new(&[]);
    let err = agent(json!({}))
        .run(&task(), &mut session)
        .await
        .expect_err("unreachable");
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.is_transient());

    let mut bad = task();
    bad.site_url = "not a url".to_owned();
    let err = agent(json!({}))
        .run(&bad, &mut site())
        .await
        .expect_err("bad url");
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_crashed_browser_is_not_papered_over() {
    let mut session = site();
    session.screenshot = Some(ErrorKind::Browser);
    let err = agent(json!({}))
        .run(&task(), &mut session)
        .await
        .expect_err("crash");
    assert_eq!(err.kind(), ErrorKind::Browser);
}
