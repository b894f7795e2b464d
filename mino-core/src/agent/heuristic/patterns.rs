//! Typed patterns: prices, numbers, e-mail addresses, phone numbers, URLs, copyright lines and
//! street addresses, found by shape alone.

use std::sync::LazyLock;

use regex::Regex;

const CURRENCY: &str = r"(?:US\$|CA\$|AU\$|NZ\$|HK\$|R\$|A\$|C\$|[$€£¥₹₩₽₺]|\b(?:USD|EUR|GBP|JPY|CAD|AUD|NZD|CHF|SEK|NOK|DKK|PLN|CZK|INR|BRL|MXN)\b|\bkr\b\.?|zł|\bFr\.)";
const AMOUNT: &str = r"\d{1,3}(?:[,.\u{202f}' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?";

static PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{CURRENCY}\s?(?:{AMOUNT})(?:[.,]-)?|(?:{AMOUNT})\s?{CURRENCY}"
    ))
    .expect("valid price regex")
});
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-?\d{1,3}(?:[,.\u{202f}' ]\d{3})+(?:[.,]\d+)?|-?\d+(?:[.,]\d+)?")
        .expect("valid number regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b")
        .expect("valid email regex")
});
static OBFUSCATED_AT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{\s*at\s*\})\s*").expect("valid regex")
});
static OBFUSCATED_DOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{\s*dot\s*\})\s*").expect("valid regex")
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\s?)?(?:\(\d{1,5}\)[\s./-]?)?\d+(?:[\s./-]{1,2}\(?\d+\)?\d*){0,6}")
        .expect("valid phone regex")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bhttps?://[^\s<>"'()]+"#).expect("valid url regex"));
static COPYRIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:©|(?:^|[\s,;])\(c\)|\bcopyright\b)\s*(?:©\s*)?(?:(?:19|20)\d{2}(?:\s*[-–]\s*(?:19|20)\d{2})?\s*,?\s*)?(.+)")
        .expect("valid copyright regex")
});
static TRAILING_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\s,]*(?:19|20)\d{2}(?:\s*[-–]\s*(?:19|20)\d{2})?$").expect("valid year regex")
});
static LEGAL_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:[\p{Lu}][\p{L}\p{N}&'.-]*,?\s+(?:&\s+)?){0,5}",
        r"(?:GmbH|AG|Ltd\.?|Limited|LLC|LLP|PLLC|Inc\.?|Corp\.?|PLC|plc|B\.V\.|N\.V\.|S\.A\.|SAS|Pty\.? Ltd\.?|Co\.|PC|CIC|KG|Oy|AB|ApS)(?:\s|$|[,·|])",
    ))
    .expect("valid legal name regex")
});
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b\d{1,5}[a-z]?\s+(?:[\w'.-]+\s+){1,4}(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|square|sq|parkway|pkwy|highway|hwy|terrace|plaza|alley|circle|row)\b\.?",
        r"|(?i)\b[\p{L}][\p{L}.-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|straat|gracht|laan|vej|gatan|gade)\s+\d{1,4}[a-z]?\b",
        r"|(?i)\b\d{1,5}[a-z]?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|quai|chemin|allée|impasse|via|viale|piazza|corso|calle|avenida|carrer|rua)\s+\p{L}",
    ))
    .expect("valid street regex")
});
static POSTAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{4,5}(?:-\d{4})?\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
        .expect("valid postal code regex")
});

/// A match: byte range in the searched text and the matched text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Byte offset of the start.
    pub start: usize,
    /// The matched text.
    pub text: String,
}

fn hits(re: &Regex, text: &str) -> Vec<Hit> {
    re.find_iter(text)
        .map(|m| Hit {
            start: m.start(),
            text: m.as_str().trim().to_owned(),
        })
        .collect()
}

/// Prices written with a currency (`$1,299.00`, `49,90 €`, `EUR 12`).
pub(crate) fn prices(text: &str) -> Vec<Hit> {
    hits(&PRICE, text)
        .into_iter()
        .map(|mut h| {
            h.text = h
                .text
                .trim_end_matches(['-'])
                .trim_end_matches([',', '.'])
                .to_owned();
            h
        })
        .collect()
}

/// Plain numbers (`1,299.00`, `4.5`).
pub(crate) fn numbers(text: &str) -> Vec<Hit> {
    hits(&NUMBER, text)
}

/// E-mail addresses.
pub(crate) fn emails(text: &str) -> Vec<Hit> {
    hits(&EMAIL, text)
}

/// Undoes the usual disguise against harvesters: `info [at] acme [dot] com` → `info@acme.com`.
pub(crate) fn deobfuscate_email(text: &str) -> String {
    if !text.contains("at") {
        return text.to_owned();
    }
    let at = OBFUSCATED_AT.replace_all(text, "@");
    OBFUSCATED_DOT.replace_all(&at, ".").into_owned()
}

