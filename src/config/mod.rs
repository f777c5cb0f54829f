//! Configuration: the YAML schema, the `GATEWAY_*` env overlay, secret references, and
//! validation that reports every problem at once.
//!
//! [`load`] is the only way in: file → YAML (unknown keys are errors with a suggestion) →
//! env overlay → secret resolution → [`validate::validate`] → [`Loaded`]. There are no
//! built-in defaults for a missing file. What must not live here: database access (`store`),
//! seeding the database from this config (`seed`), and CLI argument parsing (`cli`).

pub mod dburl;
pub mod env;
mod load;
pub mod schema;
pub mod secret;
mod suggest;
pub mod validate;

use std::path::PathBuf;

pub use dburl::DbUrl;
pub use load::{load, load_from_process_env};
pub use schema::{
    Auth, BootstrapAdmin, Budget, Cadence, Config, Database, Demo, LogFormat, Membership, Model,
    Pricing, Provider, ProviderKind, Route, Server, ServiceAccount, Startup, Team, TeamRole,
    Timeouts, User,
};
pub use secret::{Secret, SecretField};

/// A loaded, validated configuration and what was learnt while loading it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The file it was read from.
    pub path: PathBuf,
    /// `config.database.url`, parsed.
    pub db: DbUrl,
    /// Non-fatal advice (e.g. inline secrets in a PostgreSQL-backed deployment).
    pub warnings: Vec<String>,
}

/// Why the configuration could not be loaded. Every variant exits the process with code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {} not found; the gateway does not fall back to built-in defaults — \
         create the file or point the gateway at an existing one",
        path.display()
    )]
    NotFound { path: PathBuf },

    #[error("cannot read config file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}", invalid_message(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

impl ConfigError {
    /// The process exit code for a configuration error (2, like a usage error).
    pub fn exit_code(&self) -> i32 {
        2
    }
}

fn invalid_message(path: &std::path::Path, problems: &[String]) -> String {
    let count = match problems.len() {
        1 => "1 problem".to_string(),
        n => format!("{n} problems"),
    };
    let mut out = format!("invalid configuration in {} ({count}):", path.display());
    for problem in problems {
        out.push_str("\n  - ");
        out.push_str(problem);
    }
    out
}

/// The effective configuration as YAML with every secret redacted; the database URL is shown
/// with its password masked, followed by where it came from.
pub fn render_redacted(cfg: &Config) -> String {
    let mut value = match serde_yaml::to_value(cfg) {
        Ok(value) => value,
        Err(e) => return format!("# cannot render the configuration: {e}\n"),
    };
    let db = cfg
        .database
        .url
        .expose()
        .and_then(|url| DbUrl::parse(url).ok());
    if let (Some(db), Some(slot)) = (db, value.get_mut("database").and_then(|d| d.get_mut("url"))) {
        let shown = format!(
            "{} (from {})",
            db.display_redacted(),
            cfg.database.url.describe()
        );
        *slot = serde_yaml::Value::String(shown);
    }
    serde_yaml::to_string(&value)
        .unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn invalid_error_lists_every_problem_on_its_own_line() {
        let err = ConfigError::Invalid {
            path: "config/gateway.yaml".into(),
            problems: vec!["first".into(), "second".into()],
        };
        assert_eq!(
            err.to_string(),
            "invalid configuration in config/gateway.yaml (2 problems):\n  - first\n  - second"
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn not_found_error_names_the_path_and_refuses_defaults() {
        let err = ConfigError::NotFound {
            path: "/etc/gw.yaml".into(),
        };
        let msg = err.to_string();
        assert!(msg.contains("/etc/gw.yaml"), "{msg}");
        assert!(
            msg.contains("does not fall back to built-in defaults"),
            "{msg}"
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn rendered_config_redacts_every_secret_and_masks_the_database_password() {
        let mut cfg = Config::default();
        cfg.database.url =
            SecretField::from_env_var("GATEWAY_DATABASE_URL", "postgres://gw:pw1@db/gw");
        cfg.auth.bootstrap_admin.password = SecretField::literal("pw2");
        let yaml: Config = serde_yaml::from_str(
            "providers: [{id: up, kind: openai_compat, base_url: 'http://x', api_key: pw3}]",
        )
        .unwrap();
        cfg.providers = yaml.providers;
        let shown = render_redacted(&cfg);
        for secret in ["pw1", "pw2", "pw3"] {
            assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
        }
        assert!(
            shown.contains("url: postgres://gw:***@db/gw (from GATEWAY_DATABASE_URL)"),
            "{shown}"
        );
        assert!(shown.contains("password: <redacted>"), "{shown}");
        assert!(shown.contains("run_migrations: true"), "{shown}");
    }
}
