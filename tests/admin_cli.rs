//! `gateway admin …` offline commands and the control-plane tokens they mint: admins created
//! and recovered with the server down, passwords only from stdin (never argv, never echoed),
//! tokens that work on `/api/v1/admin/*` only — not on `/admin` pages, not on `/v1` — and
//! stop working when revoked, expired or their user is disabled.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, LOGIN_FAILED, admin_config, assert_refused, audit_rows,
};
use common::process::run_with_stdin;
use common::{Backend, Gateway, TestDb, http};
use reqwest::Method;
use serde_json::{Value, json};

const OPS_EMAIL: &str = "ops@example.com";
const OPS_PASSWORD: &str = "Night-Shift-Recovery-77";
const NEW_PASSWORD: &str = "Fresh-Start-Password-91";

async fn migrated(backend: Backend) -> (TestDb, Gateway) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, &admin_config(false))
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    (db, gw)
}

async fn admin(gw: &Gateway, args: &[&str], stdin: Option<&str>) -> common::Output {
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    run_with_stdin(gw.command(&all), stdin).await
}

fn parse(out: &common::Output) -> Value {
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

async fn admin_create_works_offline_and_the_admin_signs_in(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let out = admin(
        &gw,
        &[
            "create",
            OPS_EMAIL,
            "--name",
            "Ops",
            "--password-stdin",
            "--json",
        ],
        Some(&format!("{OPS_PASSWORD}\n")),
    )
    .await;
    out.assert_code(0);
    assert!(!out.all().contains(OPS_PASSWORD), "{}", out.all());
    let created = parse(&out);
    assert_eq!(created["email"], OPS_EMAIL);
    assert_eq!(created["outcome"], "created");
    let row = db
        .rows(&format!(
            "SELECT status, CAST(platform_admin AS INTEGER), CAST(must_change_password AS INTEGER), \
             origin FROM users WHERE email = '{OPS_EMAIL}'"
        ))
        .await;
    assert_eq!(row, vec![vec!["active", "1", "0", "cli"]]);
    let audit = audit_rows(&db, "admin.created").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].0, "system:cli");

    let listed = admin(&gw, &["list", "--json"], None).await;
    listed.assert_code(0);
    let emails: Vec<String> = parse(&listed)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(emails, vec![OPS_EMAIL.to_string()]);

    // The server then starts with that admin present: bootstrap-admin creates nobody else.
    let server = gw.serve().await;
    Browser::signed_in(&server, OPS_EMAIL, OPS_PASSWORD).await;
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "1"
    );
}

async fn passwords_come_only_from_stdin_and_bad_ones_change_nothing(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let empty = admin(&gw, &["create", OPS_EMAIL, "--password-stdin"], Some("")).await;
    empty.assert_code(1);
    assert!(
        empty.stderr.contains("standard input was empty"),
        "{}",
        empty.stderr
    );
    // No terminal and no --password-stdin: no prompt, a usage error.
    let no_tty = admin(&gw, &["create", OPS_EMAIL], None).await;
    no_tty.assert_code(2);
    assert!(
        no_tty.stderr.contains("--password-stdin"),
        "{}",
        no_tty.stderr
    );
    let weak = admin(
        &gw,
        &["create", OPS_EMAIL, "--password-stdin"],
        Some("password\n"),
    )
    .await;
    weak.assert_code(2);
    assert!(weak.stderr.contains("new password"), "{}", weak.stderr);
    // argv never carries a password: clap refuses an unknown --password flag.
    admin(
        &gw,
        &["create", OPS_EMAIL, "--password", OPS_PASSWORD],
        None,
    )
    .await
    .assert_code(2);
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "0"
    );

    let stdin = format!("{OPS_PASSWORD}\n");
    admin(
        &gw,
        &["create", OPS_EMAIL, "--password-stdin"],
        Some(&stdin),
    )
    .await
    .assert_code(0);
    let again = admin(
        &gw,
        &["create", OPS_EMAIL, "--password-stdin"],
        Some(&stdin),
    )
    .await;
    again.assert_code(2);
    assert!(again.stderr.contains("reset-password"), "{}", again.stderr);
}

async fn reset_password_recovers_a_locked_out_admin_and_ends_sessions(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let server = gw.serve().await;
    let mut old = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let me = old.api(Method::GET, "/api/v1/admin/me", None, None).await;
    assert_eq!(me.status, 200, "{}", me.text);

    let out = admin(
        &gw,
        &["reset-password", ADMIN_EMAIL, "--password-stdin", "--json"],
        Some(&format!("{NEW_PASSWORD}\n")),
    )
    .await;
    out.assert_code(0);
    assert!(!out.all().contains(NEW_PASSWORD), "{}", out.all());
    assert_eq!(parse(&out)["sessions_ended"], 1);
    old.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
    let mut b = Browser::new(&server);
    assert_refused(&b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await, LOGIN_FAILED);
    Browser::signed_in(&server, ADMIN_EMAIL, NEW_PASSWORD).await;
    assert_eq!(audit_rows(&db, "password.reset").await.len(), 1);

    // With --must-change-password the next sign-in lands on the change-password page.
    admin(
        &gw,
        &[
            "reset-password",
            ADMIN_EMAIL,
            "--password-stdin",
            "--must-change-password",
        ],
        Some(&format!("{OPS_PASSWORD}\n")),
    )
    .await
    .assert_code(0);
    let mut b = Browser::new(&server);
    b.sign_in(ADMIN_EMAIL, OPS_PASSWORD)
        .await
        .assert_redirect("/admin/change-password");

    let unknown = admin(
        &gw,
        &["reset-password", "nobody@example.com", "--password-stdin"],
        Some(&format!("{OPS_PASSWORD}\n")),
    )
    .await;
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("nobody@example.com"),
        "{}",
        unknown.stderr
    );
}

