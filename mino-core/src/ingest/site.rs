//! Site values: from what a user typed in the site column to a URL a browser can open.

use std::path::{Component, Path, PathBuf};

use url::Url;

use crate::error::{Error, Result};

use super::classify::is_bare_domain;

/// How many characters of a bad value an invalid-row reason quotes.
const QUOTE_CHARS: usize = 80;

/// Turns site values into URLs, or into the reason they cannot be one.
#[derive(Debug, Clone, Default)]
pub(crate) struct SiteResolver {
    /// The canonical base directory for relative file paths.
    base_dir: Option<PathBuf>,
}

impl SiteResolver {
    /// A resolver; `base_dir` must be an existing directory.
    pub(crate) fn new(base_dir: Option<&Path>) -> Result<Self> {
        let base_dir = match base_dir {
            None => None,
            Some(dir) => {
                let canonical = dir.canonicalize().map_err(|err| {
                    Error::validation(format!(
                        "the base directory {} cannot be used: {err}",
                        dir.display()
                    ))
                    .with_context("field", "base_dir")
                    .with_source(err)
                })?;
                if !canonical.is_dir() {
                    return Err(Error::validation(format!(
                        "the base directory {} is not a directory",
                        dir.display()
                    ))
                    .with_context("field", "base_dir"));
                }
                Some(canonical)
            }
        };
        Ok(SiteResolver { base_dir })
    }

    /// The URL for a site value, or why there is none.
    ///
    /// The value is trimmed. `http`, `https` and `file` URLs are kept (in the `url` crate's
    /// normal form: lower-case scheme and host, `/` path for a bare host); a bare domain
    /// (`example.com/a`) gets `https://`; with a base directory, a relative path to a file
    /// inside it becomes a `file://` URL. Anything else is an error message for the row.
    pub(crate) fn resolve(&self, raw: &str) -> std::result::Result<String, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("the site URL is empty".to_string());
        }
        if let Some(scheme) = scheme_of(value) {
            return match scheme.to_ascii_lowercase().as_str() {
                "http" | "https" => parse_web(value, value),
                // `file:a.html` would silently become `/a.html`: only absolute URLs count.
                "file" if !value[5..].starts_with("//") => {
                    Err(format!("{} is not an absolute file:// URL", quote(value)))
                }
                "file" => Url::parse(value)
                    .map(String::from)
                    .map_err(|err| format!("{} is not a valid file URL: {err}", quote(value))),
                other => Err(format!(
                    "{} uses the unsupported scheme `{other}:` (only http, https and file)",
                    quote(value)
                )),
            };
        }
        if let Some(url) = self.resolve_file(value) {
            return Ok(url);
        }
        if is_bare_domain(value.as_bytes()) {
            return parse_web(&format!("https://{value}"), value);
        }
        if self.base_dir.is_some() {
            return Err(format!(
                "{} is neither a URL, a domain name, nor a file in the base directory",
                quote(value)
            ));
        }
        Err(format!("{} is not a URL or a domain name", quote(value)))
    }

    /// A `file://` URL for a relative path naming a file inside the base directory.
    /// Absolute paths, `..` and symbolic links out of the directory are refused, so that a
    /// CSV cannot point the browser at other files of the machine.
    fn resolve_file(&self, value: &str) -> Option<String> {
        let base = self.base_dir.as_ref()?;
        let relative = Path::new(value);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !plain {
            return None;
        }
        let file = base.join(relative).canonicalize().ok()?;
        if !file.starts_with(base) || !file.is_file() {
            return None;
        }
        Url::from_file_path(&file).ok().map(String::from)
    }
}

fn parse_web(url: &str, shown: &str) -> std::result::Result<String, String> {
    match Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(parsed.into()),
        Ok(_) => Err(format!("{} has no host name", quote(shown))),
        Err(err) => Err(format!("{} is not a valid URL: {err}", quote(shown))),
    }
}

