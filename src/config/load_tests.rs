//! Tests for `config::load`: real files in a temp dir, the environment as a map.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use super::*;
use crate::config::schema::LogFormat;

const MINIMAL: &str = "
database:
  url: sqlite:./gateway.db
auth:
  bootstrap_admin:
    email: admin@local
    password: admin
";

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn write(yaml: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.yaml");
    std::fs::write(&path, yaml).unwrap();
    Fixture { _dir: dir, path }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn problems(yaml: &str, pairs: &[(&str, &str)]) -> Vec<String> {
    let f = write(yaml);
    match load(&f.path, &env(pairs)) {
        Err(ConfigError::Invalid { path, problems }) => {
            assert_eq!(path, f.path);
            problems
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_minimal_sqlite_config_loads_without_warnings() {
    let f = write(MINIMAL);
    let loaded = load(&f.path, &env(&[])).unwrap();
    assert_eq!(loaded.path, f.path);
    assert_eq!(
        loaded.db,
        DbUrl::Sqlite {
            path: "./gateway.db".into()
        }
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(loaded.config.startup.run_migrations);
}

#[test]
fn missing_file_is_not_found_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.yaml");
    let err = load(&path, &env(&[])).unwrap_err();
    assert!(
        matches!(&err, ConfigError::NotFound { path: p } if *p == path),
        "{err:?}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
    assert!(err.to_string().contains("does not fall back"));
}

#[test]
fn unreadable_file_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(dir.path(), &env(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::Unreadable { .. }), "{err:?}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

#[test]
fn an_empty_file_reports_the_missing_database_url_rather_than_a_parse_error() {
    let found = problems("# nothing yet\n", &[]);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("database.url is empty — set it in "),
        "{}",
        found[0]
    );
    assert!(
        found[1].starts_with("auth.bootstrap_admin.email is empty"),
        "{}",
        found[1]
    );
}

#[test]
fn unknown_top_level_key_suggests_the_nearest_valid_key() {
    let found = problems(&format!("{MINIMAL}servr:\n  bind: 1.2.3.4:5\n"), &[]);
    assert_eq!(found, ["unknown key servr (line 8) — did you mean server?"]);
}

#[test]
fn unknown_nested_key_names_the_full_path_and_suggests() {
    let found = problems("server:\n  bnid: 0.0.0.0:80\n", &[]);
    assert_eq!(
        found,
        ["unknown key server.bnid (line 2) — did you mean server.bind?"]
    );
}

#[test]
fn unknown_key_inside_a_list_names_the_index() {
    let yaml = "models:\n  - id: m\n    routes:\n      - { provider: p, model: x, wieght: 2 }\n";
    let found = problems(yaml, &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("unknown key models[0].routes[0].wieght (line 4)"),
        "{}",
        found[0]
    );
    assert!(
        found[0].ends_with("did you mean models[0].routes[0].weight?"),
        "{}",
        found[0]
    );
}

#[test]
fn unknown_key_without_a_near_match_lists_the_valid_keys() {
    let found = problems("database:\n  dsn: x\n", &[]);
    assert_eq!(
        found,
        ["unknown key database.dsn (line 2); valid keys here: url"]
    );
}

#[test]
fn startup_in_the_file_points_at_the_env_toggles() {
    let found = problems("startup:\n  seed_config: false\n", &[]);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("GATEWAY_SEED_CONFIG"), "{}", found[0]);
}

#[test]
fn unknown_enum_value_suggests_the_nearest_accepted_value() {
    let found = problems("providers:\n  - { id: p, kind: opnai_compat }\n", &[]);
    assert_eq!(
        found,
        [
            "providers[0].kind (line 2): unknown value \"opnai_compat\" — did you mean \
          \"openai_compat\"? (accepted: mock, openai_compat)"
        ]
    );
}

#[test]
fn type_errors_name_the_key_path_and_line() {
    let found = problems("server:\n  body_limit_bytes: lots\n", &[]);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("server.body_limit_bytes (line 2): invalid type: string \"lots\""),
        "{}",
        found[0]
    );
    let found = problems("teams:\n  - { name: x }\n", &[]);
    assert_eq!(found, ["teams[0] (line 2): missing field `id`"]);
}

#[test]
fn env_references_and_overlay_variables_come_from_the_given_map() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("openai.key");
    std::fs::write(&key_file, "sk-test\n").unwrap();
    let yaml = format!(
        "{MINIMAL}providers:\n  - id: up\n    kind: openai_compat\n    base_url: https://x\n    \
         api_key: file://{}\n",
        key_file.display()
    )
    .replace("password: admin", "password: env://ADMIN_PW");
    let f = write(&yaml);
    let loaded = load(
        &f.path,
        &env(&[
            ("ADMIN_PW", "pw"),
            ("GATEWAY_LOG_FORMAT", "json"),
            ("GATEWAY_SEED_CONFIG", "no"),
        ]),
    )
    .unwrap();
    let cfg = &loaded.config;
    assert_eq!(cfg.auth.bootstrap_admin.password.expose(), Some("pw"));
    assert_eq!(cfg.providers[0].api_key.expose(), Some("sk-test"));
    assert_eq!(cfg.server.log_format, LogFormat::Json);
    assert!(!cfg.startup.seed_config);
}

#[test]
fn overlay_resolution_and_validation_problems_are_reported_together() {
    let yaml = "
auth:
  bootstrap_admin:
    email: admin@local
    password: env://ADMIN_PW
server:
  bind: nowhere
teams:
  - { id: a, name: A }
  - { id: a, name: A again }
";
    let found = problems(yaml, &[("GATEWAY_SEED_CONFIG", "maybe")]);
    assert_eq!(found.len(), 5, "{found:#?}");
    assert!(found[0].starts_with("GATEWAY_SEED_CONFIG=\"maybe\""));
    assert!(found[1].contains("environment variable ADMIN_PW is not set"));
    assert!(found[2].starts_with("database.url is empty"));
    assert!(found[3].starts_with("server.bind \"nowhere\""));
    assert_eq!(found[4], "teams[1].id \"a\" is a duplicate of teams[0].id");
}

#[test]
fn the_overlay_database_url_replaces_a_missing_one() {
    let f = write("auth: { bootstrap_admin: { enabled: false } }\n");
    let loaded = load(
        &f.path,
        &env(&[("GATEWAY_DATABASE_URL", "postgres://gw:pw@db/gw")]),
    )
    .unwrap();
    assert!(loaded.db.is_postgres());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn inline_secrets_in_a_postgres_backed_file_are_warned_about() {
    let yaml = MINIMAL.replace("sqlite:./gateway.db", "postgres://gw:pw@db/gw")
        + "providers:\n  - { id: up, kind: openai_compat, base_url: 'https://x', api_key: sk-1 }\n";
    let f = write(&yaml);
    let loaded = load(&f.path, &env(&[])).unwrap();
    assert_eq!(
        loaded.warnings,
        [
            "database.url holds an inline secret; use env://NAME or file:///path in a \
             PostgreSQL-backed deployment",
            "auth.bootstrap_admin.password holds an inline secret; use env://NAME or \
             file:///path in a PostgreSQL-backed deployment",
            "providers[0].api_key holds an inline secret; use env://NAME or file:///path in a \
             PostgreSQL-backed deployment",
        ]
    );
}

#[test]
fn postgres_deployments_with_references_or_passwordless_urls_get_no_warnings() {
    let yaml = MINIMAL
        .replace("sqlite:./gateway.db", "postgres://gw@db/gw")
        .replace("password: admin", "password: env://ADMIN_PW");
    let f = write(&yaml);
    let loaded = load(&f.path, &env(&[("ADMIN_PW", "x")])).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let loaded = load(
        &write(&MINIMAL.replace("sqlite:./gateway.db", "postgres://gw@db/gw")).path,
        &env(&[("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", "from-env")]),
    )
    .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn malformed_yaml_and_a_wrong_top_level_shape_name_the_line() {
    let found = problems("server: [1\n", &[]);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("(line "), "{}", found[0]);
    let found = problems("- a\n", &[]);
    assert_eq!(
        found,
        ["(top level) (line 1): invalid type: sequence, expected struct Config"]
    );
}
