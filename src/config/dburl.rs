//! The database URL, parsed once: its scheme picks the storage engine.
//!
//! `sqlite:PATH`, `sqlite://PATH` or a bare file path → SQLite (libsql); `postgres://` or
//! `postgresql://` → PostgreSQL (sqlx). Anything else is an error. Connecting is the
//! `store` module's job, not this one's.

use std::fmt;
use std::path::PathBuf;

/// Which database to use and where it lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite {
        path: PathBuf,
    },
    /// The full URL as given; it may carry a password, so `Debug` redacts it.
    Postgres {
        url: String,
    },
}

const ACCEPTED: &str =
    "sqlite:PATH, sqlite://PATH, a bare file path, postgres://… or postgresql://…";

impl DbUrl {
    /// Parses a database URL. Errors never echo the URL (it may hold a password).
    pub fn parse(s: &str) -> Result<DbUrl, String> {
        if s.trim().is_empty() {
            return Err(format!("the database URL is empty; expected {ACCEPTED}"));
        }
        for prefix in ["postgres://", "postgresql://"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                if rest.is_empty() {
                    return Err(format!(
                        "{prefix} needs a host or database after the scheme"
                    ));
                }
                return Ok(DbUrl::Postgres { url: s.to_string() });
            }
        }
        if let Some(rest) = s.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            return sqlite(path);
        }
        if let Some(scheme) = scheme_of(s) {
            return Err(format!(
                "unsupported database URL scheme \"{scheme}\"; expected {ACCEPTED}"
            ));
        }
        sqlite(s)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DbUrl::Postgres { .. })
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DbUrl::Sqlite { .. })
    }

    /// True when the URL carries a password (in the user info or a query parameter).
    pub fn has_password(&self) -> bool {
        match self {
            DbUrl::Sqlite { .. } => false,
            DbUrl::Postgres { url } => redact_postgres(url) != *url,
        }
    }

    /// The URL with any password replaced by `***`, safe for logs and `config check`.
    pub fn display_redacted(&self) -> String {
        match self {
            DbUrl::Sqlite { path } => format!("sqlite:{}", path.display()),
            DbUrl::Postgres { url } => redact_postgres(url),
        }
    }
}

fn sqlite(path: &str) -> Result<DbUrl, String> {
    if path.is_empty() {
        return Err(format!(
            "the SQLite URL has no file path; expected {ACCEPTED}"
        ));
    }
    if path == ":memory:" || path.starts_with(":memory:") || path.contains("mode=memory") {
        return Err(
            "in-memory SQLite (:memory:) is not supported: the gateway needs a database that \
             survives restarts and is shared by its connections; give a file path such as \
             sqlite:./gateway.db"
                .into(),
        );
    }
    if path.contains('?') {
        return Err(
            "SQLite URL options (?…) are not supported; give only the file path, e.g. \
             sqlite:./gateway.db"
                .into(),
        );
    }
    Ok(DbUrl::Sqlite {
        path: PathBuf::from(path),
    })
}

/// `mysql` for `mysql://…` or `mysql:…`. Single letters are not schemes (`C:\db` on Windows),
/// and paths start with `.` or `/`, which a scheme cannot.
fn scheme_of(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (scheme.len() >= 2 && starts_with_letter && rest_ok).then_some(scheme)
}

