//! `gateway seed-config`: idempotent reconcile with created/updated/unchanged counts, invited
//! users, untouched passwords, and rows the config lacks reported but kept.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Backend, Gateway, TestDb};

const CATALOG: &str = r#"
auth:
  bootstrap_admin:
    enabled: false
teams:
  - { id: platform, name: Platform }
  - { id: research, name: Research }
users:
  - email: Alice@Example.com
    name: Alice
    teams: [{ team: platform, role: owner }, { team: research, role: member }]
  - email: bob@example.com
    name: Bob
    platform_admin: true
service_accounts:
  - { id: platform-ci, team: platform, name: CI }
providers:
  - { id: mock, kind: mock }
  - id: upstream
    kind: openai_compat
    base_url: http://127.0.0.1:9/v1
    api_key: env://UPSTREAM_KEY
models:
  - id: small
    description: Small
    pricing: { input: "0.15", output: "0.60" }
    routes:
      - { provider: upstream, model: gpt-4o-mini, priority: 0 }
      - { provider: mock, model: mock-chat, priority: 1 }
  - { id: default, alias_of: small }
budgets:
  - { id: platform-monthly, team: platform, cadence: monthly, timezone: Europe/Berlin, amount_usd: "1000" }
  - { id: alice-daily, user: alice@example.com, cadence: daily, amount_usd: "50", hard_limit: false }
"#;

fn line<'a>(out: &'a str, kind: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{kind}:")))
        .unwrap_or_else(|| panic!("no {kind} line in:\n{out}"))
}

async fn setup(backend: Backend, yaml: &str) -> (TestDb, Gateway) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, yaml).env("UPSTREAM_KEY", "sk-test-upstream-key");
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    (db, gw)
}

async fn first_run_creates_everything_and_second_run_changes_nothing(backend: Backend) {
    let (db, gw) = setup(backend, CATALOG).await;
    let first = gw.run(&["seed-config"]).await;
    first.assert_code(0);
    let out = &first.stdout;
    assert_eq!(
        line(out, "teams"),
        "teams: 2 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "users"),
        "users: 2 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "memberships"),
        "memberships: 2 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "service_accounts"),
        "service_accounts: 1 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "providers"),
        "providers: 2 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "models"),
        "models: 2 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "routes"),
        "routes: 2 created, 0 updated, 0 unchanged"
    );
    assert_eq!(
        line(out, "budgets"),
        "budgets: 2 created, 0 updated, 0 unchanged"
    );

    let second = gw.run(&["seed-config", "--json"]).await;
    second.assert_code(0);
    let report: serde_json::Value = serde_json::from_str(&second.stdout).expect("json report");
    for kind in report["kinds"].as_array().expect("kinds") {
        assert_eq!(kind[1]["created"], 0, "{kind}");
        assert_eq!(kind[1]["updated"], 0, "{kind}");
    }

    // Stored values: lower-cased invited users, micro-dollar prices, the key as a reference.
    assert_eq!(
        db.rows("SELECT email, status, password_hash FROM users ORDER BY email")
            .await,
        vec![
            vec!["alice@example.com", "invited", "NULL"],
            vec!["bob@example.com", "invited", "NULL"],
        ]
    );
    assert_eq!(
        db.scalar("SELECT CAST(price_output_per_mtok AS TEXT) FROM models WHERE id = 'small'")
            .await,
        "600000"
    );
    assert_eq!(
        db.scalar("SELECT CAST(amount_micros AS TEXT) FROM budgets WHERE id = 'platform-monthly'")
            .await,
        "1000000000"
    );
    assert_eq!(
        db.scalar("SELECT api_key_ref FROM providers WHERE id = 'upstream'")
            .await,
        "env://UPSTREAM_KEY"
    );
    let all = db.rows("SELECT settings FROM providers").await;
    assert!(
        !format!("{all:?}").contains("sk-test-upstream-key"),
        "key stored: {all:?}"
    );
}

async fn changes_in_yaml_are_updated_and_missing_rows_are_reported_not_deleted(backend: Backend) {
    let (db, gw) = setup(backend, CATALOG).await;
    gw.run(&["seed-config"]).await.assert_code(0);

    let edited = CATALOG
        .replace(
            "{ id: research, name: Research }",
            "{ id: research, name: R&D }",
        )
        .replace("  - { id: platform-ci, team: platform, name: CI }\n", "")
        .replace(
            "      - { provider: mock, model: mock-chat, priority: 1 }\n",
            "",
        );
    let gw2 = Gateway::new(&db, &edited).env("UPSTREAM_KEY", "k");
    let out = gw2.run(&["seed-config"]).await;
    out.assert_code(0);
    assert_eq!(
        line(&out.stdout, "teams"),
        "teams: 0 created, 1 updated, 1 unchanged"
    );
    assert_eq!(
        line(&out.stdout, "routes"),
        "routes: 0 created, 1 updated, 1 unchanged"
    );
    assert!(
        out.stdout
            .contains("in database but not in config (left alone): service_accounts: platform-ci"),
        "{}",
        out.stdout
    );
    assert_eq!(
        db.scalar("SELECT name FROM teams WHERE id = 'research'")
            .await,
        "R&D"
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM service_accounts")
            .await,
        "1"
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM model_routes")
            .await,
        "1"
    );
}

async fn seeding_never_touches_an_active_users_password_or_strips_admin_rights(backend: Backend) {
    let yaml = CATALOG.replace(
        "auth:\n  bootstrap_admin:\n    enabled: false\n",
        "auth:\n  bootstrap_admin:\n    email: bob@example.com\n    require_password_change: true\n",
    );
    let (db, gw) = setup(backend, &yaml).await;
    let gw = gw.env(
        "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD",
        "Correct-Horse-Battery-42",
    );
    gw.run(&["bootstrap-admin"]).await.assert_code(0);
    let hash = db
        .scalar("SELECT password_hash FROM users WHERE email = 'bob@example.com'")
        .await;

    let demoted = yaml.replace("    platform_admin: true\n", "");
    let gw2 = Gateway::new(&db, &demoted).env("UPSTREAM_KEY", "k");
    let out = gw2.run(&["seed-config"]).await;
    out.assert_code(0);
    assert!(
        out.stdout.contains("never removes admin rights"),
        "{}",
        out.stdout
    );
    assert_eq!(
        db.rows(
            "SELECT status, CAST(platform_admin AS INTEGER), password_hash FROM users \
             WHERE email = 'bob@example.com'"
        )
        .await,
        vec![vec!["active".to_string(), "1".to_string(), hash]]
    );
}

async fn seeding_refuses_an_unmigrated_database(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, CATALOG).env("UPSTREAM_KEY", "k");
    let out = gw.run(&["seed-config"]).await;
    out.assert_code(1);
    assert!(
        out.stderr.contains("gateway migrate --apply"),
        "{}",
        out.stderr
    );
}

both_backends!(
    first_run_creates_everything_and_second_run_changes_nothing,
    changes_in_yaml_are_updated_and_missing_rows_are_reported_not_deleted,
    seeding_never_touches_an_active_users_password_or_strips_admin_rights,
    seeding_refuses_an_unmigrated_database,
);
