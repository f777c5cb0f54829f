//! `/api/v1/admin/tokens`: trading a password for a control-plane token (JSON only, no
//! session or CSRF token needed, the sign-in's single refusal message and throttling, forced
//! rotation refused), listing tokens (own, or all for a platform admin) and revoking them
//! (own, or any for a platform admin).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, LOGIN_FAILED, admin_config, insert_user, serve_admin,
};
use common::{Backend, Server, TestDb};
use reqwest::Method;
use serde_json::{Value, json};

const MEMBER: &str = "member@example.com";
const MEMBER_PASSWORD: &str = "Velvet-Harbor-Quartz-58";

async fn setup(backend: Backend) -> (TestDb, Server) {
    let db = TestDb::new(backend).await;
    let server = serve_admin(&db, &admin_config(false)).await;
    (db, server)
}

async fn exchange(server: &Server, body: &Value) -> common::admin::Page {
    Browser::new(server)
        .api(Method::POST, "/api/v1/admin/tokens", Some(body), None)
        .await
}

/// A bearer call with no cookies.
async fn bearer(server: &Server, method: Method, path: &str, token: &str) -> common::admin::Page {
    let mut b = Browser::new(server);
    let req = b.request(method, path).bearer_auth(token);
    b.send(req).await
}

async fn mint(server: &Server, email: &str, password: &str) -> Value {
    let page = exchange(server, &json!({"email": email, "password": password})).await;
    assert_eq!(page.status, 201, "{}", page.text);
    page.json()
}

async fn a_password_buys_a_token_with_json_only_and_without_csrf(backend: Backend) {
    let (db, server) = setup(backend).await;
    // A signed-in browser session does not make the exchange need a CSRF token: the path
    // takes no ambient credential.
    let mut signed_in = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let body = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "name": "laptop",
        "expires_in_days": 30});
    let page = signed_in
        .api(Method::POST, "/api/v1/admin/tokens", Some(&body), None)
        .await;
    assert_eq!(page.status, 201, "{}", page.text);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let minted = page.json();
    assert!(
        minted["token"].as_str().unwrap().starts_with("gwa_"),
        "{minted}"
    );
    assert_eq!(
        (&minted["email"], &minted["name"]),
        (&json!(ADMIN_EMAIL), &json!("laptop"))
    );
    let expires: chrono::DateTime<chrono::Utc> =
        minted["expires_at"].as_str().unwrap().parse().unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() / 24;
    assert!((29..=30).contains(&days), "{expires}");
    let me = bearer(
        &server,
        Method::GET,
        "/api/v1/admin/me",
        minted["token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["email"], ADMIN_EMAIL);
    let token = minted["token"].as_str().unwrap();
    let doc = bearer(&server, Method::GET, "/api/v1/admin/openapi.json", token).await;
    let paths = &doc.json()["paths"];
    assert!(paths["/api/v1/admin/tokens"]["post"].is_object(), "{paths}");
    assert!(paths["/api/v1/admin/tokens"]["get"].is_object());
    assert!(paths["/api/v1/admin/tokens/{id}"]["delete"].is_object());

    // A form post (what a cross-site page can send) is refused before any sign-in attempt.
    let mut b = Browser::new(&server);
    let req = b
        .request(Method::POST, "/api/v1/admin/tokens")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={ADMIN_EMAIL}&password={ADMIN_PASSWORD}"));
    let form = b.send(req).await;
    form.assert_api_error(400, "invalid_request");
    assert!(form.text.contains("application/json"), "{}", form.text);
    for bad in [
        json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "expires_in_days": 0}),
        json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "expires_in_days": 3651}),
        json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "scope": "all"}),
        json!({"email": ADMIN_EMAIL}),
    ] {
        exchange(&server, &bad)
            .await
            .assert_api_error(400, "invalid_request");
    }
    let tokens = db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM admin_tokens")
        .await;
    assert_eq!(tokens, "1");
}

async fn refusals_share_the_sign_in_message_then_throttle_with_429(backend: Backend) {
    let (db, server) = setup(backend).await;
    insert_user(
        &db,
        "new@example.com",
        Some(MEMBER_PASSWORD),
        "active",
        true,
        true,
    )
    .await;
    let forced = exchange(
        &server,
        &json!({"email": "new@example.com", "password": MEMBER_PASSWORD}),
    )
    .await;
    forced.assert_api_error(403, "password_change_required");
    let unknown = exchange(
        &server,
        &json!({"email": "nobody@example.com", "password": "x"}),
    )
    .await;
    unknown.assert_api_error(401, "invalid_credentials");
    assert_eq!(unknown.json()["error"]["message"], LOGIN_FAILED);
    for _ in 0..4 {
        let wrong = exchange(
            &server,
            &json!({"email": ADMIN_EMAIL, "password": "Wrong-1"}),
        )
        .await;
        wrong.assert_api_error(401, "invalid_credentials");
        assert_eq!(wrong.json()["error"]["message"], LOGIN_FAILED);
    }
    // Five failures from this address: now even the right password is throttled.
    let right = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let throttled = exchange(&server, &right).await;
    throttled.assert_api_error(429, "throttled");
    let retry: i64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 60, "{retry}");
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM admin_tokens")
            .await,
        "0"
    );
}

async fn tokens_are_listed_and_revoked_by_their_owner_or_a_platform_admin(backend: Backend) {
    let (db, server) = setup(backend).await;
    insert_user(&db, MEMBER, Some(MEMBER_PASSWORD), "active", false, false).await;
    let admin = mint(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let member = mint(&server, MEMBER, MEMBER_PASSWORD).await;
    let (a, m) = (
        admin["token"].as_str().unwrap(),
        member["token"].as_str().unwrap(),
    );
    let emails = |page: common::admin::Page| -> Vec<String> {
        let mut e: Vec<String> = page
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["email"].as_str().unwrap().to_string())
            .collect();
        e.sort();
        e
    };
    let own = bearer(&server, Method::GET, "/api/v1/admin/tokens", m).await;
    assert!(!own.text.contains(m), "secret listed");
    assert_eq!(emails(own), vec![MEMBER]);
    let all = bearer(&server, Method::GET, "/api/v1/admin/tokens", a).await;
    assert_eq!(emails(all), vec![ADMIN_EMAIL, MEMBER]);

    let admins_token = format!("/api/v1/admin/tokens/{}", admin["id"].as_str().unwrap());
    bearer(&server, Method::DELETE, &admins_token, m)
        .await
        .assert_api_error(404, "not_found");
    let members_token = format!("/api/v1/admin/tokens/{}", member["id"].as_str().unwrap());
    let revoked = bearer(&server, Method::DELETE, &members_token, a).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.json()["status"], "revoked");
    bearer(&server, Method::GET, "/api/v1/admin/me", m)
        .await
        .assert_api_error(401, "invalid_token");
    bearer(&server, Method::DELETE, &members_token, a)
        .await
        .assert_api_error(409, "conflict");
    // Without any credential the list and revoke answer 401.
    let mut anon = Browser::new(&server);
    anon.get("/api/v1/admin/tokens")
        .await
        .assert_api_error(401, "unauthenticated");
}

both_backends!(
    a_password_buys_a_token_with_json_only_and_without_csrf,
    refusals_share_the_sign_in_message_then_throttle_with_429,
    tokens_are_listed_and_revoked_by_their_owner_or_a_platform_admin,
);
