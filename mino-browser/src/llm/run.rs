//! One run of the `llm` agent: the tool-calling loop with its limits.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use mino_core::agent::{AgentOutcome, AgentTask, Evidence, Screenshot};
use mino_core::browser::{BrowserSession, ImageFormat, WaitUntil};
use mino_core::model::{LogLevel, LogLine, Usage};
use mino_core::{Error, ErrorKind, Result};
use serde_json::Value;
use tracing::{info, warn};

use super::actions::execute;
use super::client::ChatClient;
use super::config::LlmSettings;
use super::error::agent_error;
use super::page::{digest_script, read_page, PageState};
use super::prompt::{task_message, SYSTEM};
use super::protocol::{AssistantMessage, Message, ToolCall};
use super::tools::{definitions, parse_call, Action, Call};

/// The same action on the same page state this many times is a loop.
const LOOP_REPEATS: u32 = 3;

/// The state of one run.
pub(crate) struct Run<'a> {
    settings: &'a LlmSettings,
    task: &'a AgentTask,
    client: ChatClient,
    script: String,
    tools: Vec<Value>,
    messages: Vec<Message>,
    /// Where the latest page state message is, to shorten it once a newer one follows.
    page_message: Option<usize>,
    usage: Usage,
    log: Vec<LogLine>,
    screenshots: Vec<Screenshot>,
    /// How often each action was asked for on each page state.
    seen: HashMap<String, u32>,
    step: u32,
}

/// What the model's answer asks for.
enum Reply {
    /// A valid call, with its id and the ids of further calls (which are not carried out).
    Call(String, Call, Vec<String>),
    /// An invalid answer: what was wrong, and the ids of its tool calls.
    Invalid(String, Vec<String>),
}

impl<'a> Run<'a> {
    pub fn new(settings: &'a LlmSettings, task: &'a AgentTask, client: ChatClient) -> Self {
        Run {
            settings,
            task,
            client,
            script: digest_script(settings.max_elements, settings.max_text_chars),
            tools: definitions(&task.output_fields),
            messages: vec![Message::system(SYSTEM), Message::user(task_message(task))],
            page_message: None,
            usage: Usage::default(),
            log: Vec::new(),
            screenshots: Vec::new(),
            seen: HashMap::new(),
            step: 0,
        }
    }

    /// Tokens and cost so far.
    pub fn usage(&self) -> Usage {
        match self.settings.price {
            Some(price) => price.priced(self.usage),
            None => self.usage,
        }
    }