/// The scheme of `value` when it starts with one (`scheme:`), as in RFC 3986, except that
/// `host:port` (digits after the colon) and `name.tld:…` without `//` are not schemes.
fn scheme_of(value: &str) -> Option<&str> {
    let colon = value.find(':')?;
    let (scheme, rest) = (&value[..colon], &value[colon + 1..]);
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !well_formed {
        return None;
    }
    let port = rest
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if port || (scheme.contains('.') && !rest.starts_with("//")) {
        return None;
    }
    Some(scheme)
}

/// A value in back-quotes for a reason, cut to a readable length.
fn quote(value: &str) -> String {
    if value.chars().count() <= QUOTE_CHARS {
        return format!("`{value}`");
    }
    let cut: String = value.chars().take(QUOTE_CHARS).collect();
    format!("`{cut}…`")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn resolve(value: &str) -> std::result::Result<String, String> {
        SiteResolver::default().resolve(value)
    }

    #[test]
    fn keeps_web_urls_and_completes_bare_domains() {
        assert_eq!(
            resolve(" https://Example.com/a?b=1 ").unwrap(),
            "https://example.com/a?b=1"
        );
        assert_eq!(
            resolve("http://127.0.0.1:3001/x").unwrap(),
            "http://127.0.0.1:3001/x"
        );
        assert_eq!(resolve("example.com").unwrap(), "https://example.com/");
        assert_eq!(
            resolve("www.shop.co.uk/path").unwrap(),
            "https://www.shop.co.uk/path"
        );
        assert_eq!(
            resolve("shop.com:8080/a").unwrap(),
            "https://shop.com:8080/a"
        );
        assert_eq!(resolve("file:///tmp/a.html").unwrap(), "file:///tmp/a.html");
    }

    #[test]
    fn gives_reasons_for_unusable_values() {
        for (value, reason) in [
            ("", "empty"),
            ("   ", "empty"),
            ("not a url", "not a URL or a domain name"),
            ("ftp://example.com", "unsupported scheme `ftp:`"),
            ("javascript:alert(1)", "unsupported scheme `javascript:`"),
            ("mailto:a@b.com", "unsupported scheme"),
            ("https://exa mple.com", "not a valid URL"),
            ("http://", "not a valid URL"),
            ("exa mple.com", "not a URL or a domain name"),
            ("pages/a.html", "not a URL or a domain name"),
            ("file:a.html", "not an absolute file:// URL"),
        ] {
            let err = resolve(value).unwrap_err();
            assert!(err.contains(reason), "{value:?}: {err}");
        }
    }

    #[test]
    fn long_values_are_cut_in_reasons() {
        let err = resolve(&"x ".repeat(500)).unwrap_err();
        assert!(err.len() < 200, "{err}");
    }

    #[test]
    fn relative_paths_resolve_inside_the_base_dir_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pages")).unwrap();
        std::fs::write(dir.path().join("pages/a.html"), "<p>a</p>").unwrap();
        std::fs::write(dir.path().join("secret.html"), "s").unwrap();
        let base = dir.path().join("pages");
        let resolver = SiteResolver::new(Some(&dir.path().join("pages/.."))).unwrap();

        let url = resolver.resolve("pages/a.html").unwrap();
        assert!(
            url.starts_with("file:///") && url.ends_with("/pages/a.html"),
            "{url}"
        );
        assert_eq!(resolver.resolve("./pages/a.html").unwrap(), url);
        // Domains still work with a base directory.
        assert_eq!(
            resolver.resolve("example.com").unwrap(),
            "https://example.com/"
        );

        let inner = SiteResolver::new(Some(&base)).unwrap();
        for value in ["../secret.html", "pages/missing.html", "/etc/passwd"] {
            let err = inner.resolve(value).unwrap_err();
            assert!(err.contains("file in the base directory"), "{value}: {err}");
        }
        assert!(SiteResolver::new(Some(&dir.path().join("nope"))).is_err());
    }
}
