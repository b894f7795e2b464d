//! What an output field means, and how well a key or label names it.
//!
//! A field is read from its name, description and type into a [`Concept`] (title, price,
//! author…) plus its own word tokens. Keys found on pages (`datePublished`, `og:title`,
//! `E-mail:`) are scored against both: the concept's synonyms catch the usual names, the
//! field's own words catch everything else (`sku`, `rating`, `opening hours`).

use crate::model::{FieldType, OutputField};

use super::text::tokens;

/// The kind of value a field holds, as far as the heuristic rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Concept {
    /// The name of the page's main thing: product name, headline, event name.
    Title,
    /// A price.
    Price,
    /// A person who wrote the page.
    Author,
    /// A calendar date (published, released, takes place).
    Date,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// A postal address.
    Address,
    /// A company or organization name.
    Company,
    /// A summary of the page.
    Description,
    /// A web address.
    Url,
    /// A product code.
    Sku,
    /// Anything else: matched by the field's own words only.
    Other,
}

/// Synonyms of each concept as token phrases, with how surely each names the concept.
const SYNONYMS: &[(Concept, &[(&str, f32)])] = &[
    (
        Concept::Title,
        &[
            ("title", 1.0),
            ("headline", 1.0),
            ("name", 0.9),
            ("product name", 1.0),
            ("product title", 1.0),
            ("product", 0.7),
            ("article title", 1.0),
            ("event name", 1.0),
            ("event", 0.6),
            ("heading", 0.8),
            ("model", 0.6),
        ],
    ),
    (
        Concept::Price,
        &[
            ("price", 1.0),
            ("cost", 0.9),
            ("amount", 0.8),
            ("price amount", 1.0),
            ("sale price", 1.0),
            ("our price", 1.0),
            ("current price", 1.0),
            ("offer price", 1.0),
            ("now", 0.6),
            ("low price", 0.8),
            ("fee", 0.7),
            ("rate", 0.6),
            ("ticket price", 1.0),
            ("tickets", 0.6),
            ("admission", 0.7),
            ("rent", 0.7),
            ("asking price", 1.0),
        ],
    ),
    (
        Concept::Author,
        &[
            ("author", 1.0),
            ("authors", 1.0),
            ("byline", 1.0),
            ("by", 0.9),
            ("writer", 1.0),
            ("written by", 1.0),
            ("words by", 1.0),
            ("posted by", 0.9),
            ("creator", 0.9),
            ("reporter", 0.9),
            ("journalist", 0.9),
            ("contributor", 0.8),
            ("dc creator", 1.0),
        ],
    ),
    (
        Concept::Date,
        &[
            ("date", 1.0),
            ("published", 1.0),
            ("date published", 1.0),
            ("published on", 1.0),
            ("published time", 1.0),
            ("publication date", 1.0),
            ("publish date", 1.0),
            ("pub date", 1.0),
            ("pubdate", 1.0),
            ("posted", 0.9),
            ("posted on", 0.9),
            ("date posted", 0.95),
            ("release date", 1.0),
            ("released", 0.9),
            ("start date", 0.95),
            ("event date", 1.0),
            ("when", 0.8),
            ("date created", 0.8),
            ("upload date", 0.8),
            ("issued", 0.7),
            ("on sale", 0.6),
            ("available from", 0.6),
        ],
    ),
    (
        Concept::Email,
        &[
            ("email", 1.0),
            ("e mail", 1.0),
            ("mail", 0.9),
            ("email address", 1.0),
            ("contact email", 1.0),
            ("contact", 0.6),
        ],
    ),
    (
        Concept::Phone,
        &[
            ("phone", 1.0),
            ("telephone", 1.0),
            ("tel", 1.0),
            ("phone number", 1.0),
            ("call", 0.8),
            ("call us", 0.9),
            ("mobile", 0.8),
            ("hotline", 0.9),
            ("contact", 0.6),
        ],
    ),
    (
        Concept::Address,
        &[
            ("address", 1.0),
            ("street address", 1.0),
            ("postal address", 1.0),
            ("mailing address", 1.0),
            ("location", 0.75),
            ("headquarters", 0.8),
            ("office", 0.7),
            ("visit us", 0.8),
            ("registered office", 1.0),
            ("head office", 1.0),
            ("where", 0.7),
            ("venue", 0.7),
        ],
    ),
    (
        Concept::Company,
        &[
            ("company", 1.0),
            ("company name", 1.0),
            ("organization", 1.0),
            ("organisation", 1.0),
            ("brand", 0.9),
            ("manufacturer", 0.85),
            ("publisher", 0.85),
            ("business", 0.9),
            ("business name", 1.0),
            ("legal name", 1.0),
            ("employer", 0.85),
            ("hiring organization", 1.0),
            ("seller", 0.7),
            ("vendor", 0.8),
            ("firm", 0.9),
            // A site's name is often a brand; the pattern rule uses it as a last resort.
            ("site name", 0.45),
            ("organizer", 0.7),
        ],
    ),
    (
        Concept::Description,
        &[
            ("description", 1.0),
            ("summary", 1.0),
            ("overview", 0.9),
            ("abstract", 0.9),
            ("about", 0.7),
            ("intro", 0.7),
        ],
    ),
    (
        Concept::Url,
        &[
            ("url", 1.0),
            ("website", 1.0),
            ("web", 0.8),
            ("homepage", 1.0),
            ("link", 0.8),
            ("site", 0.7),
        ],
    ),
    (
        Concept::Sku,
        &[
            ("sku", 1.0),
            ("item number", 0.9),
            ("item no", 0.9),
            ("product code", 0.9),
            ("article number", 0.9),
            ("part number", 0.8),
            ("mpn", 0.8),
            ("model number", 0.7),
        ],
    ),
];