    /// Adds what the run spent to an error that ends it, so a failed attempt still shows it.
    pub fn annotate(&self, err: Error) -> Error {
        let usage = self.usage();
        err.with_context("steps", self.step.to_string())
            .with_context("tokens_in", usage.tokens_in.to_string())
            .with_context("tokens_out", usage.tokens_out.to_string())
            .with_context("cost_usd", format!("{:.6}", usage.cost_usd))
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.navigation_timeout_secs)
    }

    fn note(&mut self, level: LogLevel, message: String) {
        match level {
            LogLevel::Warn | LogLevel::Error => warn!(step = self.step, "{message}"),
            _ => info!(step = self.step, "{message}"),
        }
        self.log.push(LogLine {
            at: Utc::now(),
            level,
            message,
        });
    }

    /// Opens the site and lets the model work until it finishes or a limit ends the run.
    pub async fn drive(&mut self, session: &mut dyn BrowserSession) -> Result<AgentOutcome> {
        let start = url::Url::parse(self.task.site_url.trim()).map_err(|e| {
            Error::validation(format!(
                "site url {:?} is not a valid URL: {e}",
                self.task.site_url
            ))
            .with_context("field", "site_url")
        })?;
        let nav = session
            .goto(start.as_str(), WaitUntil::Load, self.timeout())
            .await?;
        self.note(LogLevel::Info, format!("opened {}", nav.url));
        let mut page = read_page(session, &self.script).await?;
        self.show_page(&page);
        let mut repairing = false;
        loop {
            if self.step >= self.settings.max_steps {
                return Err(agent_error(format!(
                    "llm agent: step limit reached: {} model calls without finish (settings.max_steps)",
                    self.settings.max_steps
                ))
                .with_context("limit", "max_steps"));
            }
            self.step += 1;
            let completion = self.client.complete(&self.messages, &self.tools).await?;
            self.usage.tokens_in += completion.usage.prompt_tokens;
            self.usage.tokens_out += completion.usage.completion_tokens;
            let thought = completion.message.text();
            let (reply, calls) = self.read_reply(completion.message);
            self.messages
                .push(Message::assistant(thought.clone(), calls));
            let (id, call, extra) = match reply {
                Reply::Invalid(problem, ids) => {
                    if repairing {
                        return Err(agent_error(format!(
                            "llm agent: the model's answer was still invalid after a repair round: {problem}"
                        )));
                    }
                    repairing = true;
                    self.note(
                        LogLevel::Warn,
                        format!(
                            "step {}: invalid answer ({problem}); asking for a repair",
                            self.step
                        ),
                    );
                    self.ask_repair(&problem, &ids);
                    self.check_budget()?;
                    continue;
                }
                Reply::Call(id, call, extra) => (id, call, extra),
            };
            repairing = false;
            for other in extra {
                self.messages.push(Message::tool(
                    &other,
                    "Not carried out: one action per reply.",
                ));
            }
            let reasoning = call.reasoning.clone().or(thought);
            let described = describe(&call.action, &page);
            let because = reasoning.map(|r| format!(" — {r}")).unwrap_or_default();
            if let Action::Finish { fields } = call.action {
                self.note(
                    LogLevel::Info,
                    format!("step {}: finish{because}", self.step),
                );
                self.messages.push(Message::tool(&id, "Finished."));
                return self.finish(session, &page, fields).await;
            }
            self.check_budget()?;
            self.check_loop(&call.action, &page)?;
            self.note(
                LogLevel::Info,
                format!("step {}: {described}{because}", self.step),
            );
            let token = format!("mino-{}-{}", self.step, Utc::now().timestamp_micros());
            let result = execute(session, &page, &call.action, &token, self.timeout()).await?;
            self.messages.push(Message::tool(&id, result));
            self.screenshot(session, &format!("step {}: {described}", self.step))
                .await?;
            page = read_page(session, &self.script).await?;
            self.show_page(&page);
        }
    }

    /// Splits the answer into what to do and the tool calls to echo back (ids filled in).
    fn read_reply(&self, message: AssistantMessage) -> (Reply, Vec<ToolCall>) {
        let mut calls = message.tool_calls.unwrap_or_default();
        for (i, call) in calls.iter_mut().enumerate() {
            if call.id.is_empty() {
                call.id = format!("call_{}_{}", self.step, i + 1);
            }
        }
        let ids: Vec<String> = calls.iter().map(|c| c.id.clone()).collect();
        let Some(first) = calls.first() else {
            let problem =
                "the answer called no tool. Call exactly one of navigate, click, type, scroll or finish."
                    .to_owned();
            return (Reply::Invalid(problem, ids), calls);
        };
        let reply = match parse_call(
            &first.function.name,
            &first.function.arguments,
            &self.task.output_fields,
        ) {
            Ok(call) => Reply::Call(ids[0].clone(), call, ids[1..].to_vec()),
            Err(problem) => Reply::Invalid(problem, ids),
        };
        (reply, calls)
    }

    /// Tells the model what was wrong with its answer: as the result of each of its tool
    /// calls, or as a user message when it called none.
    fn ask_repair(&mut self, problem: &str, ids: &[String]) {
        let text = format!(
            "Invalid answer: {problem} Nothing was done; answer again with one valid tool call."
        );
        if ids.is_empty() {
            self.messages.push(Message::user(text));
        } else {
            for id in ids {
                self.messages.push(Message::tool(id, text.clone()));
            }
        }
    }

    /// Sends the page state of the coming step; the previous one is shortened, as the model
    /// only needs the latest and every step would otherwise pay for all earlier pages again.
    fn show_page(&mut self, page: &PageState) {
        let next = self.step + 1;
        if let Some(index) = self.page_message.take() {
            if let Some(old) = self.messages.get_mut(index) {
                old.content = Some(format!(
                    "(Page state before step {}: {} — replaced by a newer state.)",
                    next - 1,
                    page_line(old.content.as_deref())
                ));
            }
        }
        let mut text = page.render(next, self.settings.max_steps);
        if next == self.settings.max_steps {
            text.push_str("\n\nThis is the last step: call finish now.");
        }
        self.page_message = Some(self.messages.len());
        self.messages.push(Message::user(text));
    }

    fn check_budget(&self) -> Result<()> {
        let spent = self.usage.tokens_in + self.usage.tokens_out;
        if spent >= self.settings.max_tokens_total {
            return Err(agent_error(format!(
                "llm agent: token budget exhausted: {spent} tokens used of {} (settings.max_tokens_total) without finish",
                self.settings.max_tokens_total
            ))
            .with_context("limit", "max_tokens_total"));
        }
        Ok(())
    }

    /// Ends the run when the model asks for the same action on the same page state for the
    /// [`LOOP_REPEATS`]th time. The scroll position belongs to the state, so that scrolling
    /// through a long page is not a loop, while scrolling at its end is.
    fn check_loop(&mut self, action: &Action, page: &PageState) -> Result<()> {
        let key = format!("{} @ {} #{}", action.describe(), page.url, page.scroll_y);
        let count = self.seen.entry(key).or_insert(0);
        *count += 1;
        if *count >= LOOP_REPEATS {
            return Err(agent_error(format!(
                "llm agent: loop detected: the model asked for {} on {} {LOOP_REPEATS} times; stopping instead of spending more tokens",
                action.describe(),
                page.url
            ))
            .with_context("limit", "loop"));
        }
        Ok(())
    }

    /// A JPEG of the page labelled with the step, so a session can be replayed.
    async fn screenshot(&mut self, session: &mut dyn BrowserSession, label: &str) -> Result<()> {
        let format = ImageFormat::Jpeg(self.settings.screenshot_quality);
        match session.screenshot(format).await {
            Ok(bytes) => {
                self.screenshots.push(Screenshot {
                    label: label.to_owned(),
                    content_type: format.content_type().to_owned(),
                    bytes,
                });
                Ok(())
            }
            Err(err) if matches!(err.kind(), ErrorKind::Browser | ErrorKind::Cancelled) => Err(err),
            Err(err) => {
                let level = if err.kind() == ErrorKind::Unsupported {
                    LogLevel::Info
                } else {
                    LogLevel::Warn
                };
                self.note(level, format!("no screenshot for {label}: {err}"));
                Ok(())
            }
        }
    }

    async fn finish(
        &mut self,
        session: &mut dyn BrowserSession,
        page: &PageState,
        values: mino_core::model::Extraction,
    ) -> Result<AgentOutcome> {
        self.screenshot(session, &format!("step {}: finish", self.step))
            .await?;
        let final_url = match session.current_url().await {
            Ok(url) => url,
            Err(err) => {
                warn!(error = %err, "current url unavailable; using the last page state");
                page.url.clone()
            }
        };
        let mut outcome = AgentOutcome::default();
        for (name, value) in &values {
            if let Some(value) = value {
                outcome.evidence.insert(
                    name.clone(),
                    Evidence {
                        rule: format!("llm:step {}", self.step),
                        url: final_url.clone(),
                        snippet: page.snippet(value),
                    },
                );
            }
        }
        let usage = self.usage();
        let found = values.values().filter(|v| v.is_some()).count();
        self.note(
            LogLevel::Info,
            format!(
                "finished after {} steps: {found} of {} fields, {} + {} tokens, ${:.6}",
                self.step,
                values.len(),
                usage.tokens_in,
                usage.tokens_out,
                usage.cost_usd
            ),
        );
        Ok(AgentOutcome {
            values,
            log: std::mem::take(&mut self.log),
            screenshots: std::mem::take(&mut self.screenshots),
            usage,
            final_url: Some(final_url),
            ..outcome
        })
    }
}

/// The action with the element it targets, for the log.
fn describe(action: &Action, page: &PageState) -> String {
    let target = match action {
        Action::Click { element } | Action::Type { element, .. } => page.element(*element),
        _ => None,
    };
    match target {
        Some(element) => format!("{} on {}", action.describe(), element.describe()),
        None => action.describe(),
    }
}

/// The URL line of a page state message, to keep in its shortened form.
fn page_line(content: Option<&str>) -> String {
    content
        .and_then(|c| c.lines().find(|l| l.starts_with("URL: ")))
        .unwrap_or("URL: unknown")
        .to_owned()
}