async fn get_with(server: &common::Server, path: &str, token: &str) -> reqwest::Response {
    http()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn control_plane_tokens_work_only_on_the_admin_api(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let server = gw.serve().await;
    let out = admin(&gw, &["token", ADMIN_EMAIL, "--name", "ci", "--json"], None).await;
    out.assert_code(0);
    let minted = parse(&out);
    let token = minted["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("gwa_"), "{token}");
    assert_eq!(audit_rows(&db, "admin_token.created").await.len(), 1);
    let stored = db.rows("SELECT public_id FROM admin_tokens").await;
    let (public_id, secret) = token
        .strip_prefix("gwa_")
        .and_then(|rest| rest.split_once('_'))
        .expect("gwa_<public id>_<secret>");
    assert_eq!(stored, vec![vec![public_id.to_string()]]);
    assert!(
        !stored[0][0].contains(secret),
        "only the public id is stored in clear"
    );

    let me = get_with(&server, "/api/v1/admin/me", &token).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["email"], ADMIN_EMAIL);
    // Writes need no CSRF token with a bearer token.
    let created = http()
        .post(server.url("/api/v1/admin/teams"))
        .bearer_auth(&token)
        .json(&json!({"id": "tooling", "name": "Tooling"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    // Not a page credential, not a data-plane credential.
    let mut browser = Browser::new(&server);
    let req = browser.request(Method::GET, "/admin").bearer_auth(&token);
    browser.send(req).await.assert_redirect("/admin/login");
    let v1 = get_with(&server, "/v1/models", &token).await;
    assert_eq!(v1.status(), 401);
    assert_eq!(
        v1.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_api_key"
    );

    // A data-plane key is refused on the admin API.
    let fake = format!("gw_{}_{}", "a".repeat(16), "b".repeat(44));
    let refused = get_with(&server, "/api/v1/admin/me", &fake).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_token"
    );

    // Revoked: refused at once.
    let id = minted["id"].as_str().unwrap();
    admin(&gw, &["revoke-token", id], None).await.assert_code(0);
    assert_eq!(
        get_with(&server, "/api/v1/admin/me", &token).await.status(),
        401
    );
    assert_eq!(audit_rows(&db, "admin_token.revoked").await.len(), 1);
    admin(&gw, &["revoke-token", id], None).await.assert_code(2);
}

async fn expired_tokens_and_disabled_users_are_refused(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let server = gw.serve().await;
    let stdin = format!("{OPS_PASSWORD}\n");
    admin(
        &gw,
        &["create", OPS_EMAIL, "--password-stdin"],
        Some(&stdin),
    )
    .await
    .assert_code(0);
    let mint = |email: &'static str| {
        let gw = &gw;
        async move {
            let out = admin(gw, &["token", email, "--expires", "1d", "--json"], None).await;
            out.assert_code(0);
            parse(&out)["token"].as_str().unwrap().to_string()
        }
    };
    let expiring = mint(ADMIN_EMAIL).await;
    let ops = mint(OPS_EMAIL).await;
    assert_eq!(
        get_with(&server, "/api/v1/admin/me", &expiring)
            .await
            .status(),
        200
    );
    db.exec(&format!(
        "UPDATE admin_tokens SET expires_at = {} WHERE user_id = \
         (SELECT id FROM users WHERE email = '{ADMIN_EMAIL}')",
        common::admin::now_plus(&db, -60)
    ))
    .await;
    assert_eq!(
        get_with(&server, "/api/v1/admin/me", &expiring)
            .await
            .status(),
        401
    );

    assert_eq!(
        get_with(&server, "/api/v1/admin/me", &ops).await.status(),
        200
    );
    db.exec(&format!(
        "UPDATE users SET status = 'disabled' WHERE email = '{OPS_EMAIL}'"
    ))
    .await;
    assert_eq!(
        get_with(&server, "/api/v1/admin/me", &ops).await.status(),
        401
    );

    let bad = admin(&gw, &["token", ADMIN_EMAIL, "--expires", "soon"], None).await;
    bad.assert_code(2);
    assert!(bad.stderr.contains("--expires"), "{}", bad.stderr);
}

async fn offline_passwords_follow_the_minimum_length_setting(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let file = db.dir.path().join("settings.yaml");
    std::fs::write(&file, "settings:\n  passwords.min_length: 30\n").unwrap();
    gw.run(&["settings", "import", "--from", file.to_str().unwrap()])
        .await
        .assert_code(0);
    // 23 characters: strong enough for the built-in 12, too short for the setting.
    let stdin = format!("{OPS_PASSWORD}\n");
    let create = admin(
        &gw,
        &["create", OPS_EMAIL, "--password-stdin"],
        Some(&stdin),
    )
    .await;
    create.assert_code(2);
    assert!(create.stderr.contains("30"), "{}", create.stderr);
    let reset = admin(
        &gw,
        &["reset-password", ADMIN_EMAIL, "--password-stdin"],
        Some(&stdin),
    )
    .await;
    reset.assert_code(2);
    assert!(reset.stderr.contains("30"), "{}", reset.stderr);
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users").await,
        "0"
    );
}

both_backends!(
    offline_passwords_follow_the_minimum_length_setting,
    admin_create_works_offline_and_the_admin_signs_in,
    passwords_come_only_from_stdin_and_bad_ones_change_nothing,
    reset_password_recovers_a_locked_out_admin_and_ends_sessions,
    control_plane_tokens_work_only_on_the_admin_api,
    expired_tokens_and_disabled_users_are_refused,
);
