//! CSRF protection over HTTP against `gateway serve`: every state-changing request under
//! `/admin` and `/api/v1/admin` needs the session's own token (form field `csrf` or header
//! `x-csrf-token`), checked before anything else; sign-in uses the `gw_pre` double-submit
//! cookie. Refused requests change nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Page, admin_config, audit_rows, serve_admin,
};
use common::{Backend, Server, TestDb};
use reqwest::Method;
use serde_json::json;

const NEW_PASSWORD: &str = "Fresh-Passphrase-For-2025";
/// An API path no handler owns: writes to it must still pass the CSRF check first.
const PROBE: &str = "/api/v1/admin/csrf-probe";
const WRITES: [Method; 4] = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];

async fn setup(backend: Backend, require_password_change: bool) -> (TestDb, Server) {
    let db = TestDb::new(backend).await;
    let server = serve_admin(&db, &admin_config(require_password_change)).await;
    (db, server)
}

async fn password_hash(db: &TestDb) -> String {
    db.scalar(&format!(
        "SELECT password_hash FROM users WHERE email = '{ADMIN_EMAIL}'"
    ))
    .await
}

async fn logout_needs_the_sessions_csrf_token_and_survives_without_it(backend: Backend) {
    let (_db, server) = setup(backend, false).await;
    let mut a = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut other = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = a.page_csrf("/admin").await;
    let others_token = other.page_csrf("/admin").await;
    assert_ne!(token, others_token, "each session has its own CSRF token");

    for fields in [
        vec![],
        vec![("csrf", "")],
        vec![("csrf", "0000")],
        vec![("csrf", others_token.as_str())],
    ] {
        let page = a.post_form("/admin/logout", &fields).await;
        assert_eq!(page.status, 403, "{fields:?}: {}", page.text);
        assert!(page.set_cookie("gw_session").is_none());
    }
    let wrong_header = a
        .request(Method::POST, "/admin/logout")
        .header("x-csrf-token", &others_token);
    assert_eq!(a.send(wrong_header).await.status, 403);
    assert_eq!(a.get("/admin").await.status, 200, "the session survived");

    // The header works as well as the form field.
    let req = a
        .request(Method::POST, "/admin/logout")
        .header("x-csrf-token", &token);
    a.send(req).await.assert_redirect("/admin/login");
    a.get("/admin").await.assert_redirect("/admin/login");
    assert_eq!(
        other.get("/admin").await.status,
        200,
        "only that session ended"
    );
}

async fn change_password_without_the_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let (db, server) = setup(backend, false).await;
    let before = password_hash(&db).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for csrf in [None, Some("not-the-token")] {
        let mut fields = vec![
            ("current", ADMIN_PASSWORD),
            ("new", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
        }
        let page = b.post_form("/admin/change-password", &fields).await;
        assert_eq!(page.status, 403, "{csrf:?}: {}", page.text);
    }
    assert_eq!(password_hash(&db).await, before);
    Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

async fn admin_api_writes_need_the_sessions_csrf_token_before_anything_else(backend: Backend) {
    let (_db, server) = setup(backend, false).await;
    let mut a = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut other = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = a.api_csrf().await;
    let others_token = other.api_csrf().await;
    let body = json!({"name": "x"});
    for method in WRITES {
        for csrf in [None, Some(""), Some("forged"), Some(others_token.as_str())] {
            a.api(method.clone(), PROBE, Some(&body), csrf)
                .await
                .assert_api_error(403, "csrf_failed");
        }
        // With the right token the request gets past the check (to "no such endpoint").
        a.api(method.clone(), PROBE, Some(&body), Some(&token))
            .await
            .assert_api_error(404, "not_found");
    }
    // A form-encoded body with the right `csrf` field is accepted on the API too.
    let req = a
        .request(Method::POST, PROBE)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}"));
    a.send(req).await.assert_api_error(404, "not_found");
    // Reads need no token.
    let me = a.api(Method::GET, "/api/v1/admin/me", None, None).await;
    assert_eq!(me.status, 200, "{}", me.text);
}

async fn sign_in_needs_the_pre_session_cookie_and_the_form_token_to_match(backend: Backend) {
    let (db, server) = setup(backend, false).await;
    let creds = [("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)];
    let with = |csrf: Option<&str>| {
        let mut f: Vec<(&str, String)> = creds.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Some(c) = csrf {
            f.push(("csrf", c.to_string()));
        }
        f
    };
    async fn post(b: &mut Browser, fields: &[(&str, String)]) -> Page {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post_form("/admin/login", &f).await
    }

    // No cookie at all (a cross-site form post): refused, whatever the field says.
    let mut b = Browser::new(&server);
    let forged = "a".repeat(64);
    for csrf in [None, Some(forged.as_str())] {
        let page = post(&mut b, &with(csrf)).await;
        assert_eq!(page.status, 403, "{csrf:?}: {}", page.text);
        assert!(page.set_cookie("gw_session").is_none());
    }
    // A cookie, but a missing or different field.
    let token = b.login_csrf().await;
    for csrf in [None, Some(""), Some(forged.as_str())] {
        let page = post(&mut b, &with(csrf)).await;
        assert_eq!(page.status, 403, "{csrf:?}: {}", page.text);
        assert!(page.set_cookie("gw_session").is_none());
    }
    // The right field without its cookie.
    let mut cookieless = Browser::new(&server);
    assert_eq!(post(&mut cookieless, &with(Some(&token))).await.status, 403);
    // Refused posts never reached the password check.
    assert!(audit_rows(&db, "login.failed").await.is_empty());
    assert!(audit_rows(&db, "login.succeeded").await.is_empty());

    post(&mut b, &with(Some(&token)))
        .await
        .assert_redirect("/admin");
}

both_backends!(
    logout_needs_the_sessions_csrf_token_and_survives_without_it,
    change_password_without_the_csrf_token_is_refused_and_changes_nothing,
    admin_api_writes_need_the_sessions_csrf_token_before_anything_else,
    sign_in_needs_the_pre_session_cookie_and_the_form_token_to_match,
);