/// E-mail addresses, disguised ones included.
pub(crate) fn emails_in_text(text: &str) -> Vec<Hit> {
    let plain = emails(text);
    if !plain.is_empty() {
        return plain;
    }
    emails(&deobfuscate_email(text))
}

/// Phone numbers: 7 to 15 digits with the usual separators, not dates or plain years.
pub(crate) fn phones(text: &str) -> Vec<Hit> {
    PHONE
        .find_iter(text)
        .filter_map(|m| {
            let s = m.as_str().trim_end_matches(['.', '-', '/', ' ']).trim();
            let digits = s.chars().filter(char::is_ascii_digit).count();
            if !(7..=15).contains(&digits) {
                return None;
            }
            // A bare run of digits is an id or an amount, not a phone number as people write it.
            let has_shape = s.starts_with('+')
                || s.contains('(')
                || s.chars().any(|c| matches!(c, ' ' | '-' | '.' | '/'));
            if !has_shape && digits < 10 {
                return None;
            }
            if super::dates::first_iso_date(s, super::dates::DayOrder::MonthFirst).is_some() {
                return None;
            }
            // Glued to letters or a currency it is a product code or a price.
            let before = text[..m.start()].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || "$€£¥,".contains(c)) {
                return None;
            }
            Some(Hit {
                start: m.start(),
                text: s.to_owned(),
            })
        })
        .collect()
}

/// Absolute http(s) URLs.
pub(crate) fn urls(text: &str) -> Vec<Hit> {
    hits(&URL, text)
        .into_iter()
        .map(|mut h| {
            h.text = h
                .text
                .trim_end_matches(['.', ',', ';', ':', '!', '?'])
                .to_owned();
            h
        })
        .collect()
}

/// The holder named in a copyright line: `© 2024 Northwind Traders Ltd. All rights reserved.`
/// → `Northwind Traders Ltd.`.
pub(crate) fn copyright_holder(text: &str) -> Option<String> {
    let caps = COPYRIGHT.captures(text)?;
    let mark = caps.get(0)?.start();
    let mut rest = caps.get(1)?.as_str();
    // "Acme Corp © 2024": the holder comes first when nothing but a year follows the mark.
    if !rest.chars().any(char::is_alphabetic) {
        rest = text[..mark].trim();
        rest = rest.rsplit(['|', '•', '·']).next().unwrap_or(rest);
    }
    for stop in [
        "all rights",
        "|",
        "•",
        "·",
        " - ",
        " – ",
        " — ",
        ", a ",
        ", an ",
        ", the ",
        " is a ",
        " powered by",
    ] {
        if let Some(i) = rest.to_lowercase().find(stop) {
            rest = &rest[..i];
        }
    }
    // A sentence ends at ". ", and so does a name at its legal form ("Ltd.", "Inc."); only
    // "Co." and "Bros." may go on ("Acme Co. Ltd.").
    let mut end = rest.len();
    for (i, _) in rest.match_indices(". ") {
        let word = rest[..i].rsplit(' ').next().unwrap_or("");
        let continues = matches!(word.to_ascii_lowercase().as_str(), "co" | "bros");
        if !continues {
            end = i + 1;
            break;
        }
    }
    let name = rest[..end].trim().trim_end_matches([',', ';']).trim();
    let name = TRAILING_YEAR.replace(name, "");
    let name = name.trim().trim_end_matches(',').trim();
    let name = name
        .strip_suffix('.')
        .filter(|n| !is_company_abbreviation(n.rsplit(' ').next().unwrap_or("")))
        .unwrap_or(name);
    let words = name.split_whitespace().count();
    if name.is_empty() || words > 8 || !name.chars().any(char::is_alphabetic) {
        return None;
    }
    Some(name.to_owned())
}

fn is_company_abbreviation(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().trim_end_matches('.'),
        "inc"
            | "ltd"
            | "co"
            | "corp"
            | "llc"
            | "plc"
            | "bros"
            | "s.a"
            | "b.v"
            | "n.v"
            | "pty"
            | "gmbh"
    )
}

/// A name with a legal form: `Radhaus Berlin GmbH`, `Front Range Motors LLC`.
pub(crate) fn legal_name(text: &str) -> Option<String> {
    LEGAL_NAME.find_iter(text).find_map(|m| {
        let name = m.as_str().trim().trim_end_matches([',', '·', '|']).trim();
        // The form alone ("Inc.") or a form after a lower-case word is not a name.
        (name.split_whitespace().count() >= 2).then(|| name.to_owned())
    })
}

