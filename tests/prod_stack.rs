//! The production-shaped flow (`mise run prod-stack`): the shipped `config/gateway.prod.yaml`
//! on a fresh PostgreSQL database, from an empty directory, up to and through the forced
//! password change of the bootstrap admin — and no demo data anywhere.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::admin::Browser;
use common::plane::get;
use common::process::command;
use common::{Backend, Server, TestDb};
use reqwest::Method;

const NEW_PASSWORD: &str = "Fresh-Passphrase-For-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_shape_forces_a_password_change_and_seeds_no_demo_data() {
    let db = TestDb::new(Backend::Postgres).await;
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gateway.prod.yaml");
    // What scripts/prod-stack.sh sets, with a free port instead of 0.0.0.0:8080.
    let env = [
        ("GATEWAY_DATABASE_URL", db.url.as_str()),
        ("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", "admin"),
        ("GATEWAY_BIND", "127.0.0.1:0"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let mut cmd = command(&config, &env, &["serve"]);
    cmd.current_dir(db.dir.path());
    let server = Server::start(cmd).await;

    // admin@local / admin signs in, and is sent to change the password first.
    let mut b = Browser::new(&server);
    b.sign_in("admin@local", "admin")
        .await
        .assert_redirect("/admin/change-password");
    b.get("/admin")
        .await
        .assert_redirect("/admin/change-password");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(403, "password_change_required");

    // Nothing but the admin: no demo objects, keys, budgets or sample traffic, no key file.
    for (table, want) in [
        ("users", "1"),
        ("teams", "0"),
        ("service_accounts", "0"),
        ("credentials", "0"),
        ("budgets", "0"),
        ("request_logs", "0"),
        ("usage_ledger", "0"),
    ] {
        let n = db
            .scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
            .await;
        assert_eq!(n, want, "{table}");
    }
    assert_eq!(
        db.scalar("SELECT origin FROM users WHERE email = 'admin@local'")
            .await,
        "bootstrap"
    );
    assert!(!db.dir.path().join("demo-credentials.json").exists());
    // No data-plane key exists until an admin creates one.
    assert_eq!(get(&server, "/v1/models", None).await.status, 401);

    // Changing the password opens the control plane.
    let csrf = b.page_csrf("/admin/change-password").await;
    let changed = b
        .post_form(
            "/admin/change-password",
            &[
                ("csrf", &csrf),
                ("current", "admin"),
                ("new", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.text);
    let dashboard = b.get("/admin").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.text);
    let me = b.api(Method::GET, "/api/v1/admin/me", None, None).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(server.terminate().await, 0);
}
