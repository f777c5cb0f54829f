//! The config as the operator meets it through the binary: missing files, every problem at
//! once, unknown keys with suggestions, env overlay errors, `config check` redaction, `--help`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::process::{command, run_with_stdin};

async fn gateway(
    dir: &tempfile::TempDir,
    yaml: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> common::Output {
    let path = dir.path().join("gateway.yaml");
    std::fs::write(&path, yaml).expect("write");
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run_with_stdin(command(&path, &env, args), None).await
}

#[tokio::test]
async fn a_missing_config_file_is_a_usage_error_naming_the_path() {
    let out = run_with_stdin(
        command(
            std::path::Path::new("/nonexistent/gw.yaml"),
            &[],
            &["config", "check"],
        ),
        None,
    )
    .await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("/nonexistent/gw.yaml"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn every_problem_is_reported_in_one_error_with_its_key_and_env_var() {
    let dir = tempfile::tempdir().expect("tmp");
    let yaml = r#"
server: { bind: "not-an-address" }
database: { url: "" }
teams: [{ id: a, name: A }, { id: a, name: A again }]
service_accounts: [{ id: ci, team: nowhere, name: CI }]
models:
  - { id: loop1, alias_of: loop2 }
  - { id: loop2, alias_of: loop1 }
"#;
    let out = gateway(&dir, yaml, &[], &["config", "check"]).await;
    out.assert_code(2);
    for needle in [
        "server.bind",
        "GATEWAY_BIND",
        "database.url is empty",
        "GATEWAY_DATABASE_URL",
        "teams[1].id",
        "service_accounts[0].team",
        "loop1",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn an_unknown_key_is_reported_with_the_nearest_valid_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = gateway(
        &dir,
        "server:\n  bnid: 127.0.0.1:1\n",
        &[],
        &["config", "check"],
    )
    .await;
    out.assert_code(2);
    assert!(out.stderr.contains("server.bnid"), "{}", out.stderr);
    assert!(out.stderr.contains("server.bind"), "{}", out.stderr);
}

#[tokio::test]
async fn an_unresolvable_secret_reference_names_the_key_and_the_variable() {
    let dir = tempfile::tempdir().expect("tmp");
    let yaml = "database: { url: sqlite:./x.db }\nauth:\n  bootstrap_admin:\n    email: a@b.c\n    password: env://NO_SUCH_VAR_FOR_GW\n";
    let out = gateway(&dir, yaml, &[], &["config", "check"]).await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("auth.bootstrap_admin.password"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("NO_SUCH_VAR_FOR_GW"), "{}", out.stderr);
}

#[tokio::test]
async fn a_bad_boolean_toggle_names_the_variable() {
    let dir = tempfile::tempdir().expect("tmp");
    let yaml = "database: { url: sqlite:./x.db }\n";
    let out = gateway(
        &dir,
        yaml,
        &[("GATEWAY_RUN_MIGRATIONS", "maybe")],
        &["config", "check"],
    )
    .await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("GATEWAY_RUN_MIGRATIONS"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn config_check_prints_the_effective_config_with_every_secret_redacted() {
    let dir = tempfile::tempdir().expect("tmp");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "sk-file-secret-value\n").expect("write");
    let yaml = format!(
        r#"
database: {{ url: "postgres://gw:db-password-value@127.0.0.1:5432/gw" }}
auth:
  bootstrap_admin:
    email: admin@example.com
    password: inline-admin-password-value
providers:
  - id: up
    kind: openai_compat
    base_url: https://example.com/v1
    api_key: file://{}
models:
  - id: m
    routes: [{{ provider: up, model: x }}]
"#,
        key_file.display()
    );
    let out = gateway(
        &dir,
        &yaml,
        &[("GATEWAY_BIND", "127.0.0.1:9999")],
        &["config", "check"],
    )
    .await;
    out.assert_code(0);
    for secret in [
        "db-password-value",
        "inline-admin-password-value",
        "sk-file-secret-value",
    ] {
        assert!(
            !out.all().contains(secret),
            "{secret} leaked:\n{}",
            out.all()
        );
    }
    assert!(
        out.stdout.contains("127.0.0.1:9999"),
        "env overlay not applied:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("redacted"), "{}", out.stdout);
    // Inline secrets in a PostgreSQL-backed config are warned about, by key.
    assert!(
        out.stderr.contains("auth.bootstrap_admin.password"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed-config", "--help"],
        vec!["bootstrap-admin", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let out = run_with_stdin(
            command(std::path::Path::new("unused.yaml"), &[], &args),
            None,
        )
        .await;
        out.assert_code(0);
        assert!(out.stdout.contains("Usage"), "{args:?}: {}", out.stdout);
    }
}

#[tokio::test]
async fn the_shipped_configs_are_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (file, env) in [
        ("config/gateway.yaml", vec![]),
        (
            "config/gateway.prod.yaml",
            vec![(
                "GATEWAY_DATABASE_URL".to_string(),
                "postgres://gw@127.0.0.1/gw".to_string(),
            )],
        ),
        (
            "config/gateway.example.yaml",
            vec![
                ("ADMIN_PASSWORD".to_string(), "x".to_string()),
                ("OPENAI_API_KEY".to_string(), "y".to_string()),
            ],
        ),
    ] {
        let path = std::path::PathBuf::from(root).join(file);
        let out = run_with_stdin(command(&path, &env, &["config", "check"]), None).await;
        out.assert_code(0);
    }
    // The production shape refuses to run without a database URL and says how to give one.
    let path = std::path::PathBuf::from(root).join("config/gateway.prod.yaml");
    let out = run_with_stdin(command(&path, &[], &["config", "check"]), None).await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("GATEWAY_DATABASE_URL"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("config/gateway.prod.yaml"),
        "{}",
        out.stderr
    );
}
