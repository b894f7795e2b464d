//! Connection settings of the Postgres store, read from a URL.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use mino_core::{Error, Result};
use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use url::Url;

/// Pool size when the URL does not say.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
/// How long a query waits for a free pooled connection when the URL does not say.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Query parameters that MINO reads itself; they are removed before sqlx sees the URL,
/// because sqlx ignores unknown parameters with only a warning.
const OWN_PARAMS: [&str; 4] = [
    "schema",
    "max_connections",
    "min_connections",
    "acquire_timeout",
];

/// Settings for [`PostgresStore`](super::PostgresStore).
///
/// Built from a URL such as
/// `postgres://user:pass@host:5432/db?schema=mino&max_connections=16`. Besides the
/// parameters sqlx understands (`sslmode`, `application_name`, …), MINO reads:
///
/// - `schema`: the schema holding MINO's tables, created when missing (default: the
///   server's `search_path`, usually `public`). Letters, digits and `_`, at most 63 bytes.
/// - `max_connections` (default 10) and `min_connections` (default 0): pool size.
/// - `acquire_timeout`: seconds to wait for a pooled connection (default 30).
#[derive(Clone)]
pub struct PostgresConfig {
    connect: PgConnectOptions,
    schema: Option<String>,
    max_connections: u32,
    min_connections: u32,
    acquire_timeout: Duration,
}

impl PostgresConfig {
    /// Settings for `connect` with default pool settings and no schema.
    pub fn new(connect: PgConnectOptions) -> Self {
        PostgresConfig {
            connect,
            schema: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            min_connections: 0,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        }
    }

    /// Parses a `postgres://` or `postgresql://` URL with MINO's own parameters.
    pub fn from_url(url: &str) -> Result<Self> {
        let invalid = |msg: String| Error::validation(msg).with_context("field", "database");
        let mut url = Url::parse(url.trim())
            .map_err(|e| invalid(format!("database URL is not valid: {e}")))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(invalid(format!(
                "database URL scheme must be postgres or postgresql, not {:?}",
                url.scheme()
            )));
        }

        let (own, rest): (Vec<_>, Vec<_>) = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .partition(|(k, _)| OWN_PARAMS.contains(&k.as_str()));
        let has_app_name = rest.iter().any(|(k, _)| k == "application_name");
        if rest.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(&rest);
        }

        let mut connect = PgConnectOptions::from_url(&url)
            .map_err(|e| invalid(format!("database URL is not valid: {e}")))?;
        if !has_app_name {
            // Names MINO's connections in pg_stat_activity unless the user chose a name.
            connect = connect.application_name("mino");
        }

        let mut config = PostgresConfig::new(connect);
        for (key, value) in own {
            config = match key.as_str() {
                "schema" => config.with_schema(&value)?,
                "max_connections" => config.with_max_connections(parse_number(&key, &value)?)?,
                "min_connections" => config.with_min_connections(parse_number(&key, &value)?)?,
                "acquire_timeout" => {
                    let secs: u64 = parse_number(&key, &value)?;
                    config.with_acquire_timeout(Duration::from_secs(secs))?
                }
                _ => config,
            };
        }
        if config.min_connections > config.max_connections {
            return Err(invalid(
                "min_connections must not exceed max_connections".to_owned(),
            ));
        }
        Ok(config)
    }

    /// Uses `schema` for MINO's tables; a validation error unless it is a plain identifier.
    pub fn with_schema(mut self, schema: &str) -> Result<Self> {
        validate_schema(schema)?;
        self.schema = Some(schema.to_owned());
        Ok(self)
    }

    /// Sets the pool size (at least 1).
    pub fn with_max_connections(mut self, n: u32) -> Result<Self> {
        if n == 0 {
            return Err(Error::validation("max_connections must be at least 1")
                .with_context("field", "max_connections"));
        }
        self.max_connections = n;
        Ok(self)
    }

    /// Sets how many connections the pool keeps open when idle.
    pub fn with_min_connections(mut self, n: u32) -> Result<Self> {
        self.min_connections = n;
        Ok(self)
    }

    /// Sets how long a query waits for a pooled connection (at least 1 second).
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Result<Self> {
        if timeout < Duration::from_secs(1) {
            return Err(
                Error::validation("acquire_timeout must be at least 1 second")
                    .with_context("field", "acquire_timeout"),
            );
        }
        self.acquire_timeout = timeout;
        Ok(self)
    }

    /// The sqlx connection options (host, user, database, TLS…).
    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.connect
    }

    /// The schema holding MINO's tables, when one is set.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The pool size.
    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    /// Connections kept open when idle.
    pub fn min_connections(&self) -> u32 {
        self.min_connections
    }

    /// How long a query waits for a pooled connection.
    pub fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }
}