/// Replaces the password in `scheme://user:password@host/db?…` and any `*password*=` query
/// parameter. The last `@` before the query ends the user info, so a password containing an
/// unescaped `@` or `/` is still hidden.
fn redact_postgres(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<redacted>".into();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = format!("{scheme}://");
    match before_query.rfind('@') {
        Some(at) => {
            let (userinfo, host_and_db) = before_query.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => out.push_str(&format!("{user}:***")),
                None => out.push_str(userinfo),
            }
            out.push_str(host_and_db);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                    format!("{name}=***")
                }
                _ => param.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbUrl::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            DbUrl::Postgres { url } => f
                .debug_struct("Postgres")
                .field("url", &redact_postgres(url))
                .finish(),
        }
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_redacted())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sqlite_path(s: &str) -> PathBuf {
        match DbUrl::parse(s).unwrap() {
            DbUrl::Sqlite { path } => path,
            other => panic!("{s} parsed as {other:?}"),
        }
    }

    #[test]
    fn sqlite_scheme_forms_and_bare_paths_pick_sqlite() {
        assert_eq!(
            sqlite_path("sqlite:./gateway.db"),
            PathBuf::from("./gateway.db")
        );
        assert_eq!(
            sqlite_path("sqlite:gateway.db"),
            PathBuf::from("gateway.db")
        );
        assert_eq!(
            sqlite_path("sqlite://gateway.db"),
            PathBuf::from("gateway.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/gw.db"),
            PathBuf::from("/var/lib/gw.db")
        );
        assert_eq!(sqlite_path("./gateway.db"), PathBuf::from("./gateway.db"));
        assert_eq!(
            sqlite_path("/var/lib/gw.db"),
            PathBuf::from("/var/lib/gw.db")
        );
        assert_eq!(sqlite_path("gateway.db"), PathBuf::from("gateway.db"));
    }

    #[test]
    fn in_memory_sqlite_is_rejected() {
        for s in ["sqlite::memory:", "sqlite://:memory:", ":memory:"] {
            let err = DbUrl::parse(s).unwrap_err();
            assert!(err.contains("in-memory SQLite"), "{s}: {err}");
        }
    }

    #[test]
    fn sqlite_url_without_a_path_or_with_options_is_rejected() {
        assert!(
            DbUrl::parse("sqlite:")
                .unwrap_err()
                .contains("no file path")
        );
        assert!(
            DbUrl::parse("sqlite://")
                .unwrap_err()
                .contains("no file path")
        );
        assert!(
            DbUrl::parse("sqlite:gw.db?mode=rwc")
                .unwrap_err()
                .contains("options")
        );
        assert!(DbUrl::parse("").unwrap_err().contains("empty"));
    }

    #[test]
    fn both_postgres_schemes_pick_postgres() {
        for s in ["postgres://u:p@db:5432/gw", "postgresql://localhost/gw"] {
            let db = DbUrl::parse(s).unwrap();
            assert!(db.is_postgres(), "{s}");
            assert_eq!(db, DbUrl::Postgres { url: s.into() });
        }
        assert!(DbUrl::parse("postgres://").is_err());
    }

    #[test]
    fn unknown_scheme_is_an_error_naming_it_and_the_accepted_ones() {
        for (s, scheme) in [
            ("mysql://u:p@h/db", "mysql"),
            ("http://example.com", "http"),
            ("postgres:localhost", "postgres"),
            ("libsql://x.turso.io", "libsql"),
        ] {
            let err = DbUrl::parse(s).unwrap_err();
            assert!(err.contains(&format!("\"{scheme}\"")), "{err}");
            assert!(
                err.contains("postgres://") && err.contains("sqlite:PATH"),
                "{err}"
            );
            assert!(!err.contains("u:p"), "error echoes the URL: {err}");
        }
    }

    #[test]
    fn debug_and_display_redact_the_postgres_password() {
        let db = DbUrl::parse("postgres://gw:hunter2@db:5432/gw?sslmode=require").unwrap();
        let debug = format!("{db:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert_eq!(
            db.display_redacted(),
            "postgres://gw:***@db:5432/gw?sslmode=require"
        );
        assert_eq!(db.to_string(), db.display_redacted());
    }

    #[test]
    fn redaction_survives_odd_passwords_and_query_passwords() {
        let db = DbUrl::parse("postgresql://gw:p@ss/w0rd@db/gw?password=qqq&x=1").unwrap();
        let shown = db.display_redacted();
        assert_eq!(shown, "postgresql://gw:***@db/gw?password=***&x=1");
        assert!(db.has_password());
        let plain = DbUrl::parse("postgres://gw@db/gw").unwrap();
        assert_eq!(plain.display_redacted(), "postgres://gw@db/gw");
        assert!(!plain.has_password());
    }

    #[test]
    fn sqlite_displays_as_a_sqlite_url() {
        let db = DbUrl::parse("./gateway.db").unwrap();
        assert!(db.is_sqlite());
        assert_eq!(db.display_redacted(), "sqlite:./gateway.db");
    }
}
