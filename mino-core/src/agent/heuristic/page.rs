//! One parsed page and the rule chain that finds a field on it:
//! selector → structured data → label–value pairs → typed patterns → headings.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use url::Url;

use super::coerce::{coerce, Origin, PageCtx};
use super::dates::DayOrder;
use super::field::{Concept, FieldSpec};
use super::labels::{pairs, Pair};
use super::lines::{page_lines, Line, Zone};
use super::structured::{fact_score, facts, Fact, Source};
use super::text::{element_text, excerpt};
use super::typed;

static HTML_TAG: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("html").expect("valid selector"));
static TITLE_TAG: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("head title, title").expect("valid selector"));

/// Structured facts below this score are not the field.
const FACT_THRESHOLD: f32 = 0.5;
/// Labels of typed fields may be loose: the value's shape is checked anyway.
const TYPED_LABEL_THRESHOLD: f32 = 0.5;
/// Labels of text fields must name the field clearly.
const TEXT_LABEL_THRESHOLD: f32 = 0.75;

/// A raw value a rule proposes, before coercion.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The raw text.
    pub raw: String,
    /// The evidence rule.
    pub rule: String,
    /// How to clean it.
    pub origin: Origin,
    /// What the page said around it.
    pub snippet: String,
}

/// A value found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The clean value.
    pub value: String,
    /// The rule that found it.
    pub rule: String,
    /// What the page said around it.
    pub snippet: String,
}

/// Something worth telling the user while looking for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    /// The field's selector is not valid CSS.
    BadSelector(String),
    /// The field's selector matched nothing usable.
    SelectorMissed(String),
}

/// A parsed page with everything the rules read from it.
pub(crate) struct Page {
    base: Option<Url>,
    day_order: DayOrder,
    doc: Html,
    lines: Vec<Line>,
    facts: Vec<Fact>,
    pairs: Vec<Pair>,
}

impl Page {
    /// Parses `html` served at `url`.
    pub(crate) fn parse(html: &str, url: &str) -> Page {
        let doc = Html::parse_document(html);
        let lang = doc
            .select(&HTML_TAG)
            .next()
            .and_then(|h| h.value().attr("lang").map(str::to_owned));
        let lines = page_lines(&doc);
        let facts = facts(&doc);
        let pairs = pairs(&doc, &lines);
        Page {
            base: Url::parse(url).ok(),
            day_order: DayOrder::from_lang(lang.as_deref()),
            doc,
            lines,
            facts,
            pairs,
        }
    }

    /// The page URL parsed, when it parses.
    pub(crate) fn base(&self) -> Option<&Url> {
        self.base.as_ref()
    }

    /// The parsed document.
    pub(crate) fn doc(&self) -> &Html {
        &self.doc
    }

