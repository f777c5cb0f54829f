//! Day-0 rules of the offline admin commands and the bootstrap link: a control-plane token is
//! stored as public id + hash only and `--expires` sets its expiry; a token acts with its
//! user's role (a non-admin's token is refused where a platform admin is needed);
//! `admin create --must-change-password` forces the change at the first sign-in; the bootstrap
//! token is taken from the body only, never from the URL.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, admin_config, insert_user};
use common::client::get_with_bearer;
use common::process::run_with_stdin;
use common::{Backend, Gateway, TestDb};
use reqwest::Method;
use serde_json::{Value, json};

const OPS_EMAIL: &str = "ops@example.com";
const OPS_PASSWORD: &str = "Night-Shift-Recovery-77";
const NO_ADMIN: &str = "auth:\n  bootstrap_admin:\n    enabled: false\n";

async fn migrated(backend: Backend) -> (TestDb, Gateway) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, &admin_config(false))
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    gw.run(&["migrate", "--apply"]).await.assert_code(0);
    (db, gw)
}

async fn mint(gw: &Gateway, email: &str, extra: &[&str]) -> Value {
    let mut args = vec!["admin", "token", email, "--json"];
    args.extend_from_slice(extra);
    let out = gw.run(&args).await;
    out.assert_code(0);
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

async fn a_token_is_stored_as_public_id_and_hash_and_expires_when_told(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let server = gw.serve().await;
    let before = chrono::Utc::now();
    let minted = mint(&gw, ADMIN_EMAIL, &["--name", "ci", "--expires", "30d"]).await;
    let token = minted["token"].as_str().unwrap();
    let rest = token.strip_prefix("gwa_").expect("gwa_ prefix");
    let (public_id, secret) = rest.split_once('_').expect("gwa_<public id>_<secret>");
    assert!(secret.len() >= 40, "a 256-bit secret: {token}");

    let row = db
        .rows(
            "SELECT public_id, name, CAST(LENGTH(secret_hash) AS TEXT), \
             CAST(expires_at AS TEXT) FROM admin_tokens",
        )
        .await;
    assert_eq!(row.len(), 1, "{row:?}");
    assert_eq!(row[0][0], public_id, "the public id is stored");
    assert_eq!(row[0][1], "ci");
    assert_eq!(row[0][2], "32", "a SHA-256 of the secret, not the secret");
    for cell in &row[0] {
        assert!(
            !cell.contains(secret),
            "the secret is stored in clear: {row:?}"
        );
    }
    // `--expires 30d`: about thirty days from now, in the answer.
    let expires = chrono::DateTime::parse_from_rfc3339(minted["expires_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let days = chrono::Duration::days(30);
    assert!(
        expires >= before + days - chrono::Duration::minutes(1)
            && expires <= chrono::Utc::now() + days + chrono::Duration::minutes(1),
        "{minted}"
    );
    // Not shown again by the token listing.
    let listed = gw.run(&["admin", "tokens", "--json"]).await;
    listed.assert_code(0);
    assert!(!listed.stdout.contains(secret), "{}", listed.stdout);
    assert_eq!(
        get_with_bearer(&server, "/api/v1/admin/me", token).await.0,
        200
    );
}

async fn a_token_acts_with_its_users_role(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let server = gw.serve().await;
    insert_user(&db, OPS_EMAIL, Some(OPS_PASSWORD), "active", false, false).await;
    let member = mint(&gw, OPS_EMAIL, &[]).await;
    let member = member["token"].as_str().unwrap();
    let admin = mint(&gw, ADMIN_EMAIL, &[]).await;
    let admin = admin["token"].as_str().unwrap();

    let (status, body) = get_with_bearer(&server, "/api/v1/admin/me", member).await;
    assert_eq!(status, 200, "{body}");
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["email"], OPS_EMAIL);
    assert_eq!(me["platform_admin"], false, "{me}");

    let (status, body) = get_with_bearer(&server, "/api/v1/admin/settings", member).await;
    assert_eq!(
        status, 403,
        "a member's token opened a platform-admin route: {body}"
    );
    let code = serde_json::from_str::<Value>(&body).unwrap()["error"]["code"].clone();
    assert_eq!(code, "forbidden");
    let (status, body) = get_with_bearer(&server, "/api/v1/admin/settings", admin).await;
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<Value>(&body).unwrap().is_array());
}

async fn admin_create_must_change_password_forces_the_change(backend: Backend) {
    let (db, gw) = migrated(backend).await;
    let out = run_with_stdin(
        gw.command(&[
            "admin",
            "create",
            OPS_EMAIL,
            "--password-stdin",
            "--must-change-password",
        ]),
        Some(&format!("{OPS_PASSWORD}\n")),
    )
    .await;
    out.assert_code(0);
    assert!(!out.all().contains(OPS_PASSWORD), "{}", out.all());
    assert_eq!(
        db.scalar(&format!(
            "SELECT CAST(CAST(must_change_password AS INTEGER) AS TEXT) FROM users \
             WHERE email = '{OPS_EMAIL}'"
        ))
        .await,
        "1"
    );
    let server = gw.serve().await;
    let mut b = Browser::new(&server);
    b.sign_in(OPS_EMAIL, OPS_PASSWORD)
        .await
        .assert_redirect("/admin/change-password");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(403, "password_change_required");
}

async fn the_bootstrap_token_is_never_taken_from_the_url(backend: Backend) {
    let db = TestDb::new(backend).await;
    let path = db.dir.path().join("bootstrap-token");
    let server = Gateway::new(&db, NO_ADMIN)
        .env("GATEWAY_BOOTSTRAP_LINK", "1")
        .env("GATEWAY_BOOTSTRAP_TOKEN_FILE", path.to_str().unwrap())
        .serve()
        .await;
    let token = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert!(token.starts_with("gwb_"), "{token}");

    // The right token in the query string, an otherwise valid body without one.
    let url = server.url(&format!("/api/v1/bootstrap?token={token}"));
    let resp = common::http()
        .post(&url)
        .json(&json!({"email": "ops@example.com"}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_ne!(status, 201, "the token was taken from the URL: {text}");
    assert!((400..500).contains(&status), "{status}: {text}");
    assert!(!text.contains(&token), "the token was echoed: {text}");
    for table in ["users", "admin_tokens"] {
        assert_eq!(
            db.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
                .await,
            "0",
            "{table}"
        );
    }
    // The form does not pick it up from the URL either.
    let mut b = Browser::new(&server);
    let page = b.get(&format!("/admin/bootstrap?token={token}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!page.text.contains(&token), "the form echoed the URL token");
    // The link is still armed: the same token in the body works.
    let ok = common::http()
        .post(server.url("/api/v1/bootstrap"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 201);
}

both_backends!(
    a_token_is_stored_as_public_id_and_hash_and_expires_when_told,
    a_token_acts_with_its_users_role,
    admin_create_must_change_password_forces_the_change,
    the_bootstrap_token_is_never_taken_from_the_url,
);
