//! The local dev stack (`mise run dev-stack` = `gateway --config config/gateway.yaml serve`)
//! driven from an empty directory with the real binary and the shipped config: the demo
//! dataset appears exactly when `./gateway.db` is new, its keys (from the 0600 file) answer on
//! `/v1`, the bootstrap admin and the demo people sign in, a restart does not reseed,
//! `gateway demo reset` recreates the demo and nothing else, and PostgreSQL is refused
//! unless forced.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

#[path = "dev_stack/dir.rs"]
mod dir;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::admin::Browser;
use common::plane::{chat, post};
use common::process::{command, run_with_stdin};
use common::{Backend, Server, TestDb, eventually};
use dir::{
    DEMO_PASSWORD, DevDir, assert_chat_answers, assert_demo_dataset, demo_credential_ids, key_of,
};
use reqwest::Method;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_stack_from_an_empty_directory_seeds_the_demo_and_everyone_gets_in() {
    let dev = DevDir::new().await;
    let server = dev.serve().await;
    assert_demo_dataset(&dev).await;
    assert_eq!(
        dev.count("SELECT COUNT(*) FROM users WHERE origin <> 'demo'")
            .await,
        1
    );

    // Demo credentials from the file answer on /v1: a service account's and a person's.
    let keys = dev.keys();
    assert_chat_answers(&server, &key_of(&keys, "service_account")).await;
    assert_chat_answers(&server, &key_of(&keys, "personal")).await;

    // The bootstrap admin signs in to /admin without a forced password change.
    let mut admin = Browser::new(&server);
    admin
        .sign_in("admin@local", "admin")
        .await
        .assert_redirect("/admin");
    let dashboard = admin.get("/admin").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.text);
    let spend = admin.get("/admin/spend").await;
    assert_eq!(spend.status, 200, "{}", spend.text);
    assert!(
        spend.text.contains("demo-research"),
        "spend page shows the demo teams"
    );

    // A demo team owner signs in with the documented password and sees their team.
    let mut ada = Browser::new(&server);
    ada.sign_in("ada@demo.local", DEMO_PASSWORD)
        .await
        .assert_redirect("/admin");
    let me = ada.api(Method::GET, "/api/v1/admin/me", None, None).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert!(me.text.contains("demo-research"), "{}", me.text);
    // The demo password is the demo people's only: it does not open the admin account.
    let mut wrong = Browser::new(&server);
    assert_eq!(
        wrong.sign_in("admin@local", DEMO_PASSWORD).await.status,
        401
    );
    assert_eq!(server.terminate().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_does_not_reseed_and_demo_reset_recreates_only_the_demo() {
    let dev = DevDir::new().await;
    dev.serve().await.terminate().await;
    let first_ids = demo_credential_ids(&dev).await;
    let first_file = std::fs::read_to_string(dev.keyfile()).unwrap();
    let logs = dev.count("SELECT COUNT(*) FROM request_logs").await;
    // Data that is not the demo's: a team and the admin's own key.
    dev.db
        .exec(
            "INSERT INTO teams (id, name, origin, created_at, updated_at) \
             VALUES ('platform', 'Platform', 'admin', 0, 0)",
        )
        .await;
    let mine = dev
        .run(&[
            "credentials",
            "create",
            "--user",
            "admin@local",
            "--name",
            "mine",
            "--json",
        ])
        .await;
    mine.assert_code(0);
    let mine: Value = serde_json::from_str(mine.stdout.trim()).unwrap();

    // A second start finds the database and leaves the demo alone.
    let server = dev.serve().await;
    assert_eq!(demo_credential_ids(&dev).await, first_ids);
    assert_eq!(dev.count("SELECT COUNT(*) FROM request_logs").await, logs);
    assert_eq!(std::fs::read_to_string(dev.keyfile()).unwrap(), first_file);
    let old_key = key_of(&dev.keys(), "service_account");
    assert_chat_answers(&server, &old_key).await;

    // demo reset (while the server runs) replaces the demo and nothing else.
    let out = dev.run(&["demo", "reset"]).await;
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("removed the previous demo data: 2 teams, 5 people"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("gw_"),
        "the new keys are printed once: {}",
        out.stdout
    );
    assert_demo_dataset(&dev).await;
    let second_ids = demo_credential_ids(&dev).await;
    assert_eq!(second_ids.len(), 7);
    assert!(
        second_ids.iter().all(|id| !first_ids.contains(id)),
        "old demo keys are gone"
    );
    assert_eq!(
        dev.count(
            "SELECT COUNT(*) FROM users WHERE email = 'admin@local' AND origin = 'bootstrap'"
        )
        .await,
        1
    );
    assert_eq!(
        dev.count("SELECT COUNT(*) FROM teams WHERE id = 'platform'")
            .await,
        1
    );
    let kept = format!(
        "SELECT COUNT(*) FROM credentials WHERE id = '{}'",
        mine["id"].as_str().unwrap()
    );
    assert_eq!(dev.count(&kept).await, 1, "the admin's own key survives");

    // The running server drops the old keys and accepts the new ones within a second or so.
    let new_key = key_of(&dev.keys(), "service_account");
    assert_ne!(new_key, old_key);
    eventually(
        Duration::from_secs(5),
        "the reset keys to take effect",
        || async {
            let old = post(
                &server,
                "/v1/chat/completions",
                Some(&old_key),
                &chat("gpt-4o-mini"),
                None,
            )
            .await;
            let new = post(
                &server,
                "/v1/chat/completions",
                Some(&new_key),
                &chat("gpt-4o-mini"),
                None,
            )
            .await;
            (old.status == 401 && new.status == 200).then_some(())
        },
    )
    .await;
    assert_eq!(server.terminate().await, 0);

    // An explicit credentials file that cannot be written fails the command, keys still shown.
    let out = dev
        .run(&[
            "demo",
            "reset",
            "--credentials-file",
            "no/such/dir/keys.json",
        ])
        .await;
    out.assert_code(1);
    assert!(
        out.stderr.contains("could not be written"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("gw_"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seed_refuses_postgresql_unless_forced() {
    let db = TestDb::new(Backend::Postgres).await;
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gateway.yaml");
    let env = vec![
        ("GATEWAY_BIND".to_string(), "127.0.0.1:0".to_string()),
        ("GATEWAY_DATABASE_URL".to_string(), db.url.clone()),
        // admin/admin is refused on PostgreSQL without a forced change; not what this tests.
        ("GATEWAY_BOOTSTRAP_ADMIN".to_string(), "false".to_string()),
    ];
    let run = |args: &'static [&'static str]| {
        let mut cmd = command(&config, &env, args);
        cmd.current_dir(db.dir.path());
        run_with_stdin(cmd, None)
    };
    let demo_teams = "SELECT COUNT(*) FROM teams WHERE origin = 'demo'";

    // The dev config pointed at PostgreSQL: serve migrates and bootstraps, but seeds no demo.
    let mut cmd = command(&config, &env, &["serve"]);
    cmd.current_dir(db.dir.path());
    let logs = Server::start(cmd).await.terminate_and_logs().await;
    assert!(logs.contains("not seeding PostgreSQL"), "{logs}");
    assert_eq!(db.scalar(demo_teams).await, "0");

    let refused = run(&["demo", "reset"]).await;
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("PostgreSQL") && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(db.scalar(demo_teams).await, "0");
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM request_logs")
            .await,
        "0"
    );
    assert!(!db.dir.path().join("demo-credentials.json").exists());

    run(&["demo", "reset", "--force"]).await.assert_code(0);
    assert_eq!(db.scalar(demo_teams).await, "2");
    let file = db.dir.path().join("demo-credentials.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn only_the_local_config_turns_the_demo_on_and_the_mise_tasks_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(read(&root.join("config/gateway.yaml")).contains("seed_when_new: true"));
    let mut shipped = files_under(&root.join("deploy"));
    shipped.push(root.join("config/gateway.prod.yaml"));
    shipped.push(root.join("config/gateway.example.yaml"));
    for file in shipped {
        let text = read(&file).replace(' ', "");
        assert!(
            !text.contains("seed_when_new:true") && !text.contains("\"seed_when_new\":true"),
            "{} turns the demo seed on",
            file.display()
        );
    }
    let mise = read(&root.join("mise.toml"));
    for task in [
        "dev-stack",
        "prod-stack",
        "gateway-migrate",
        "gateway-seed-config",
        "gateway-bootstrap-admin",
        "gateway-migrate-prod",
        "gateway-seed-config-prod",
        "gateway-bootstrap-admin-prod",
        "test",
        "lint",
        "bench",
        "deploy-check",
    ] {
        assert!(
            mise.contains(&format!("[tasks.{task}]")),
            "mise task {task} is missing"
        );
    }
    assert!(mise.contains("run = \"cargo run -- --config config/gateway.yaml serve\""));
    assert!(mise.contains("run = \"scripts/prod-stack.sh serve\""));
}
