//! A run over one site: read the first page, follow links while fields are missing, and keep
//! the value, evidence and log of every field.
//!
//! [`SiteRun`] holds no parsed document and does no I/O: whoever drives it fetches the pages,
//! a browser session in the agent, a closure over files in tests ([`extract_site`]). Both get
//! exactly the same decisions.

use indexmap::IndexMap;
use tracing::debug;
use url::Url;

use super::field::FieldSpec;
use super::links::choose_link;
use super::page::{Found, Note, Page};
use super::text::excerpt;
use crate::agent::{AgentTask, Evidence};
use crate::model::{Extraction, LogLevel, OutputField};

/// One log line of a run, without a timestamp so that two runs over the same pages compare
/// equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Severity.
    pub level: LogLevel,
    /// The text.
    pub message: String,
}

/// What a run over a site found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteExtraction {
    /// Field → value, one entry per output field, in field order.
    pub values: Extraction,
    /// Field → where its value came from, for the fields found.
    pub evidence: IndexMap<String, Evidence>,
    /// What was done, in order.
    pub log: Vec<LogEntry>,
    /// The pages read, in order.
    pub visited: Vec<String>,
}

/// A run in progress: feed it pages with [`SiteRun::visit`] until it asks for none.
#[derive(Debug)]
pub struct SiteRun {
    specs: Vec<FieldSpec>,
    instructions: String,
    found: Vec<Option<(Found, String)>>,
    log: Vec<LogEntry>,
    visited: Vec<String>,
    follows_left: u32,
    site: Option<Url>,
}

impl SiteRun {
    /// A run for `fields`, following at most `max_follow` links.
    pub fn new(fields: &[OutputField], instructions: &str, max_follow: u32) -> SiteRun {
        SiteRun {
            specs: fields.iter().map(FieldSpec::new).collect(),
            instructions: instructions.to_owned(),
            found: vec![None; fields.len()],
            log: Vec::new(),
            visited: Vec::new(),
            follows_left: max_follow,
            site: None,
        }
    }

    /// A run for a task.
    pub fn for_task(task: &AgentTask, max_follow: u32) -> SiteRun {
        SiteRun::new(&task.output_fields, &task.instructions, max_follow)
    }

    fn note(&mut self, level: LogLevel, message: String) {
        debug!(%message, "heuristic agent");
        self.log.push(LogEntry { level, message });
    }

    /// Reads a page (the first one, or the one the previous call asked for) and returns the
    /// next link to open, if a field is still missing and a link promises it.
    pub fn visit(&mut self, html: &str, url: &str) -> Option<String> {
        if self.site.is_none() {
            self.site = Url::parse(url).ok();
        }
        self.visited.push(url.to_owned());
        self.note(LogLevel::Info, format!("reading {url}"));
        let page = Page::parse(html, url);
        for i in 0..self.specs.len() {
            if self.found[i].is_some() {
                continue;
            }
            let mut notes = Vec::new();
            let result = page.find(&self.specs[i], &mut notes);
            let name = self.specs[i].name.clone();
            for n in notes {
                let message = match n {
                    Note::BadSelector(css) => {
                        format!("{name}: selector {css:?} is not valid CSS; using the other rules")
                    }
                    Note::SelectorMissed(css) => {
                        format!("{name}: selector {css:?} matched no usable value")
                    }
                };
                self.note(LogLevel::Warn, message);
            }
            if let Some(found) = result {
                self.note(
                    LogLevel::Info,
                    format!(
                        "{name}: {:?} by {} on {url}",
                        excerpt(&found.value, 80),
                        found.rule
                    ),
                );
                self.found[i] = Some((found, url.to_owned()));
            }
        }
        let missing: Vec<&FieldSpec> = self
            .specs
            .iter()
            .zip(&self.found)
            .filter(|(_, f)| f.is_none())
            .map(|(s, _)| s)
            .collect();
        if missing.is_empty() || self.follows_left == 0 {
            return None;
        }
        let names: Vec<&str> = missing.iter().map(|s| s.name.as_str()).collect();
        let names = names.join(", ");
        match choose_link(
            &page,
            &missing,
            &self.instructions,
            &self.visited,
            self.site.as_ref(),
        ) {
            Some(choice) => {
                self.follows_left -= 1;
                let message = format!(
                    "following {} (link {:?}) for {}",
                    choice.url,
                    excerpt(&choice.text, 60),
                    choice.fields.join(", ")
                );
                self.note(LogLevel::Info, message);
                Some(choice.url)
            }
            None => {
                self.note(LogLevel::Info, format!("no link on {url} promises {names}"));
                None
            }
        }
    }

    /// Records that a link asked for could not be read.
    pub fn follow_failed(&mut self, url: &str, reason: &str) {
        self.note(LogLevel::Warn, format!("could not read {url}: {reason}"));
    }

    /// The result, with a log line for every field not found.
    pub fn finish(mut self) -> SiteExtraction {
        let mut values = Extraction::new();
        let mut evidence = IndexMap::new();
        let found = std::mem::take(&mut self.found);
        let specs = std::mem::take(&mut self.specs);
        for (spec, found) in specs.iter().zip(found) {
            match found {
                Some((f, url)) => {
                    values.insert(spec.name.clone(), Some(f.value));
                    let snippet = (!f.snippet.is_empty()).then_some(f.snippet);
                    evidence.insert(
                        spec.name.clone(),
                        Evidence {
                            rule: f.rule,
                            url,
                            snippet,
                        },
                    );
                }
                None => {
                    values.insert(spec.name.clone(), None);
                    let pages = self.visited.len();
                    self.note(
                        LogLevel::Info,
                        format!("{}: not found on {pages} page(s)", spec.name),
                    );
                }
            }
        }
        SiteExtraction {
            values,
            evidence,
            log: self.log,
            visited: self.visited,
        }
    }
}

/// Extracts `fields` from one page, following no links.
pub fn extract_page(html: &str, url: &str, fields: &[OutputField]) -> SiteExtraction {
    let mut run = SiteRun::new(fields, "", 0);
    run.visit(html, url);
    run.finish()
}

/// Extracts a task's fields from a site: `html` is the first page, served at `url`; `fetch`
/// loads the links the run decides to follow (at most `max_follow`), returning `None` for a
/// page it cannot load.
pub fn extract_site<F>(
    task: &AgentTask,
    html: &str,
    url: &str,
    max_follow: u32,
    mut fetch: F,
) -> SiteExtraction
where
    F: FnMut(&str) -> Option<String>,
{
    let mut run = SiteRun::for_task(task, max_follow);
    let mut next = run.visit(html, url);
    while let Some(link) = next {
        next = match fetch(&link) {
            Some(page) => run.visit(&page, &link),
            None => {
                run.follow_failed(&link, "the page could not be loaded");
                None
            }
        };
    }
    run.finish()
}