/// A street address on one line: from the house number (or street name) to the end of the
/// line or the next separator (`·`, `|`, `•`).
pub(crate) fn street_address(text: &str) -> Option<Hit> {
    let m = STREET.find(text)?;
    let rest = &text[m.start()..];
    let end = [" · ", " | ", " • ", "·", "|", "•"]
        .iter()
        .filter_map(|sep| rest.find(sep))
        .min()
        .unwrap_or(rest.len());
    Some(Hit {
        start: m.start(),
        text: rest[..end].trim().to_owned(),
    })
}

/// Whether a line holds a postal code (US ZIP, European, UK). A street line's own house
/// number is not one: pass the text after it.
pub(crate) fn has_postal_code(text: &str) -> bool {
    POSTAL.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(h: Vec<Hit>) -> Vec<String> {
        h.into_iter().map(|h| h.text).collect()
    }

    #[test]
    fn prices_need_a_currency() {
        assert_eq!(
            texts(prices("Was $1,299.00, now US$ 999 or 49,90 € (EUR 12)")),
            ["$1,299.00", "US$ 999", "49,90 €", "EUR 12"]
        );
        assert!(prices("Only 3 left, model 2024").is_empty());
        assert_eq!(texts(prices("£45.")), ["£45"]);
    }

    #[test]
    fn emails_and_urls() {
        assert_eq!(
            texts(emails(
                "Write to sales@acme-corp.co.uk, or mailto:x.y+z@a.io."
            )),
            ["sales@acme-corp.co.uk", "x.y+z@a.io"]
        );
        assert_eq!(
            texts(emails(&deobfuscate_email(
                "email service [at] bikes [dot] example."
            ))),
            ["service@bikes.example"]
        );
        assert_eq!(
            texts(urls(
                "See https://acme.example/about. Or http://x.io/a?b=c,"
            )),
            ["https://acme.example/about", "http://x.io/a?b=c"]
        );
    }

    #[test]
    fn phones_have_shape_and_are_not_dates() {
        assert_eq!(
            texts(phones(
                "Call +1 (415) 555-0132 or 020 7946 0958. +44 (0)20 7946 0958"
            )),
            ["+1 (415) 555-0132", "020 7946 0958", "+44 (0)20 7946 0958"]
        );
        assert!(phones("Posted 2024-03-05, item 1234567, $1234567").is_empty());
        assert!(phones("SKU AB1234567").is_empty());
    }

    #[test]
    fn copyright_holders() {
        assert_eq!(
            copyright_holder("© 2024 Northwind Traders Ltd. All rights reserved.").as_deref(),
            Some("Northwind Traders Ltd.")
        );
        assert_eq!(
            copyright_holder("Copyright © 2019–2024 Blue Fern Studio | Privacy").as_deref(),
            Some("Blue Fern Studio")
        );
        assert_eq!(
            copyright_holder("(c) Acme. Made with love.").as_deref(),
            Some("Acme")
        );
        assert_eq!(
            copyright_holder("Hollis & Grant Landscape Architects, PC © 2024").as_deref(),
            Some("Hollis & Grant Landscape Architects, PC")
        );
        assert_eq!(
            copyright_holder("© 2024 Acorn Widgets Ltd. Registered in England No. 1.").as_deref(),
            Some("Acorn Widgets Ltd.")
        );
        assert_eq!(
            copyright_holder("© Loom & Thread 2024").as_deref(),
            Some("Loom & Thread")
        );
        assert_eq!(
            copyright_holder("© 2024 Westside Food Bank, a 501(c)(3) nonprofit.").as_deref(),
            Some("Westside Food Bank")
        );
    }

    #[test]
    fn street_addresses() {
        assert_eq!(
            street_address("Visit: 221B Baker Street, London NW1 6XE").map(|h| h.text),
            Some("221B Baker Street, London NW1 6XE".to_owned())
        );
        assert!(street_address("Hauptstraße 12").is_some());
        assert_eq!(
            street_address("Shop · 912 Alder St, Portland, OR 97205 · (503) 555-0110")
                .map(|h| h.text),
            Some("912 Alder St, Portland, OR 97205".to_owned())
        );
        assert_eq!(
            legal_name("Radhaus Berlin GmbH · Oranienstraße 164").as_deref(),
            Some("Radhaus Berlin GmbH")
        );
        assert_eq!(legal_name("we are not Inc. anything"), None);
        assert!(street_address("We have 3 great products").is_none());
        assert!(has_postal_code("Springfield, IL 62704"));
        assert!(street_address("MPG 26 city / 33 hwy").is_none());
        assert!(street_address("14 rue des Martyrs, 75009 Paris").is_some());
        assert_eq!(copyright_holder("a 501(c)(3) nonprofit"), None);
    }
}
