//! The `GATEWAY_*` environment overlay: flat variables that override YAML keys.
//!
//! Read with `envy` from an explicit iterator so tests never touch the process environment.
//! Empty variables count as unset. Every variable is read as a string and parsed here, so a
//! bad value yields an error naming the variable and the accepted values. Validation of the
//! resulting config (e.g. whether `GATEWAY_BIND` is a socket address) lives in `validate`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::schema::{Config, LogFormat};
use super::secret::SecretField;

/// Every overlay variable and the config key it overrides.
pub const VARIABLES: &[(&str, &str)] = &[
    ("GATEWAY_DATABASE_URL", "database.url"),
    ("GATEWAY_BIND", "server.bind"),
    ("GATEWAY_PUBLIC_URL", "server.public_url"),
    ("GATEWAY_LOG_FORMAT", "server.log_format"),
    (
        "GATEWAY_BOOTSTRAP_ADMIN_EMAIL",
        "auth.bootstrap_admin.email",
    ),
    (
        "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD",
        "auth.bootstrap_admin.password",
    ),
    ("GATEWAY_RUN_MIGRATIONS", "startup.run_migrations"),
    ("GATEWAY_BOOTSTRAP_ADMIN", "startup.bootstrap_admin"),
    ("GATEWAY_SEED_CONFIG", "startup.seed_config"),
    ("GATEWAY_BOOTSTRAP_LINK", "startup.bootstrap_link"),
    (
        "GATEWAY_BOOTSTRAP_TOKEN_FILE",
        "auth.bootstrap_link.token_file",
    ),
];

/// The overlay variable that can override `key`, if any.
pub fn variable_for(key: &str) -> Option<&'static str> {
    VARIABLES
        .iter()
        .find(|(_, k)| *k == key)
        .map(|(var, _)| *var)
}

/// The variables as envy sees them: prefix stripped, lower-cased.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    log_format: Option<String>,
    bootstrap_admin_email: Option<String>,
    bootstrap_admin_password: Option<String>,
    run_migrations: Option<String>,
    bootstrap_admin: Option<String>,
    seed_config: Option<String>,
    bootstrap_link: Option<String>,
    bootstrap_token_file: Option<String>,
}

/// What the overlay did: which keys it overrode (key → variable) and what it could not parse.
#[derive(Debug, Default)]
pub struct Overlay {
    pub applied: BTreeMap<&'static str, &'static str>,
    pub problems: Vec<String>,
}

impl Overlay {
    /// The variable whose value `key` now holds, if the overlay overrode it.
    pub fn source_of(&self, key: &str) -> Option<&'static str> {
        self.applied.get(key).copied()
    }

    fn record(&mut self, var: &'static str) {
        if let Some(key) = VARIABLES.iter().find(|(v, _)| *v == var).map(|(_, k)| *k) {
            self.applied.insert(key, var);
        }
    }
}