/// Words that make a key name something else than the concept it otherwise resembles:
/// `dateModified` is not the publication date, `faxNumber` is not the phone.
const VETOES: &[(Concept, &[&str])] = &[
    (
        Concept::Title,
        &["site", "alternate", "alternative", "sub", "subtitle", "job"],
    ),
    (
        Concept::Price,
        &[
            "old", "was", "compare", "original", "regular", "shipping", "delivery", "tax", "high",
            "currency", "valid", "msrp",
        ],
    ),
    (
        Concept::Date,
        &[
            "modified", "updated", "update", "end", "expires", "valid", "through", "birth",
            "founding", "founded", "edited", "last", "door", "doors",
        ],
    ),
    (Concept::Phone, &["fax"]),
    (Concept::Email, &["fax"]),
    (Concept::Author, &["image", "url", "photo"]),
    (Concept::Address, &["email", "ip", "web", "url"]),
];

/// Words that say nothing about what a field or key means.
const STOPWORDS: &[&str] = &[
    "the", "a", "an", "of", "for", "on", "in", "at", "to", "and", "or", "is", "was", "its", "it",
    "this", "that", "which", "what", "page", "value", "field", "from", "with", "as", "be", "by",
];

/// An output field, read for matching.
#[derive(Debug, Clone)]
pub(crate) struct FieldSpec {
    /// The field name, as given.
    pub name: String,
    /// What kind of value it holds.
    pub concept: Concept,
    /// Its type as given.
    pub field_type: FieldType,
    /// Its explicit selector.
    pub selector: Option<String>,
    /// The tokens of its name.
    pub name_tokens: Vec<String>,
    /// The meaningful tokens of its description.
    pub desc_tokens: Vec<String>,
}

impl FieldSpec {
    /// Reads a field.
    pub(crate) fn new(field: &OutputField) -> Self {
        let name_tokens = tokens(&field.name);
        let desc_tokens: Vec<String> = tokens(&field.description)
            .into_iter()
            .filter(|t| !STOPWORDS.contains(&t.as_str()))
            .collect();
        let concept = concept_of(field.field_type, &name_tokens, &desc_tokens);
        FieldSpec {
            name: field.name.clone(),
            concept,
            field_type: field.field_type,
            selector: field.selector.clone().filter(|s| !s.trim().is_empty()),
            name_tokens,
            desc_tokens,
        }
    }

