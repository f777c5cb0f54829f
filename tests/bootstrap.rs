//! `gateway bootstrap-admin`: exactly one first admin, never a reset password, the weak
//! password rule, racing processes, and no password in any output.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Backend, Gateway, TestDb};

const STRONG: &str = "Correct-Horse-Battery-42";

fn config(require_change: bool) -> String {
    format!(
        "auth:\n  bootstrap_admin:\n    email: root@example.com\n    name: Root\n    \
         require_password_change: {require_change}\n"
    )
}

async fn migrated(backend: Backend, yaml: &str) -> (TestDb, Gateway) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, yaml);
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    (db, gw)
}

async fn admin_hash(db: &TestDb) -> String {
    db.scalar("SELECT password_hash FROM users WHERE email = 'root@example.com'")
        .await
}

async fn bootstrap_creates_one_active_admin_and_is_idempotent(backend: Backend) {
    let (db, gw) = migrated(backend, &config(true)).await;
    let gw = gw.env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", STRONG);
    let first = gw.run(&["bootstrap-admin"]).await;
    first.assert_code(0);
    assert!(
        first
            .stdout
            .contains("created platform admin root@example.com"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("must change password"),
        "{}",
        first.stdout
    );
    let row = db
        .rows(
            "SELECT status, CAST(platform_admin AS INTEGER), CAST(must_change_password AS INTEGER), origin \
             FROM users WHERE email = 'root@example.com'",
        )
        .await;
    assert_eq!(row, vec![vec!["active", "1", "1", "bootstrap"]]);
    assert!(admin_hash(&db).await.starts_with("$argon2id$"));
    assert_eq!(
        db.scalar(
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_log WHERE action = 'bootstrap.admin_created'"
        )
        .await,
        "1"
    );
    assert_eq!(
        db.scalar("SELECT method FROM bootstrap_latch WHERE bootstrapped_at IS NOT NULL")
            .await,
        "config"
    );

    let second = gw.run(&["bootstrap-admin"]).await;
    second.assert_code(0);
    assert!(
        second.stdout.contains("already exists"),
        "{}",
        second.stdout
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "1"
    );
}

async fn rerunning_with_another_password_never_resets_it(backend: Backend) {
    let (db, gw) = migrated(backend, &config(true)).await;
    let first = Gateway {
        config_path: gw.config_path.clone(),
        env: vec![("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD".into(), STRONG.into())],
    };
    first.run(&["bootstrap-admin"]).await.assert_code(0);
    let before = admin_hash(&db).await;
    let second = gw.env(
        "GATEWAY_BOOTSTRAP_ADMIN_PASSWORD",
        "A-Completely-Different-Pw-9",
    );
    second.run(&["bootstrap-admin"]).await.assert_code(0);
    assert_eq!(
        admin_hash(&db).await,
        before,
        "bootstrap must never reset a password"
    );
}

async fn a_missing_password_is_a_config_error_naming_both_sources(backend: Backend) {
    let (db, gw) = migrated(backend, &config(true)).await;
    let out = gw.run(&["bootstrap-admin"]).await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("auth.bootstrap_admin.password"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD"),
        "{}",
        out.stderr
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "0"
    );
}

async fn a_weak_password_needs_forced_rotation_or_the_local_sqlite_file(backend: Backend) {
    // Without forced rotation: accepted only on SQLite.
    let (db, gw) = migrated(backend, &config(false)).await;
    let out = gw
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", "admin")
        .run(&["bootstrap-admin"])
        .await;
    match backend {
        Backend::Sqlite => {
            out.assert_code(0);
        }
        Backend::Postgres => {
            out.assert_code(2);
            assert!(out.stderr.contains("too weak"), "{}", out.stderr);
            assert!(
                out.stderr.contains("require_password_change"),
                "{}",
                out.stderr
            );
            assert_eq!(
                db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
                "0"
            );
        }
    }
    // With forced rotation: accepted everywhere.
    let (_db, gw) = migrated(backend, &config(true)).await;
    let out = gw
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", "changeme")
        .run(&["bootstrap-admin"])
        .await;
    out.assert_code(0);
}

async fn a_seeded_invited_platform_admin_does_not_block_bootstrap(backend: Backend) {
    let yaml = format!(
        "{}users:\n  - email: invited-admin@example.com\n    name: Invited\n    platform_admin: true\n",
        config(true)
    );
    let (db, gw) = migrated(backend, &yaml).await;
    gw.run(&["seed-config"]).await.assert_code(0);
    assert_eq!(
        db.scalar("SELECT status FROM users WHERE email = 'invited-admin@example.com'")
            .await,
        "invited"
    );
    let out = gw
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", STRONG)
        .run(&["bootstrap-admin"])
        .await;
    out.assert_code(0);
    assert!(
        out.stdout.contains("created platform admin"),
        "{}",
        out.stdout
    );
    assert_eq!(
        db.scalar("SELECT status FROM users WHERE email = 'root@example.com'")
            .await,
        "active"
    );
}

async fn the_password_appears_in_no_output_at_any_log_level(backend: Backend) {
    let secret = "Zebra-Quartz-Velvet-7781";
    let (_db, gw) = migrated(backend, &config(false)).await;
    let gw = gw
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", secret)
        .env("RUST_LOG", "trace");
    let first = gw.run(&["bootstrap-admin"]).await;
    first.assert_code(0);
    let check = gw.run(&["config", "check"]).await;
    check.assert_code(0);
    let server = gw.serve().await;
    let code = server.terminate_and_logs().await;
    for text in [first.all(), check.all(), code] {
        assert!(!text.contains(secret), "password leaked:\n{text}");
    }
}

both_backends!(
    bootstrap_creates_one_active_admin_and_is_idempotent,
    rerunning_with_another_password_never_resets_it,
    a_missing_password_is_a_config_error_naming_both_sources,
    a_weak_password_needs_forced_rotation_or_the_local_sqlite_file,
    a_seeded_invited_platform_admin_does_not_block_bootstrap,
    the_password_appears_in_no_output_at_any_log_level,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_racing_bootstrap_processes_on_empty_postgres_create_exactly_one_admin() {
    let (db, gw) = migrated(Backend::Postgres, &config(true)).await;
    let gw = gw.env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", STRONG);
    let outputs =
        futures_util::future::join_all((0..16).map(|_| gw.run(&["bootstrap-admin"]))).await;
    let created = outputs
        .iter()
        .inspect(|o| {
            o.assert_code(0);
        })
        .filter(|o| o.stdout.contains("created platform admin"))
        .count();
    assert_eq!(created, 1, "exactly one process creates the admin");
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "1"
    );
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM audit_log")
            .await,
        "1"
    );
}