impl FromStr for PostgresConfig {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self> {
        Self::from_url(url)
    }
}

/// Never prints the password.
impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("host", &self.connect.get_host())
            .field("port", &self.connect.get_port())
            .field("database", &self.connect.get_database())
            .field("username", &self.connect.get_username())
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish_non_exhaustive()
    }
}

fn parse_number<T: FromStr>(key: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| {
        Error::validation(format!("{key} must be a whole number, got {value:?}"))
            .with_context("field", "database")
    })
}

/// Schema names are spliced into DDL and `search_path` (they cannot be bound as
/// parameters), so only plain identifiers are accepted, and they are still quoted.
fn validate_schema(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok || !rest_ok || schema.len() > 63 || schema.starts_with("pg_") {
        return Err(Error::validation(format!(
            "schema {schema:?} must start with a letter or _, hold only letters, digits \
             and _, not start with pg_, and be at most 63 characters"
        ))
        .with_context("field", "schema"));
    }
    Ok(())
}

/// `schema` as a quoted SQL identifier (already validated to hold no quotes).
pub(crate) fn quote_ident(schema: &str) -> String {
    format!("\"{}\"", schema.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_parameters_and_strips_them() {
        let config = PostgresConfig::from_url(
            "postgres://alice:secret@db.example:6543/mino?schema=run_1&max_connections=16\
             &min_connections=2&acquire_timeout=5&sslmode=disable",
        )
        .expect("valid URL");
        assert_eq!(config.schema(), Some("run_1"));
        assert_eq!(config.max_connections(), 16);
        assert_eq!(config.min_connections(), 2);
        assert_eq!(config.acquire_timeout(), Duration::from_secs(5));
        let opts = config.connect_options();
        assert_eq!(opts.get_host(), "db.example");
        assert_eq!(opts.get_port(), 6543);
        assert_eq!(opts.get_database(), Some("mino"));
        assert_eq!(opts.get_username(), "alice");
        assert_eq!(opts.get_application_name(), Some("mino"));
    }

    #[test]
    fn defaults_without_parameters() {
        let config = PostgresConfig::from_url("postgresql://localhost/test").expect("valid URL");
        assert_eq!(config.schema(), None);
        assert_eq!(config.max_connections(), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(config.min_connections(), 0);
        assert_eq!(config.acquire_timeout(), DEFAULT_ACQUIRE_TIMEOUT);
    }

    #[test]
    fn keeps_a_chosen_application_name() {
        let config =
            PostgresConfig::from_url("postgres://localhost/test?application_name=worker&schema=s")
                .expect("valid URL");
        assert_eq!(
            config.connect_options().get_application_name(),
            Some("worker")
        );
        assert_eq!(config.schema(), Some("s"));
    }

    #[test]
    fn rejects_bad_input() {
        for url in [
            "mysql://localhost/db",
            "not a url",
            "postgres://localhost/db?max_connections=0",
            "postgres://localhost/db?max_connections=lots",
            "postgres://localhost/db?min_connections=5&max_connections=2",
            "postgres://localhost/db?acquire_timeout=0",
            "postgres://localhost/db?schema=",
            "postgres://localhost/db?schema=a;drop",
            "postgres://localhost/db?schema=1abc",
            "postgres://localhost/db?schema=pg_temp",
        ] {
            let err = PostgresConfig::from_url(url).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(mino_core::ErrorKind::Validation),
                "{url}"
            );
        }
        let long = "s".repeat(64);
        assert!(PostgresConfig::from_url(&format!("postgres://h/db?schema={long}")).is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let config =
            PostgresConfig::from_url("postgres://alice:hunter2@localhost/db").expect("valid URL");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("alice"), "{shown}");
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("run_1"), "\"run_1\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
