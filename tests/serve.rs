//! `gateway serve`: startup toggles, the listening line, `/healthz` and `/readyz`, and
//! graceful shutdown.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Backend, Gateway, TestDb, eventually};

const CONFIG: &str = r#"
auth:
  bootstrap_admin:
    email: admin@example.com
    require_password_change: true
teams:
  - { id: platform, name: Platform }
"#;

fn gateway(db: &TestDb) -> Gateway {
    Gateway::new(db, CONFIG).env(
        "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD",
        "Correct-Horse-Battery-42",
    )
}

async fn get(url: &str) -> (u16, serde_json::Value) {
    let resp = common::http().get(url).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

async fn count(db: &TestDb, table: &str) -> String {
    db.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
        .await
}

async fn with_all_toggles_on_serve_migrates_bootstraps_seeds_and_answers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = gateway(&db).serve().await;
    assert_eq!(get(&server.url("/healthz")).await.0, 200);
    let (status, body) = get(&server.url("/readyz")).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(count(&db, "refinery_schema_history").await, "0");
    assert_eq!(count(&db, "users").await, "1");
    assert_eq!(count(&db, "teams").await, "1");
    assert_eq!(server.terminate().await, 0);
}

async fn with_migrations_off_serve_refuses_a_pending_schema_and_names_the_command(
    backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let out = gateway(&db)
        .env("GATEWAY_RUN_MIGRATIONS", "false")
        .run(&["serve"])
        .await;
    out.assert_code(1);
    assert!(
        out.stderr.contains("gateway migrate --apply"),
        "{}",
        out.stderr
    );
}

async fn each_toggle_switches_its_action_off(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = gateway(&db)
        .env("GATEWAY_BOOTSTRAP_ADMIN", "no")
        .env("GATEWAY_SEED_CONFIG", "0")
        .serve()
        .await;
    assert_eq!(
        count(&db, "users").await,
        "0",
        "bootstrap ran although switched off"
    );
    assert_eq!(
        count(&db, "teams").await,
        "0",
        "seeding ran although switched off"
    );
    assert_eq!(server.terminate().await, 0);

    let server = gateway(&db)
        .env("GATEWAY_RUN_MIGRATIONS", "FALSE")
        .env("GATEWAY_SEED_CONFIG", "Off-is-not-a-boolean")
        .run(&["serve"])
        .await;
    server.assert_code(2);
    assert!(
        server.stderr.contains("GATEWAY_SEED_CONFIG"),
        "{}",
        server.stderr
    );

    let server = gateway(&db)
        .env("GATEWAY_RUN_MIGRATIONS", "false")
        .env("GATEWAY_SEED_CONFIG", "yes")
        .env("GATEWAY_BOOTSTRAP_ADMIN", "false")
        .serve()
        .await;
    assert_eq!(count(&db, "users").await, "0");
    assert_eq!(count(&db, "teams").await, "1");
    assert_eq!(server.terminate().await, 0);
}

async fn readyz_goes_unavailable_when_a_migration_is_pending(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = gateway(&db).serve().await;
    assert_eq!(get(&server.url("/readyz")).await.0, 200);
    db.exec("DELETE FROM refinery_schema_history").await;
    let (status, body) = get(&server.url("/readyz")).await;
    assert_eq!(status, 503);
    assert!(
        body["reason"].as_str().unwrap_or("").contains("pending"),
        "{body}"
    );
    assert_eq!(
        get(&server.url("/healthz")).await.0,
        200,
        "liveness never needs the database"
    );
    server.terminate().await;
}

async fn sigterm_stops_serving_and_exits_zero(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = gateway(&db).serve().await;
    let url = server.url("/healthz");
    assert_eq!(get(&url).await.0, 200);
    assert_eq!(server.terminate().await, 0);
    assert!(
        common::http().get(&url).send().await.is_err(),
        "still accepting after shutdown"
    );
}

both_backends!(
    with_all_toggles_on_serve_migrates_bootstraps_seeds_and_answers,
    with_migrations_off_serve_refuses_a_pending_schema_and_names_the_command,
    each_toggle_switches_its_action_off,
    readyz_goes_unavailable_when_a_migration_is_pending,
    sigterm_stops_serving_and_exits_zero,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_goes_unavailable_while_postgres_refuses_connections_and_recovers() {
    let db = TestDb::new(Backend::Postgres).await;
    let server = gateway(&db).serve().await;
    assert_eq!(get(&server.url("/readyz")).await.0, 200);
    let name = db.url.rsplit('/').next().expect("db name").to_string();
    let admin = TestDb::admin_exec;
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    let url = server.url("/readyz");
    let body = eventually(Duration::from_secs(10), "readyz 503", || async {
        let (status, body) = get(&url).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(get(&server.url("/healthz")).await.0, 200);

    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    eventually(Duration::from_secs(10), "readyz 200 again", || async {
        (get(&url).await.0 == 200).then_some(())
    })
    .await;
    assert_eq!(server.terminate().await, 0);
}
