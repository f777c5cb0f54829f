//! Semantic checks on a loaded [`Config`]: every problem at once, each naming its key path
//! (and the `GATEWAY_*` variable that overrides it, where one exists).
//!
//! Parsing (YAML shape, unknown keys) is `config::load`'s job and secret resolution is
//! `config::secret`'s; a secret that failed to resolve is skipped here, since that failure was
//! already reported. Checks are split by area: `identity` (teams, users, service accounts),
//! `catalog` (providers, models, pricing) and `budgets`.

mod budgets;
mod catalog;
mod identity;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use super::dburl::DbUrl;
use super::env::{Overlay, variable_for};
use super::schema::Config;
use super::suggest::nearest;

/// Upper bound on `server.workers` (serving lanes).
const MAX_WORKERS: usize = 1024;

/// Checks `cfg` (loaded from `path`, with `overlay` applied) and returns every problem found.
pub fn validate(cfg: &Config, path: &Path, overlay: &Overlay) -> Vec<String> {
    let mut v = Validator {
        path,
        overlay,
        problems: Vec::new(),
    };
    v.database(cfg);
    v.server(cfg);
    v.bootstrap_admin(cfg);
    let ids = identity::check(&mut v, cfg);
    catalog::check(&mut v, cfg);
    budgets::check(&mut v, cfg, &ids);
    let logs = &cfg.request_logs;
    if let Err(e) = crate::recording::capture::CapturePolicy::new(
        logs.capture,
        logs.max_payload_bytes,
        &logs.redact_paths,
    ) {
        let hint = v.hint("request_logs", "fix");
        v.push(format!("request_logs: {e}{hint}"));
    }
    v.problems
}

/// Collects problems and knows where each key's value came from.
pub(super) struct Validator<'a> {
    path: &'a Path,
    overlay: &'a Overlay,
    problems: Vec<String>,
}

impl Validator<'_> {
    fn push(&mut self, problem: String) {
        self.problems.push(problem);
    }

    /// Where to fix `key`: the overriding variable when it supplied the value, otherwise the
    /// file and (if one exists) the variable that could override it. `verb` is "set" or "fix".
    fn hint(&self, key: &str, verb: &str) -> String {
        let file = self.path.display();
        match (self.overlay.source_of(key), variable_for(key)) {
            (Some(var), _) => format!(" (value from {var}) — {verb} {var}"),
            (None, Some(var)) => format!(" — {verb} it in {file} or via {var}"),
            (None, None) => format!(" — {verb} it in {file}"),
        }
    }

    fn database(&mut self, cfg: &Config) {
        let url = &cfg.database.url;
        if url.is_unset() {
            let hint = self.hint("database.url", "set");
            self.push(format!("database.url is empty{hint}"));
            return;
        }
        // An unresolved reference was already reported by secret resolution.
        let Some(value) = url.expose() else { return };
        if let Err(e) = DbUrl::parse(value) {
            let hint = self.hint("database.url", "fix");
            self.push(format!("database.url: {e}{hint}"));
        }
    }

    fn server(&mut self, cfg: &Config) {
        let server = &cfg.server;
        if server.bind.parse::<SocketAddr>().is_err() {
            let hint = self.hint("server.bind", "fix");
            self.push(format!(
                "server.bind {:?} is not a socket address like 127.0.0.1:8080 or 0.0.0.0:8080{hint}",
                server.bind
            ));
        }
        if !is_http_url(&server.public_url) {
            let hint = self.hint("server.public_url", "fix");
            self.push(format!(
                "server.public_url {:?} must start with http:// or https://{hint}",
                server.public_url
            ));
        }
        if server.body_limit_bytes == 0 {
            self.push("server.body_limit_bytes must be greater than 0".into());
        }
        if server.workers > MAX_WORKERS {
            self.push(format!(
                "server.workers is {}; expected 0 (one per CPU) to {MAX_WORKERS}",
                server.workers
            ));
        }
    }

    fn bootstrap_admin(&mut self, cfg: &Config) {
        let admin = &cfg.auth.bootstrap_admin;
        if !admin.enabled {
            return;
        }
        let key = "auth.bootstrap_admin.email";
        if admin.email.is_empty() {
            let hint = self.hint(key, "set");
            self.push(format!(
                "{key} is empty but auth.bootstrap_admin.enabled is true{hint}"
            ));
        } else if !looks_like_email(&admin.email) {
            let hint = self.hint(key, "fix");
            self.push(format!(
                "{key} {:?} is not an email address{hint}",
                admin.email
            ));
        }
    }
}