    fn ctx(&self) -> PageCtx<'_> {
        PageCtx {
            url: self.base.as_ref(),
            day_order: self.day_order,
        }
    }

    /// Finds `spec` on this page, trying the rules in order; notes go to `notes`.
    pub(crate) fn find(&self, spec: &FieldSpec, notes: &mut Vec<Note>) -> Option<Found> {
        if let Some(css) = &spec.selector {
            match self.by_selector(spec, css) {
                Ok(Some(found)) => return Some(found),
                Ok(None) => notes.push(Note::SelectorMissed(css.clone())),
                Err(()) => notes.push(Note::BadSelector(css.clone())),
            }
        }
        let chains = [
            self.structured(spec),
            self.labelled(spec),
            typed::candidates(spec, &self.doc, &self.lines, self.day_order),
            self.headings(spec),
        ];
        chains
            .into_iter()
            .find_map(|chain| self.first_valid(spec, chain))
    }

    fn first_valid(&self, spec: &FieldSpec, candidates: Vec<Candidate>) -> Option<Found> {
        candidates.into_iter().find_map(|c| {
            coerce(spec, &c.raw, c.origin, self.ctx()).map(|value| Found {
                value,
                rule: c.rule,
                snippet: c.snippet,
            })
        })
    }

    fn by_selector(&self, spec: &FieldSpec, css: &str) -> Result<Option<Found>, ()> {
        let selector = Selector::parse(css).map_err(|_| ())?;
        let candidates = self
            .doc
            .select(&selector)
            .take(20)
            .map(|el| {
                let v = el.value();
                let attr = match spec.concept {
                    Concept::Url => v.attr("href").or_else(|| v.attr("src")),
                    Concept::Date => v.attr("datetime"),
                    Concept::Email | Concept::Phone => v.attr("href"),
                    _ => None,
                };
                let raw = attr
                    .or_else(|| v.attr("content"))
                    .or_else(|| v.attr("value"))
                    .map(str::to_owned)
                    .unwrap_or_else(|| element_text(el));
                Candidate {
                    raw,
                    rule: format!("selector:{css}"),
                    origin: Origin::Exact,
                    snippet: excerpt(&element_text(el), 160),
                }
            })
            .collect();
        Ok(self.first_valid(spec, candidates))
    }

    fn structured(&self, spec: &FieldSpec) -> Vec<Candidate> {
        let mut scored: Vec<(f32, &Fact)> = self
            .facts
            .iter()
            .map(|f| (fact_score(spec, f), f))
            .filter(|(s, _)| *s >= FACT_THRESHOLD)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.order.cmp(&b.1.order)));
        scored
            .into_iter()
            .map(|(_, f)| Candidate {
                raw: f.value.clone(),
                rule: f.rule.clone(),
                origin: if f.source == Source::Meta && spec.concept == Concept::Title {
                    Origin::DocumentTitle
                } else {
                    Origin::Exact
                },
                snippet: excerpt(&f.value, 160),
            })
            .collect()
    }

    fn labelled(&self, spec: &FieldSpec) -> Vec<Candidate> {
        let threshold = if spec.is_typed() {
            TYPED_LABEL_THRESHOLD
        } else {
            TEXT_LABEL_THRESHOLD
        };
        let mut scored: Vec<(f32, &Pair)> = self
            .pairs
            .iter()
            .map(|p| (spec.key_score(&p.label), p))
            .filter(|(s, _)| *s >= threshold)
            .collect();
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.zone.cmp(&b.1.zone))
                .then(a.1.kind.cmp(&b.1.kind))
                .then(a.1.order.cmp(&b.1.order))
        });
        scored
            .into_iter()
            .map(|(_, p)| Candidate {
                raw: p.value.clone(),
                rule: p.kind.rule().to_owned(),
                origin: Origin::Text,
                snippet: excerpt(&format!("{}: {}", p.label_text, p.value), 160),
            })
            .collect()
    }

    /// Title-like fields: the main `<h1>`, then the document title, then any other `<h1>`.
    fn headings(&self, spec: &FieldSpec) -> Vec<Candidate> {
        if spec.concept != Concept::Title {
            return Vec::new();
        }
        let heading = |l: &Line| Candidate {
            raw: l.text.clone(),
            rule: "heading:h1".to_owned(),
            origin: Origin::Exact,
            snippet: excerpt(&l.text, 160),
        };
        let mut out: Vec<Candidate> = self
            .lines
            .iter()
            .filter(|l| l.heading == Some(1) && l.zone == Zone::Main)
            .map(heading)
            .collect();
        if let Some(title) = self.doc.select(&TITLE_TAG).next() {
            let text = element_text(title);
            out.push(Candidate {
                snippet: excerpt(&text, 160),
                raw: text,
                rule: "heading:title".to_owned(),
                origin: Origin::DocumentTitle,
            });
        }
        out.extend(
            self.lines
                .iter()
                .filter(|l| l.heading == Some(1) && matches!(l.zone, Zone::Header | Zone::Footer))
                .map(heading),
        );
        out
    }
}
