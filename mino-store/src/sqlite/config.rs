//! How to open a SQLite store: parsed from a `sqlite:` URL or built in code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mino_core::{Error, Result};

/// Reader connections when the URL does not say.
pub const DEFAULT_READERS: usize = 4;
/// The most reader connections one store may open.
pub const MAX_READERS: usize = 64;
/// How long a connection waits for a lock held by another connection, by default.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    /// A file on disk (created when missing; its directory must exist).
    File(PathBuf),
    /// A private in-memory database that lives as long as the store.
    Memory,
}

/// Settings of a [`SqliteStore`](super::SqliteStore).
///
/// URL forms accepted by [`SqliteConfig::from_url`]:
///
/// - `sqlite:path/to/file.db` and `sqlite://path/to/file.db`: relative to the working directory
/// - `sqlite:///abs/path.db` (or `sqlite:/abs/path.db`): absolute
/// - `sqlite::memory:`: in memory
///
/// followed by optional query parameters: `readers` (reader connections, 0–64; default 4) and
/// `busy_timeout_ms` (default 5000). Paths are taken literally (no percent-decoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// Where the database lives.
    pub location: SqliteLocation,
    /// Reader connections beside the one writer. 0 sends reads to the writer; an in-memory
    /// database always uses its single connection.
    pub readers: usize,
    /// How long to wait for a lock before failing with a (transient) storage error.
    pub busy_timeout: Duration,
}

impl SqliteConfig {
    /// A file database with default settings.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        SqliteConfig {
            location: SqliteLocation::File(path.into()),
            readers: DEFAULT_READERS,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }

    /// A private in-memory database.
    pub fn memory() -> Self {
        SqliteConfig {
            location: SqliteLocation::Memory,
            readers: 0,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }

    /// Parses a `sqlite:` URL (see the type docs); anything else is a validation error.
    pub fn from_url(url: &str) -> Result<Self> {
        let url = url.trim();
        let rest = url
            .strip_prefix("sqlite:")
            .ok_or_else(|| invalid(url, "expected a URL starting with sqlite:"))?;
        let (target, query) = match rest.split_once('?') {
            Some((target, query)) => (target, Some(query)),
            None => (rest, None),
        };
        let mut config = match target {
            ":memory:" | "//:memory:" => Self::memory(),
            _ => Self::file(parse_path(url, target)?),
        };
        if let Some(query) = query {
            config.apply_query(url, query)?;
        }
        Ok(config)
    }

    /// The database file, unless it lives in memory.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            SqliteLocation::File(path) => Some(path),
            SqliteLocation::Memory => None,
        }
    }

    fn apply_query(&mut self, url: &str, query: &str) -> Result<()> {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(url, &format!("query parameter {pair:?} has no value")))?;
            match key {
                "readers" => {
                    let n: usize = value
                        .parse()
                        .ok()
                        .filter(|n| *n <= MAX_READERS)
                        .ok_or_else(|| {
                            invalid(url, &format!("readers must be between 0 and {MAX_READERS}"))
                        })?;
                    self.readers = n;
                }
                "busy_timeout_ms" => {
                    let ms: u64 = value.parse().map_err(|_| {
                        invalid(
                            url,
                            "busy_timeout_ms must be a whole number of milliseconds",
                        )
                    })?;
                    self.busy_timeout = Duration::from_millis(ms);
                }
                _ => return Err(invalid(url, &format!("unknown query parameter {key:?}"))),
            }
        }
        if self.location == SqliteLocation::Memory {
            // One private in-memory database cannot be shared between connections without
            // shared-cache mode, whose table locks fail instead of waiting; keep one connection.
            self.readers = 0;
        }
        Ok(())
    }
}

/// The path part of a URL: `//` introduces a path (absolute with a third slash), a single
/// leading `/` is absolute, anything else is relative.
fn parse_path(url: &str, target: &str) -> Result<PathBuf> {
    let path = target.strip_prefix("//").unwrap_or(target);
    if path.is_empty() {
        return Err(invalid(url, "the database path is empty"));
    }
    if path.ends_with('/') {
        return Err(invalid(
            url,
            "the database path names a directory, not a file",
        ));
    }
    Ok(PathBuf::from(path))
}

fn invalid(url: &str, why: &str) -> Error {
    Error::validation(format!("invalid SQLite URL {url:?}: {why}"))
        .with_context("field", "database")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mino_core::ErrorKind;

    fn path_of(url: &str) -> PathBuf {
        let config = SqliteConfig::from_url(url).expect("valid URL");
        config.path().expect("a file").to_path_buf()
    }

    fn error_kind(url: &str) -> Option<ErrorKind> {
        SqliteConfig::from_url(url).err().map(|e| e.kind())
    }

    #[test]
    fn file_urls_in_every_form() {
        assert_eq!(path_of("sqlite:mino.db"), PathBuf::from("mino.db"));
        assert_eq!(
            path_of("sqlite:data/mino.db"),
            PathBuf::from("data/mino.db")
        );
        assert_eq!(
            path_of("sqlite://data/mino.db"),
            PathBuf::from("data/mino.db")
        );
        assert_eq!(
            path_of("sqlite:///var/lib/mino.db"),
            PathBuf::from("/var/lib/mino.db")
        );
        assert_eq!(
            path_of("sqlite:/var/lib/mino.db"),
            PathBuf::from("/var/lib/mino.db")
        );
        assert_eq!(path_of("  sqlite:mino.db \n"), PathBuf::from("mino.db"));
    }

    #[test]
    fn memory_urls() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite::memory:?readers=8",
        ] {
            let config = SqliteConfig::from_url(url).expect("valid URL");
            assert_eq!(config.location, SqliteLocation::Memory, "{url}");
            assert_eq!(config.readers, 0, "{url}");
        }
    }

    #[test]
    fn query_parameters() {
        let config =
            SqliteConfig::from_url("sqlite:a.db?readers=2&busy_timeout_ms=250").expect("valid URL");
        assert_eq!(config.readers, 2);
        assert_eq!(config.busy_timeout, Duration::from_millis(250));
        let config = SqliteConfig::from_url("sqlite:a.db").expect("valid URL");
        assert_eq!(config.readers, DEFAULT_READERS);
        assert_eq!(config.busy_timeout, DEFAULT_BUSY_TIMEOUT);
        assert_eq!(
            SqliteConfig::from_url("sqlite:a.db?readers=0")
                .map(|c| c.readers)
                .ok(),
            Some(0)
        );
    }

    #[test]
    fn bad_urls_are_validation_errors() {
        for url in [
            "",
            "postgres://x/y",
            "sqlite:",
            "sqlite://",
            "sqlite:///",
            "sqlite:dir/",
            "sqlite:a.db?readers=many",
            "sqlite:a.db?readers=65",
            "sqlite:a.db?readers",
            "sqlite:a.db?colour=blue",
            "sqlite:a.db?busy_timeout_ms=-1",
        ] {
            assert_eq!(error_kind(url), Some(ErrorKind::Validation), "{url:?}");
        }
        let err = SqliteConfig::from_url("sqlite:a.db?x=1").expect_err("an error");
        assert_eq!(err.context_value("field"), Some("database"));
    }
}