    /// How surely a key or label (as tokens) names this field, 0.0–1.0.
    pub(crate) fn key_score(&self, key: &[String]) -> f32 {
        let key: Vec<&str> = key.iter().map(|t| singular(t)).collect();
        if key.is_empty() {
            return 0.0;
        }
        if self.vetoed(&key) {
            return 0.0;
        }
        let name: Vec<&str> = self.name_tokens.iter().map(|t| singular(t)).collect();
        let mut best = phrase_score(&key, &name, 1.0);
        for (phrase, weight) in self.synonyms() {
            let syn: Vec<&str> = phrase.split(' ').map(singular).collect();
            best = best.max(phrase_score(&key, &syn, *weight));
        }
        // The description names the field in the user's words ("the date it was published").
        let meaningful: Vec<&str> = key
            .iter()
            .copied()
            .filter(|t| !STOPWORDS.contains(t))
            .collect();
        if !meaningful.is_empty()
            && meaningful
                .iter()
                .all(|t| self.desc_tokens.iter().any(|d| singular(d) == *t))
        {
            best = best.max(0.7);
        }
        best
    }

    /// The synonyms of this field's concept.
    pub(crate) fn synonyms(&self) -> &'static [(&'static str, f32)] {
        SYNONYMS
            .iter()
            .find(|(c, _)| *c == self.concept)
            .map(|(_, s)| *s)
            .unwrap_or(&[])
    }

    fn vetoed(&self, key: &[&str]) -> bool {
        let Some((_, vetoes)) = VETOES.iter().find(|(c, _)| *c == self.concept) else {
            return false;
        };
        // A word the user put in the field's own name is never a veto ("end_date").
        key.iter().any(|t| {
            vetoes.iter().any(|v| singular(v) == *t)
                && !self.name_tokens.iter().any(|n| singular(n) == *t)
                && !self.desc_tokens.iter().any(|n| singular(n) == *t)
        })
    }

    /// Whether values of this field are checked by shape (so loose label matches are safe).
    pub(crate) fn is_typed(&self) -> bool {
        matches!(
            self.concept,
            Concept::Price
                | Concept::Date
                | Concept::Email
                | Concept::Phone
                | Concept::Url
                | Concept::Sku
        ) || self.field_type == FieldType::Number
    }
}

