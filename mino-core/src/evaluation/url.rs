//! URL canonical form.
//!
//! Two URLs match when their canonical forms are equal. The canonical form:
//!
//! - has a lower-case scheme and host (the `url` crate's WHATWG parsing also turns Unicode
//!   hosts into punycode and resolves `.` and `..` path segments); a value without a scheme
//!   (`example.com/a`) is read as `https://`;
//! - drops default ports (`:80` for http, `:443` for https), the fragment (`#top`) and one
//!   trailing slash of the path (`/a/` = `/a`, `https://x.com/` = `https://x.com`);
//! - drops tracking parameters (`utm_*`, `gclid`, `fbclid`, `msclkid` and the others in
//!   [`TRACKING_PARAMS`]) and empty ones, and sorts the rest, so their order does not matter;
//! - with [`UrlOptions::ignore_scheme`] (default on) treats `http` and `https` as the same;
//! - with [`UrlOptions::ignore_www`] (default on) treats `www.example.com` as `example.com`;
//! - with [`UrlOptions::ignore_query`] (default off) drops the whole query.

use serde::{Deserialize, Serialize};
use url::Url;

/// Query parameters that only track where a visitor came from (besides every `utm_*`).
pub const TRACKING_PARAMS: &[&str] = &[
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "rb_clickid",
    "s_cid",
    "srsltid",
];

/// Options of the URL comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UrlOptions {
    /// `http` and `https` are the same.
    pub ignore_scheme: bool,
    /// `www.` in front of the host is ignored.
    pub ignore_www: bool,
    /// The query string is ignored entirely.
    pub ignore_query: bool,
}

impl Default for UrlOptions {
    fn default() -> Self {
        UrlOptions {
            ignore_scheme: true,
            ignore_www: true,
            ignore_query: false,
        }
    }
}

fn is_tracking(key: &str) -> bool {
    let key = key.trim();
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("utm_"))
        || TRACKING_PARAMS.iter().any(|t| t.eq_ignore_ascii_case(key))
}

/// The canonical form of a URL (see the module docs); `None` when it cannot be parsed.
pub fn canonical_url(s: &str, options: &UrlOptions) -> Option<String> {
    let s = s
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if s.is_empty() || s.contains(char::is_whitespace) {
        return None;
    }
    let mut input = String::with_capacity(s.len() + 8);
    if !has_scheme(s) {
        input.push_str("https://");
    }
    input.push_str(s);
    // Lower-casing the scheme and host first lets the parser skip its slow Unicode (IDNA)
    // path for the usual ASCII host written with capitals (`Shop.Example.com`).
    if let Some(authority) = input.find("://").map(|i| i + 3) {
        let end = input[authority..]
            .find(['/', '?', '#'])
            .map_or(input.len(), |e| authority + e);
        let host = input[authority..end]
            .rfind('@')
            .map_or(authority, |at| authority + at + 1);
        input[..authority].make_ascii_lowercase();
        input[host..end].make_ascii_lowercase();
    }
    let parsed = Url::parse(&input).ok()?;
    if parsed.cannot_be_a_base() {
        // mailto:, tel:, data: … have no host or path to normalise.
        let mut out = parsed.as_str().to_owned();
        if let Some(hash) = out.find('#') {
            out.truncate(hash);
        }
        return Some(out);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let scheme = parsed.scheme();
    if options.ignore_scheme && scheme == "http" {
        out.push_str("https");
    } else {
        out.push_str(scheme);
    }
    out.push_str("://");
    if !parsed.username().is_empty() {
        out.push_str(parsed.username());
        if let Some(password) = parsed.password() {
            out.push(':');
            out.push_str(password);
        }
        out.push('@');
    }
    let host = parsed.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host);
    match host.strip_prefix("www.") {
        Some(bare) if options.ignore_www => out.push_str(bare),
        _ => out.push_str(host),
    }
    if let Some(port) = parsed.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    let path = parsed.path();
    out.push_str(path.strip_suffix('/').unwrap_or(path));
    if !options.ignore_query {
        if let Some(query) = parsed.query() {
            let mut params: Vec<&str> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .filter(|p| !is_tracking(p.split('=').next().unwrap_or(p)))
                .collect();
            if !params.is_empty() {
                params.sort_unstable();
                out.push('?');
                out.push_str(&params.join("&"));
            }
        }
    }
    Some(out)
}

/// Whether `s` starts with `scheme:` followed by `//`, or is a known host-less scheme.
fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            let valid = scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            valid
                && (s[i + 1..].starts_with("//")
                    || ["mailto", "tel", "data", "urn"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(scheme)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let o = UrlOptions::default();
        let c = |s| canonical_url(s, &o);
        assert_eq!(
            c("HTTP://Example.com/a/?utm_source=x"),
            c("http://example.com/a")
        );
        assert_eq!(c("example.com:443/"), Some("https://example.com".into()));
        assert_eq!(c("https://x.com/p?b=2&a=1#f"), c("https://x.com/p?a=1&b=2"));
        assert_ne!(c("https://x.com/a"), c("https://x.com/b"));
        assert_eq!(c("not a url"), None);
    }
}
