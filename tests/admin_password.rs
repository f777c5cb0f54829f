//! Changing a control-plane password over HTTP: the policy (length, deny-list, not the e-mail,
//! not the current password, confirmation) answered with a 400 page naming the problem, and a
//! successful change that ends the user's other sessions, and only theirs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, LOGIN_FAILED, admin_config, audit_rows, insert_user,
    serve_admin,
};
use common::{Backend, Server, TestDb};
use reqwest::Method;

const NEW_PASSWORD: &str = "Fresh-Passphrase-For-2025";
const OPS_PASSWORD: &str = "Another-Strong-Passphrase-7";

async fn setup(backend: Backend) -> (TestDb, Server) {
    let db = TestDb::new(backend).await;
    let server = serve_admin(&db, &admin_config(false)).await;
    (db, server)
}

async fn password_hash(db: &TestDb, email: &str) -> String {
    db.scalar(&format!(
        "SELECT password_hash FROM users WHERE email = '{email}'"
    ))
    .await
}

async fn change(b: &mut Browser, current: &str, new: &str, confirm: &str) -> common::admin::Page {
    let csrf = b.page_csrf("/admin/change-password").await;
    b.post_form(
        "/admin/change-password",
        &[
            ("csrf", &csrf),
            ("current", current),
            ("new", new),
            ("confirm", confirm),
        ],
    )
    .await
}

async fn a_password_that_breaks_the_policy_gets_a_400_page_naming_the_problem(backend: Backend) {
    let (db, server) = setup(backend).await;
    let before = password_hash(&db, ADMIN_EMAIL).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cases = [
        // (current, new, confirm, what the message must say)
        (ADMIN_PASSWORD, "Short-pass1", "Short-pass1", "at least 12"),
        (ADMIN_PASSWORD, "GatewayAdmin", "GatewayAdmin", "well-known"),
        (ADMIN_PASSWORD, "123456789012", "123456789012", "well-known"),
        (
            ADMIN_PASSWORD,
            "Admin@Example.com",
            "Admin@Example.com",
            "e-mail",
        ),
        (ADMIN_PASSWORD, ADMIN_PASSWORD, ADMIN_PASSWORD, "differ"),
        (
            ADMIN_PASSWORD,
            NEW_PASSWORD,
            "Fresh-Passphrase-For-2026",
            "does not match",
        ),
        (
            "Wrong-Horse-Battery-42",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "current password",
        ),
    ];
    for (current, new, confirm, expected) in cases {
        let page = change(&mut b, current, new, confirm).await;
        assert_eq!(page.status, 400, "{new:?}: {}", page.text);
        let alert = page.alert().unwrap_or_default();
        assert!(
            alert.contains(expected),
            "{new:?}: alert {alert:?} should contain {expected:?}"
        );
        assert!(
            page.hidden("csrf").is_some(),
            "{new:?}: the form is shown again"
        );
        assert!(
            !page.text.contains(new),
            "{new:?}: the page must not echo the password"
        );
    }
    assert_eq!(password_hash(&db, ADMIN_EMAIL).await, before);
    assert!(audit_rows(&db, "password.changed").await.is_empty());
    assert_eq!(b.get("/admin").await.status, 200, "still signed in");
}

async fn changing_the_password_ends_the_users_other_sessions_and_only_those(backend: Backend) {
    let (db, server) = setup(backend).await;
    insert_user(
        &db,
        "ops@example.com",
        Some(OPS_PASSWORD),
        "active",
        true,
        false,
    )
    .await;
    let mut here = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut elsewhere = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut colleague = Browser::signed_in(&server, "ops@example.com", OPS_PASSWORD).await;
    for b in [&mut here, &mut elsewhere, &mut colleague] {
        assert_eq!(b.get("/admin").await.status, 200);
    }

    change(&mut here, ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .assert_redirect("/admin");

    assert_eq!(here.get("/admin").await.status, 200, "this session stays");
    elsewhere
        .get("/admin")
        .await
        .assert_redirect("/admin/login");
    elsewhere
        .api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
    assert_eq!(
        colleague.get("/admin").await.status,
        200,
        "another user's session is untouched"
    );

    let changed = audit_rows(&db, "password.changed").await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].1["other_sessions_ended"], 1);
    assert_eq!(changed[0].1["was_forced"], false);
    let text = changed[0].1.to_string();
    assert!(!text.contains(NEW_PASSWORD) && !text.contains(ADMIN_PASSWORD));

    let mut later = Browser::new(&server);
    let page = later.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(page.status, 401);
    assert_eq!(page.alert().as_deref(), Some(LOGIN_FAILED));
    later
        .sign_in(ADMIN_EMAIL, NEW_PASSWORD)
        .await
        .assert_redirect("/admin");
}

both_backends!(
    a_password_that_breaks_the_policy_gets_a_400_page_naming_the_problem,
    changing_the_password_ends_the_users_other_sessions_and_only_those,
);
