//! Who may reach the control plane, over HTTP against `gateway serve`: security headers on
//! every admin response, forced password rotation enforced on pages and the API, what callers
//! without a session get, and the access matrix between data-plane credentials and admin
//! sessions. CSRF lives in `admin_csrf.rs`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page, admin_config, audit_rows, serve_admin,
};
use common::plane::issue;
use common::upstream::{Behavior, FakeUpstream};
use common::{Backend, Gateway, Server, TestDb};
use reqwest::Method;
use serde_json::json;

const NEW_PASSWORD: &str = "Fresh-Passphrase-For-2025";
/// An API path no handler owns.
const PROBE: &str = "/api/v1/admin/csrf-probe";

async fn setup(backend: Backend, require_password_change: bool) -> (TestDb, Server) {
    let db = TestDb::new(backend).await;
    let server = serve_admin(&db, &admin_config(require_password_change)).await;
    (db, server)
}

#[track_caller]
fn assert_security_headers(what: &str, page: &Page) {
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what} ({}): CSP {csp:?}",
        page.status
    );
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(
            page.header(name),
            Some(value),
            "{what} ({}): header {name}",
            page.status
        );
    }
}

async fn every_admin_response_carries_the_security_headers(backend: Backend) {
    let (_db, server) = setup(backend, false).await;
    let mut anon = Browser::new(&server);
    let mut seen = Vec::new();
    let page = anon.get("/admin/login").await;
    assert_eq!(page.status, 200);
    assert_security_headers("sign-in page", &page);
    seen.push(page.status);
    let checks = [
        ("dashboard, signed out", anon.get("/admin").await),
        (
            "API, signed out",
            anon.api(Method::GET, "/api/v1/admin/me", None, None).await,
        ),
        (
            "refused sign-in",
            anon.sign_in(ADMIN_EMAIL, "Wrong-Horse-Battery-42").await,
        ),
        (
            "sign-in without CSRF",
            anon.post_form("/admin/login", &[("email", ADMIN_EMAIL)])
                .await,
        ),
        ("stylesheet", anon.get("/admin/static/app.css").await),
        ("sign-in", anon.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await),
    ];
    for (what, page) in &checks {
        assert_security_headers(what, page);
        seen.push(page.status);
    }
    let mut b = anon;
    let checks = [
        ("dashboard", b.get("/admin").await),
        (
            "change-password page",
            b.get("/admin/change-password").await,
        ),
        (
            "API read",
            b.api(Method::GET, "/api/v1/admin/me", None, None).await,
        ),
        (
            "API write without CSRF",
            b.api(Method::POST, PROBE, Some(&json!({})), None).await,
        ),
    ];
    for (what, page) in &checks {
        assert_security_headers(what, page);
        seen.push(page.status);
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, [200, 303, 401, 403], "the statuses covered");
}

async fn admin_pages_that_do_not_exist_still_carry_the_security_headers(backend: Backend) {
    let (_db, server) = setup(backend, false).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = b.get("/admin/no-such-page").await;
    assert_eq!(page.status, 404, "{}", page.text);
    assert_security_headers("unknown admin page", &page);
}