/// The singular of a plural-looking word (`dates` → `date`), so labels match either way.
fn singular(word: &str) -> &str {
    let plural = word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is");
    if plural {
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// How well `key` matches `phrase`: exactly, or containing it with a few extra words.
fn phrase_score(key: &[&str], phrase: &[&str], weight: f32) -> f32 {
    if phrase.is_empty() {
        return 0.0;
    }
    if key == phrase {
        return weight;
    }
    if key.len() > phrase.len() && contains_run(key, phrase) {
        // "Venue address" still names an address; each extra word makes it a little less sure.
        let ratio = phrase.len() as f32 / key.len() as f32;
        return weight * ratio.powf(0.25) * 0.95;
    }
    if phrase.len() > key.len() && contains_run(phrase, key) && !STOPWORDS.contains(&key[0]) {
        // A key that is part of the field's name: "price" for a field "price_usd".
        let ratio = key.len() as f32 / phrase.len() as f32;
        return weight * ratio.powf(0.25) * 0.9;
    }
    0.0
}

fn contains_run(hay: &[&str], needle: &[&str]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn concept_of(field_type: FieldType, name: &[String], desc: &[String]) -> Concept {
    match field_type {
        FieldType::Email => return Concept::Email,
        FieldType::Phone => return Concept::Phone,
        FieldType::Date => return Concept::Date,
        FieldType::Url => return Concept::Url,
        _ => {}
    }
    let by_name = best_concept(name);
    let concept = match by_name {
        Some((c, s)) if s >= 0.5 => c,
        _ => match best_concept(desc) {
            Some((c, s)) if s >= 0.6 => c,
            _ => Concept::Other,
        },
    };
    // A number field can only be a price or something the rules know nothing special about.
    if field_type == FieldType::Number && concept != Concept::Price {
        return Concept::Other;
    }
    concept
}

fn best_concept(words: &[String]) -> Option<(Concept, f32)> {
    let words: Vec<&str> = words.iter().map(|t| singular(t)).collect();
    let mut best: Option<(Concept, f32)> = None;
    for (concept, synonyms) in SYNONYMS {
        for (phrase, weight) in *synonyms {
            let syn: Vec<&str> = phrase.split(' ').map(singular).collect();
            let score = if words == syn.as_slice() {
                *weight
            } else if contains_run(&words, &syn) {
                // The synonym covers part of the name: "contact_email" is an email.
                weight * (0.6 + 0.4 * syn.len() as f32 / words.len().max(1) as f32)
            } else {
                0.0
            };
            if best.is_none_or(|(_, b)| score > b) && score > 0.0 {
                best = Some((*concept, score));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, ty: FieldType, desc: &str) -> FieldSpec {
        let mut f = OutputField::named(name);
        f.field_type = ty;
        f.description = desc.to_owned();
        FieldSpec::new(&f)
    }

    fn t(s: &str) -> Vec<String> {
        tokens(s)
    }

    #[test]
    fn concepts_come_from_type_name_and_description() {
        assert_eq!(spec("title", FieldType::Text, "").concept, Concept::Title);
        assert_eq!(
            spec("product_name", FieldType::Text, "").concept,
            Concept::Title
        );
        assert_eq!(
            spec("contact_email", FieldType::Text, "").concept,
            Concept::Email
        );
        assert_eq!(spec("x", FieldType::Phone, "").concept, Concept::Phone);
        assert_eq!(
            spec("price_usd", FieldType::Number, "").concept,
            Concept::Price
        );
        assert_eq!(spec("cost", FieldType::Text, "").concept, Concept::Price);
        assert_eq!(
            spec("author_name", FieldType::Text, "").concept,
            Concept::Author
        );
        assert_eq!(spec("brand", FieldType::Text, "").concept, Concept::Company);
        assert_eq!(
            spec("who", FieldType::Text, "the company behind the site").concept,
            Concept::Company
        );
        assert_eq!(
            spec("rating", FieldType::Number, "").concept,
            Concept::Other
        );
    }

    #[test]
    fn synonyms_and_own_words_score_keys() {
        let date = spec("date", FieldType::Date, "");
        assert!(date.key_score(&t("datePublished")) >= 0.99);
        assert!(date.key_score(&t("Published on")) >= 0.99);
        assert_eq!(date.key_score(&t("dateModified")), 0.0);
        let email = spec("email", FieldType::Email, "");
        assert!(email.key_score(&t("E-mail")) >= 0.99);
        assert!(email.key_score(&t("Customer service email")) > 0.5);
        let title = spec("title", FieldType::Text, "");
        assert!(title.key_score(&t("headline")) >= 0.99);
        assert_eq!(title.key_score(&t("Job title")), 0.0);
        let rating = spec("rating", FieldType::Number, "");
        assert!(rating.key_score(&t("ratingValue")) > 0.6);
        let company = spec("company", FieldType::Text, "");
        assert!(company.key_score(&t("brand")) > 0.8);
        assert_eq!(company.key_score(&t("price")), 0.0);
    }

    #[test]
    fn a_word_in_the_field_name_is_no_veto() {
        let date = spec("date", FieldType::Date, "");
        assert!(date.key_score(&t("Dates")) >= 0.99);
        let end = spec("end_date", FieldType::Date, "");
        assert!(end.key_score(&t("endDate")) >= 0.99);
    }

    #[test]
    fn description_words_match_keys() {
        let f = spec("when", FieldType::Text, "the day the doors open");
        assert!(f.key_score(&t("doors open")) >= 0.7);
    }
}
