//! Migrations: lockstep trees, status/check/apply, refusal of unknown migrations, and
//! concurrent `migrate --apply` from many processes.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Backend, Gateway, TestDb};

const CONFIG: &str = "auth:\n  bootstrap_admin:\n    enabled: false\n";

fn names(dir: &str) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
    v.sort();
    v
}

#[test]
fn sqlite_and_postgres_trees_hold_the_same_versions_and_names() {
    let sqlite = names("sqlite");
    let postgres = names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres drifted"
    );
    for n in &sqlite {
        assert!(
            n.starts_with('V') && n.contains("__") && n.ends_with(".sql"),
            "{n} is not V{{n}}__{{name}}.sql"
        );
    }
}

async fn status_check_apply_report_the_schema_state(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, CONFIG);

    let status = gw.run(&["migrate", "--status"]).await;
    status.assert_code(0);
    assert!(
        status.stdout.contains("pending  V1__initial"),
        "{}",
        status.stdout
    );

    let check = gw.run(&["migrate", "--check"]).await;
    check.assert_code(1);
    let total = names("sqlite").len();
    assert!(
        check.stderr.contains(&format!("{total} pending")),
        "{}",
        check.stderr
    );

    let apply = gw.run(&["migrate", "--apply"]).await;
    apply.assert_code(0);
    assert!(
        apply.stdout.contains("applied V1__initial"),
        "{}",
        apply.stdout
    );

    gw.run(&["migrate", "--check"]).await.assert_code(0);
    let status = gw.run(&["migrate", "--status"]).await;
    assert!(
        status.stdout.contains("applied  V1__initial"),
        "{}",
        status.stdout
    );
    let again = gw.run(&["migrate", "--apply"]).await;
    again.assert_code(0);
    assert!(
        again.stdout.contains("schema is up to date"),
        "{}",
        again.stdout
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM refinery_schema_history")
            .await,
        total.to_string()
    );
}

async fn migrate_requires_exactly_one_mode(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, CONFIG);
    gw.run(&["migrate"]).await.assert_code(2);
    gw.run(&["migrate", "--status", "--apply"])
        .await
        .assert_code(2);
}

async fn a_database_migrated_by_a_newer_binary_is_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, CONFIG);
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    db.exec(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
         VALUES (999, 'from_the_future', '2030-01-01T00:00:00Z', '1')",
    )
    .await;

    let apply = gw.run(&["migrate", "--apply"]).await;
    apply.assert_code(1);
    assert!(
        apply.stderr.contains("V999__from_the_future"),
        "{}",
        apply.stderr
    );
    assert!(apply.stderr.contains("newer version"), "{}", apply.stderr);

    let check = gw.run(&["migrate", "--check"]).await;
    check.assert_code(1);
    assert!(
        check.stdout.contains("unknown  V999__from_the_future"),
        "{}",
        check.stdout
    );

    let serve = gw
        .env("GATEWAY_RUN_MIGRATIONS", "false")
        .run(&["serve"])
        .await;
    serve.assert_code(1);
    assert!(
        serve.stderr.contains("V999__from_the_future"),
        "{}",
        serve.stderr
    );
}

/// V8: the indexes on mostly-NULL columns of the request log and ledger skip NULL rows, and
/// lookups by those columns still use them (SQLite's plans; PostgreSQL prefers scans on tiny
/// tables, so there the definitions are checked).
async fn indexes_on_mostly_null_columns_skip_null_rows_and_still_serve_lookups(backend: Backend) {
    let db = TestDb::new(backend).await;
    let _store = db.migrated_store().await;
    let names = "'request_logs_client_request_id', 'usage_ledger_client_request_id', \
                 'usage_ledger_user_at', 'usage_ledger_sa_at'";
    let defs = db
        .rows(&match backend {
            Backend::Sqlite => {
                format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({names})"
                )
            }
            Backend::Postgres => {
                format!("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ({names})")
            }
        })
        .await;
    assert_eq!(defs.len(), 4, "{defs:?}");
    for def in &defs {
        assert!(def[1].contains("IS NOT NULL"), "not partial: {def:?}");
    }
    if backend == Backend::Sqlite {
        let lookups = [
            (
                "SELECT * FROM request_logs WHERE (request_id = 'r' OR client_request_id = 'r')",
                "request_logs_client_request_id",
            ),
            (
                "SELECT * FROM usage_ledger WHERE client_request_id = 'r'",
                "usage_ledger_client_request_id",
            ),
            (
                "SELECT * FROM usage_ledger WHERE user_id = 'u' AND at >= '2026-01-01'",
                "usage_ledger_user_at",
            ),
            (
                "SELECT * FROM usage_ledger WHERE service_account_id = 's' AND at >= '2026-01-01'",
                "usage_ledger_sa_at",
            ),
        ];
        for (query, index) in lookups {
            let plan = db.rows(&format!("EXPLAIN QUERY PLAN {query}")).await;
            assert!(
                plan.iter()
                    .any(|row| row[3].contains(&format!("INDEX {index} "))),
                "{query}: {plan:?}"
            );
        }
    }
}

both_backends!(
    indexes_on_mostly_null_columns_skip_null_rows_and_still_serve_lookups,
    foreign_keys_are_enforced_on_both_engines,
    status_check_apply_report_the_schema_state,
    migrate_requires_exactly_one_mode,
    a_database_migrated_by_a_newer_binary_is_refused,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_migrating_one_empty_postgres_database_all_succeed_and_apply_once() {
    let db = TestDb::new(Backend::Postgres).await;
    let gw = Gateway::new(&db, CONFIG);
    let runs = (0..8).map(|_| gw.run(&["migrate", "--apply"]));
    let outputs = futures_util::future::join_all(runs).await;
    let mut applied = 0;
    for out in &outputs {
        out.assert_code(0);
        if out.stdout.contains("applied V1__initial") {
            applied += 1;
        }
    }
    assert_eq!(applied, 1, "exactly one process applies V1");
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM refinery_schema_history")
            .await,
        names("postgres").len().to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_migrating_one_empty_sqlite_file_all_succeed_and_apply_once() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = Gateway::new(&db, CONFIG);
    let outputs =
        futures_util::future::join_all((0..4).map(|_| gw.run(&["migrate", "--apply"]))).await;
    let applied = outputs
        .iter()
        .inspect(|o| {
            o.assert_code(0);
        })
        .filter(|o| o.stdout.contains("applied V1__initial"))
        .count();
    assert_eq!(applied, 1);
}

async fn foreign_keys_are_enforced_on_both_engines(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.migrated_store().await;
    let row = gateway::store::rows::NewCredentialRow {
        id: "c1".into(),
        public_id: "p1".into(),
        secret_hash: vec![0; 32],
        last4: "abcd".into(),
        name: "orphan".into(),
        service_account_id: Some("no-such-account".into()),
        user_id: None,
        team_id: None,
        model_grants: None,
        expires_at: None,
        created_by: None,
    };
    let mut conn = store.conn().await.expect("conn");
    let result = conn
        .ex()
        .insert_credential(&row, gateway::store::now())
        .await;
    assert!(
        result.is_err(),
        "a credential for a missing service account was stored"
    );
}