/// `http://x` or `https://x` with something after the scheme.
pub(super) fn is_http_url(s: &str) -> bool {
    ["http://", "https://"]
        .iter()
        .any(|scheme| s.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty()))
}

/// One `@` with something on both sides and no whitespace. `admin@local` is fine: sign-in
/// names on a private deployment need not have a public domain.
pub(super) fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// The ids of one list (`teams`, `users`, …): first index of each id, for lookups and
/// suggestions. Built by [`Ids::collect`], which reports empty and duplicate ids.
pub(super) struct Ids<'a> {
    list: &'static str,
    fold_case: bool,
    first: HashMap<String, usize>,
    names: Vec<&'a str>,
}

impl<'a> Ids<'a> {
    /// Checks that every id of `list` (in its `field`) is non-empty, trimmed and unique
    /// (case-insensitively when `fold_case`).
    pub(super) fn collect(
        v: &mut Validator<'_>,
        list: &'static str,
        field: &str,
        ids: impl IntoIterator<Item = &'a str>,
        fold_case: bool,
    ) -> Ids<'a> {
        let mut out = Ids {
            list,
            fold_case,
            first: HashMap::new(),
            names: Vec::new(),
        };
        for (i, id) in ids.into_iter().enumerate() {
            let key = format!("{list}[{i}].{field}");
            if id.is_empty() {
                v.push(format!("{key} is empty"));
                continue;
            }
            if id.trim() != id {
                v.push(format!("{key} {id:?} has leading or trailing whitespace"));
            }
            match out.first.get(&out.normalize(id)) {
                Some(&j) => v.push(format!(
                    "{key} {id:?} is a duplicate of {list}[{j}].{field}"
                )),
                None => {
                    out.first.insert(out.normalize(id), i);
                    out.names.push(id);
                }
            }
        }
        out
    }

    fn normalize(&self, id: &str) -> String {
        if self.fold_case {
            id.to_lowercase()
        } else {
            id.to_string()
        }
    }

    /// The index of the first entry with this id.
    pub(super) fn get(&self, id: &str) -> Option<usize> {
        self.first.get(&self.normalize(id)).copied()
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Reports `key` = `value` unless it names an entry of this list.
    pub(super) fn require(&self, v: &mut Validator<'_>, key: &str, value: &str) {
        if self.contains(value) {
            return;
        }
        let list = self.list;
        let detail = match nearest(value, self.names.iter().copied()) {
            Some(s) => format!(" — did you mean {s:?}?"),
            None if self.names.is_empty() => format!(" ({list} is empty)"),
            None => String::new(),
        };
        v.push(format!(
            "{key} {value:?} does not name an entry in {list}{detail}"
        ));
    }
}