async fn a_user_who_must_change_their_password_reaches_only_that_page_and_logout(backend: Backend) {
    let (db, server) = setup(backend, true).await;
    let mut b = Browser::new(&server);
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_redirect("/admin/change-password");
    assert!(b.cookie("gw_session").is_some());

    for path in ["/admin", "/admin/"] {
        b.get(path).await.assert_redirect("/admin/change-password");
    }
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(403, "password_change_required");
    let page = b.get("/admin/change-password").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Your password must be changed"));
    let csrf = page.hidden("csrf").expect("csrf");

    // Logout is allowed.
    let mut leaving = Browser::new(&server);
    leaving
        .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_redirect("/admin/change-password");
    let leaving_csrf = leaving.page_csrf("/admin/change-password").await;
    leaving
        .post_form("/admin/logout", &[("csrf", &leaving_csrf)])
        .await
        .assert_redirect("/admin/login");

    // Changing the password lifts the restriction for this session.
    b.post_form(
        "/admin/change-password",
        &[
            ("csrf", &csrf),
            ("current", ADMIN_PASSWORD),
            ("new", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ],
    )
    .await
    .assert_redirect("/admin");
    assert_eq!(b.get("/admin").await.status, 200);
    let me = b.api(Method::GET, "/api/v1/admin/me", None, None).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(
        db.scalar(&format!(
            "SELECT CAST(CAST(must_change_password AS INTEGER) AS TEXT) FROM users \
             WHERE email = '{ADMIN_EMAIL}'"
        ))
        .await,
        "0"
    );
    let changed = audit_rows(&db, "password.changed").await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].1["was_forced"], true);
    // The next sign-in goes straight to the dashboard.
    Browser::new(&server)
        .sign_in(ADMIN_EMAIL, NEW_PASSWORD)
        .await
        .assert_redirect("/admin");
}

async fn forcing_a_rotation_confines_an_already_open_session_at_once(backend: Backend) {
    let (db, server) = setup(backend, false).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = b.api_csrf().await;
    assert_eq!(b.get("/admin").await.status, 200);
    let flag = match db.backend {
        Backend::Sqlite => "1",
        Backend::Postgres => "TRUE",
    };
    db.exec(&format!(
        "UPDATE users SET must_change_password = {flag} WHERE email = '{ADMIN_EMAIL}'"
    ))
    .await;
    b.get("/admin")
        .await
        .assert_redirect("/admin/change-password");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(403, "password_change_required");
    b.api(Method::GET, "/api/v1/admin/me", None, Some(&token))
        .await
        .assert_api_error(403, "password_change_required");
}

async fn without_a_session_pages_redirect_to_sign_in_and_the_api_answers_401(backend: Backend) {
    let (_db, server) = setup(backend, false).await;
    let mut anon = Browser::new(&server);
    for path in ["/admin", "/admin/", "/admin/change-password"] {
        anon.get(path).await.assert_redirect("/admin/login");
    }
    for path in ["/admin/logout", "/admin/change-password"] {
        anon.post_form(path, &[("csrf", "x")])
            .await
            .assert_redirect("/admin/login");
    }
    anon.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
    // A cookie that names no session is the same as none.
    anon.cookies.insert("gw_session".into(), "f".repeat(64));
    anon.get("/admin").await.assert_redirect("/admin/login");
    anon.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
}

/// The admin API answers 401 to callers without a session and 403 `password_change_required`
/// to sessions that must rotate, on every path under `/api/v1/admin/` — including paths no
/// handler owns, so the API's shape is not discoverable before signing in.
async fn every_admin_api_path_refuses_callers_without_a_usable_session(backend: Backend) {
    let (_db, server) = setup(backend, true).await;
    let mut anon = Browser::new(&server);
    for path in ["/api/v1/admin/me", "/api/v1/admin/teams", "/api/v1/admin"] {
        anon.api(Method::GET, path, None, None)
            .await
            .assert_api_error(401, "unauthenticated");
    }
    anon.api(Method::POST, PROBE, Some(&json!({})), None)
        .await
        .assert_api_error(401, "unauthenticated");

    let mut rotating = Browser::new(&server);
    rotating.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let csrf = rotating.page_csrf("/admin/change-password").await;
    for path in ["/api/v1/admin/me", "/api/v1/admin/teams", "/api/v1/admin"] {
        rotating
            .api(Method::GET, path, None, None)
            .await
            .assert_api_error(403, "password_change_required");
    }
    rotating
        .api(Method::POST, PROBE, Some(&json!({})), Some(&csrf))
        .await
        .assert_api_error(403, "password_change_required");
}