/// Applies the `GATEWAY_*` variables found in `env` to `cfg`. Valid variables are applied even
/// when others are invalid, so validation can still report everything else.
pub fn apply<I>(cfg: &mut Config, env: I) -> Overlay
where
    I: IntoIterator<Item = (String, String)>,
{
    let mut overlay = Overlay::default();
    let non_empty = env.into_iter().filter(|(_, v)| !v.is_empty());
    let raw: Raw = match envy::prefixed("GATEWAY_").from_iter(non_empty) {
        Ok(raw) => raw,
        Err(e) => {
            overlay
                .problems
                .push(format!("cannot read GATEWAY_* environment variables: {e}"));
            return overlay;
        }
    };

    if let Some(url) = raw.database_url {
        cfg.database.url = SecretField::from_env_var("GATEWAY_DATABASE_URL", url);
        overlay.record("GATEWAY_DATABASE_URL");
    }
    if let Some(bind) = raw.bind {
        cfg.server.bind = bind;
        overlay.record("GATEWAY_BIND");
    }
    if let Some(url) = raw.public_url {
        cfg.server.public_url = url;
        overlay.record("GATEWAY_PUBLIC_URL");
    }
    if let Some(format) = raw.log_format {
        match parse_log_format(&format) {
            Some(parsed) => {
                cfg.server.log_format = parsed;
                overlay.record("GATEWAY_LOG_FORMAT");
            }
            None => overlay.problems.push(format!(
                "GATEWAY_LOG_FORMAT={format:?} is not a log format; accepted values: pretty, json"
            )),
        }
    }
    if let Some(email) = raw.bootstrap_admin_email {
        cfg.auth.bootstrap_admin.email = email;
        overlay.record("GATEWAY_BOOTSTRAP_ADMIN_EMAIL");
    }
    if let Some(password) = raw.bootstrap_admin_password {
        let var = "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD";
        cfg.auth.bootstrap_admin.password = SecretField::from_env_var(var, password);
        overlay.record(var);
    }
    if let Some(path) = raw.bootstrap_token_file {
        cfg.auth.bootstrap_link.token_file = path;
        overlay.record("GATEWAY_BOOTSTRAP_TOKEN_FILE");
    }
    let toggles = [
        (
            "GATEWAY_RUN_MIGRATIONS",
            raw.run_migrations,
            &mut cfg.startup.run_migrations,
        ),
        (
            "GATEWAY_BOOTSTRAP_ADMIN",
            raw.bootstrap_admin,
            &mut cfg.startup.bootstrap_admin,
        ),
        (
            "GATEWAY_SEED_CONFIG",
            raw.seed_config,
            &mut cfg.startup.seed_config,
        ),
        (
            "GATEWAY_BOOTSTRAP_LINK",
            raw.bootstrap_link,
            &mut cfg.startup.bootstrap_link,
        ),
    ];
    for (var, value, target) in toggles {
        let Some(value) = value else { continue };
        match parse_bool(&value) {
            Some(parsed) => {
                *target = parsed;
                overlay.record(var);
            }
            None => overlay.problems.push(format!(
                "{var}={value:?} is not a boolean; accepted values: true, false, 1, 0, yes, no \
                 (any case)"
            )),
        }
    }
    overlay
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn parse_log_format(s: &str) -> Option<LogFormat> {
    match s.trim().to_ascii_lowercase().as_str() {
        "pretty" => Some(LogFormat::Pretty),
        "json" => Some(LogFormat::Json),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn overlay(pairs: &[(&str, &str)]) -> (Config, Overlay) {
        let mut cfg = Config::default();
        let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let overlay = apply(&mut cfg, env);
        (cfg, overlay)
    }

    #[test]
    fn database_url_overrides_as_a_resolved_secret_from_the_variable() {
        let (cfg, o) = overlay(&[("GATEWAY_DATABASE_URL", "postgres://u:pw@db/gw")]);
        assert_eq!(cfg.database.url.expose(), Some("postgres://u:pw@db/gw"));
        assert!(!cfg.database.url.is_inline_literal());
        assert_eq!(cfg.database.url.describe(), "GATEWAY_DATABASE_URL");
        assert_eq!(o.source_of("database.url"), Some("GATEWAY_DATABASE_URL"));
        assert!(o.problems.is_empty());
    }

    #[test]
    fn server_variables_override_bind_public_url_and_log_format() {
        let (cfg, o) = overlay(&[
            ("GATEWAY_BIND", "0.0.0.0:9000"),
            ("GATEWAY_PUBLIC_URL", "https://gw.example.com"),
            ("GATEWAY_LOG_FORMAT", "JSON"),
        ]);
        assert_eq!(cfg.server.bind, "0.0.0.0:9000");
        assert_eq!(cfg.server.public_url, "https://gw.example.com");
        assert_eq!(cfg.server.log_format, LogFormat::Json);
        assert_eq!(o.source_of("server.bind"), Some("GATEWAY_BIND"));
        assert_eq!(o.source_of("server.public_url"), Some("GATEWAY_PUBLIC_URL"));
        assert_eq!(o.source_of("server.log_format"), Some("GATEWAY_LOG_FORMAT"));
        let (cfg, _) = overlay(&[("GATEWAY_LOG_FORMAT", "pretty")]);
        assert_eq!(cfg.server.log_format, LogFormat::Pretty);
    }

    #[test]
    fn invalid_log_format_names_the_variable_and_accepted_values() {
        let (cfg, o) = overlay(&[("GATEWAY_LOG_FORMAT", "xml")]);
        assert_eq!(cfg.server.log_format, LogFormat::Pretty);
        assert_eq!(
            o.problems,
            ["GATEWAY_LOG_FORMAT=\"xml\" is not a log format; accepted values: pretty, json"]
        );
    }

    #[test]
    fn bootstrap_admin_variables_override_email_and_password() {
        let (cfg, o) = overlay(&[
            ("GATEWAY_BOOTSTRAP_ADMIN_EMAIL", "ops@example.com"),
            ("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", "pw"),
        ]);
        let admin = &cfg.auth.bootstrap_admin;
        assert_eq!(admin.email, "ops@example.com");
        assert_eq!(admin.password.expose(), Some("pw"));
        assert_eq!(
            admin.password.describe(),
            "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD"
        );
        assert_eq!(
            o.source_of("auth.bootstrap_admin.password"),
            Some("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD")
        );
    }

    #[test]
    fn every_accepted_boolean_spelling_sets_each_startup_toggle() {
        for var in [
            "GATEWAY_RUN_MIGRATIONS",
            "GATEWAY_BOOTSTRAP_ADMIN",
            "GATEWAY_SEED_CONFIG",
            "GATEWAY_BOOTSTRAP_LINK",
        ] {
            for (spelling, expected) in [
                ("true", true),
                ("TRUE", true),
                ("True", true),
                ("1", true),
                ("yes", true),
                ("YES", true),
                ("false", false),
                ("False", false),
                ("0", false),
                ("no", false),
                ("No", false),
            ] {
                let (cfg, o) = overlay(&[(var, spelling)]);
                let actual = match var {
                    "GATEWAY_RUN_MIGRATIONS" => cfg.startup.run_migrations,
                    "GATEWAY_BOOTSTRAP_ADMIN" => cfg.startup.bootstrap_admin,
                    "GATEWAY_BOOTSTRAP_LINK" => cfg.startup.bootstrap_link,
                    _ => cfg.startup.seed_config,
                };
                assert_eq!(actual, expected, "{var}={spelling}");
                assert!(o.problems.is_empty(), "{var}={spelling}");
                assert_eq!(o.applied.values().copied().collect::<Vec<_>>(), [var]);
            }
        }
    }

    #[test]
    fn invalid_boolean_names_the_variable_and_accepted_values() {
        let (cfg, o) = overlay(&[
            ("GATEWAY_RUN_MIGRATIONS", "maybe"),
            ("GATEWAY_SEED_CONFIG", "on"),
        ]);
        assert!(cfg.startup.run_migrations && cfg.startup.seed_config);
        assert_eq!(o.problems.len(), 2, "{:?}", o.problems);
        assert_eq!(
            o.problems[0],
            "GATEWAY_RUN_MIGRATIONS=\"maybe\" is not a boolean; accepted values: true, false, \
             1, 0, yes, no (any case)"
        );
        assert!(o.problems[1].starts_with("GATEWAY_SEED_CONFIG=\"on\""));
    }

    #[test]
    fn the_bootstrap_link_is_off_unless_its_variable_says_so_and_takes_a_token_file() {
        let (cfg, o) = overlay(&[]);
        assert!(!cfg.startup.bootstrap_link);
        assert!(cfg.auth.bootstrap_link.token_file.is_empty());
        assert!(o.applied.is_empty());
        let (cfg, o) = overlay(&[
            ("GATEWAY_BOOTSTRAP_LINK", "1"),
            ("GATEWAY_BOOTSTRAP_TOKEN_FILE", "/run/gw/token"),
        ]);
        assert!(cfg.startup.bootstrap_link);
        assert_eq!(cfg.auth.bootstrap_link.token_file, "/run/gw/token");
        assert_eq!(
            o.source_of("auth.bootstrap_link.token_file"),
            Some("GATEWAY_BOOTSTRAP_TOKEN_FILE")
        );
        let (cfg, o) = overlay(&[("GATEWAY_BOOTSTRAP_LINK", "enabled")]);
        assert!(!cfg.startup.bootstrap_link);
        assert!(
            o.problems[0].starts_with("GATEWAY_BOOTSTRAP_LINK=\"enabled\" is not a boolean"),
            "{:?}",
            o.problems
        );
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let (cfg, o) = overlay(&[
            ("GATEWAY_BIND", ""),
            ("GATEWAY_DATABASE_URL", ""),
            ("GATEWAY_RUN_MIGRATIONS", ""),
        ]);
        assert_eq!(cfg.server.bind, "127.0.0.1:8080");
        assert!(cfg.database.url.is_unset());
        assert!(o.applied.is_empty() && o.problems.is_empty());
    }

    #[test]
    fn unrelated_and_unknown_variables_are_ignored() {
        let (_, o) = overlay(&[("HOME", "/root"), ("GATEWAY_SOMETHING_ELSE", "x")]);
        assert!(o.applied.is_empty() && o.problems.is_empty());
    }

    #[test]
    fn every_overridable_key_knows_its_variable() {
        assert_eq!(variable_for("database.url"), Some("GATEWAY_DATABASE_URL"));
        assert_eq!(variable_for("server.bind"), Some("GATEWAY_BIND"));
        assert_eq!(variable_for("teams"), None);
    }
}