#[cfg(test)]
mod testutil;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::testutil::{base, problems, problems_with_env};

    #[test]
    fn the_base_test_config_is_valid() {
        assert_eq!(problems(&base()), Vec::<String>::new());
    }

    #[test]
    fn empty_database_url_names_the_file_and_the_variable() {
        let mut cfg = base();
        cfg.database.url = Default::default();
        assert_eq!(
            problems(&cfg),
            [
                "database.url is empty — set it in config/gateway.prod.yaml or via \
              GATEWAY_DATABASE_URL"
            ]
        );
    }

    #[test]
    fn unparsable_database_url_is_reported_without_echoing_it() {
        let mut cfg = base();
        cfg.database.url = crate::config::secret::SecretField::literal("mysql://u:pw@h/db");
        let found = problems(&cfg);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("database.url: unsupported database URL scheme \"mysql\""));
        assert!(
            found[0].ends_with("or via GATEWAY_DATABASE_URL"),
            "{}",
            found[0]
        );
        assert!(!found[0].contains("pw@"), "{}", found[0]);
    }

    #[test]
    fn a_value_from_the_overlay_names_the_variable_as_its_source() {
        let (found, _) = problems_with_env(base(), &[("GATEWAY_DATABASE_URL", "mysql://h/db")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].ends_with("(value from GATEWAY_DATABASE_URL) — fix GATEWAY_DATABASE_URL"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn an_unresolved_secret_reference_is_not_reported_twice() {
        let mut cfg = base();
        cfg.database.url = crate::config::secret::SecretField::from_reference("env://NOPE");
        assert_eq!(problems(&cfg), Vec::<String>::new());
    }

    #[test]
    fn bind_must_be_a_socket_address() {
        let mut cfg = base();
        cfg.server.bind = "localhost".into();
        assert_eq!(
            problems(&cfg),
            [
                "server.bind \"localhost\" is not a socket address like 127.0.0.1:8080 or \
              0.0.0.0:8080 — fix it in config/gateway.prod.yaml or via GATEWAY_BIND"
            ]
        );
    }

    #[test]
    fn public_url_must_be_http_or_https() {
        for bad in ["gw.example.com", "ftp://gw", "https://", ""] {
            let mut cfg = base();
            cfg.server.public_url = bad.into();
            let found = problems(&cfg);
            assert_eq!(found.len(), 1, "{bad}: {found:?}");
            assert!(found[0].starts_with("server.public_url"), "{}", found[0]);
            assert!(found[0].contains("GATEWAY_PUBLIC_URL"), "{}", found[0]);
        }
    }

    #[test]
    fn body_limit_must_be_positive() {
        let mut cfg = base();
        cfg.server.body_limit_bytes = 0;
        assert_eq!(
            problems(&cfg),
            ["server.body_limit_bytes must be greater than 0"]
        );
    }

    #[test]
    fn workers_are_bounded() {
        let mut cfg = base();
        for fine in [0, 1, 64, super::MAX_WORKERS] {
            cfg.server.workers = fine;
            assert!(problems(&cfg).is_empty(), "{fine}");
        }
        cfg.server.workers = 5000;
        assert_eq!(
            problems(&cfg),
            ["server.workers is 5000; expected 0 (one per CPU) to 1024"]
        );
    }

    #[test]
    fn enabled_bootstrap_admin_needs_an_email() {
        let mut cfg = base();
        cfg.auth.bootstrap_admin.email = String::new();
        assert_eq!(
            problems(&cfg),
            [
                "auth.bootstrap_admin.email is empty but auth.bootstrap_admin.enabled is true — \
              set it in config/gateway.prod.yaml or via GATEWAY_BOOTSTRAP_ADMIN_EMAIL"
            ]
        );
        cfg.auth.bootstrap_admin.email = "not an email".into();
        let found = problems(&cfg);
        assert!(
            found[0].contains("\"not an email\" is not an email address"),
            "{found:?}"
        );
        cfg.auth.bootstrap_admin.enabled = false;
        assert_eq!(problems(&cfg), Vec::<String>::new());
    }

    #[test]
    fn email_shape_accepts_local_domains_and_rejects_the_rest() {
        use super::looks_like_email;
        assert!(looks_like_email("admin@local"));
        assert!(looks_like_email("a.b+c@example.com"));
        for bad in ["", "admin", "@local", "admin@", "a@b@c", "a b@c", "a@b\n"] {
            assert!(!looks_like_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn five_problems_are_reported_together() {
        let mut cfg = base();
        cfg.database.url = Default::default();
        cfg.server.bind = "nope".into();
        cfg.server.body_limit_bytes = 0;
        cfg.teams.push(cfg.teams[0].clone());
        cfg.budgets[0].amount_usd = "0".into();
        let found = problems(&cfg);
        assert_eq!(found.len(), 5, "{found:#?}");
    }
}