fn plane_config(up: &FakeUpstream) -> String {
    format!(
        r#"{admin}teams: [{{ id: platform, name: Platform }}]
service_accounts: [{{ id: ci, team: platform, name: CI }}]
providers:
  - {{ id: up, kind: openai_compat, base_url: "{url}", api_key: env://UPSTREAM_KEY }}
models:
  - id: small
    routes: [{{ provider: up, model: upstream-small, pricing: {{ input: "0.15", output: "0.60" }} }}]
"#,
        admin = admin_config(false),
        url = up.base_url
    )
}

async fn plane(backend: Backend, up: &FakeUpstream) -> (TestDb, Gateway, Server, String) {
    let db = TestDb::new(backend).await;
    let gw = Gateway::new(&db, &plane_config(up))
        .env("GATEWAY_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("UPSTREAM_KEY", "sk-upstream");
    let server = gw.serve().await;
    let key = issue(&gw, &["--service-account", "ci", "--name", "ci-key"])
        .await
        .key;
    common::plane::wait_until_accepted(&server, &key).await;
    (db, gw, server, key)
}

async fn a_data_plane_credential_cannot_use_the_control_plane(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let (_db, _gw, server, key) = plane(backend, &up).await;
    assert!(key.starts_with("gw_"), "{key}");
    let mut b = Browser::new(&server);

    let req = b.request(Method::GET, "/api/v1/admin/me").bearer_auth(&key);
    b.send(req).await.assert_api_error(401, "invalid_token");
    let req = b.request(Method::GET, "/admin").bearer_auth(&key);
    b.send(req).await.assert_redirect("/admin/login");
    let req = b
        .request(Method::POST, "/admin/logout")
        .bearer_auth(&key)
        .header("x-csrf-token", &key);
    b.send(req).await.assert_redirect("/admin/login");
    // Nor as a cookie.
    b.cookies.insert("gw_session".into(), key.clone());
    b.get("/admin").await.assert_redirect("/admin/login");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
}

async fn an_admin_session_cannot_use_the_data_plane(backend: Backend) {
    let up = FakeUpstream::start("up", Behavior::Ok).await;
    let (_db, _gw, server, key) = plane(backend, &up).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = b.cookie("gw_session").unwrap();
    let csrf = b.api_csrf().await;
    let chat = json!({"model": "small", "messages": [{"role": "user", "content": "hi"}]});

    let assert_401 = |page: &Page, what: &str| {
        assert_eq!(page.status, 401, "{what}: {}", page.text);
        let error = &page.json()["error"];
        assert!(
            error["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{what}: {}",
            page.text
        );
    };
    let page = b.get("/v1/models").await;
    assert_401(&page, "models with the session cookie");
    let req = b
        .request(Method::POST, "/v1/chat/completions")
        .header("x-csrf-token", &csrf)
        .json(&chat);
    assert_401(&b.send(req).await, "chat with the session cookie");
    // The session token is not an API key either.
    let req = b.request(Method::GET, "/v1/models").bearer_auth(&token);
    assert_401(
        &b.send(req).await,
        "models with the session token as bearer",
    );
    let req = b
        .request(Method::POST, "/v1/chat/completions")
        .bearer_auth(&token)
        .json(&chat);
    assert_401(&b.send(req).await, "chat with the session token as bearer");
    assert!(
        up.shared.received.lock().unwrap().is_empty(),
        "nothing reached the upstream"
    );

    // The same client with the data-plane key is served: the 401s above were about the cookie.
    let req = b
        .request(Method::POST, "/v1/chat/completions")
        .bearer_auth(&key)
        .json(&chat);
    let page = b.send(req).await;
    assert_eq!(page.status, 200, "{}", page.text);
}

both_backends!(
    every_admin_response_carries_the_security_headers,
    admin_pages_that_do_not_exist_still_carry_the_security_headers,
    a_user_who_must_change_their_password_reaches_only_that_page_and_logout,
    forcing_a_rotation_confines_an_already_open_session_at_once,
    without_a_session_pages_redirect_to_sign_in_and_the_api_answers_401,
    every_admin_api_path_refuses_callers_without_a_usable_session,
    a_data_plane_credential_cannot_use_the_control_plane,
    an_admin_session_cannot_use_the_data_plane,
);
