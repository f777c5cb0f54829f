//! The link's rules: wrong tokens are refused, audited and limited per address; bad input
//! with the right token creates nothing and keeps the link; N concurrent correct requests —
//! on one server or on two replicas — create exactly one admin; a database error answers 503
//! and creates nothing.

use serde_json::json;

use super::support::{
    STRONG, armed, assert_nothing_created, count, failure_reasons, link_gateway, post_api,
    read_token,
};
use crate::both_backends;
use crate::common::admin::audit_rows;
use crate::common::{Backend, TestDb};

async fn wrong_tokens_are_refused_audited_and_limited_per_address(backend: Backend) {
    let a = armed(backend).await;
    let wrong = format!("gwb_{}", "0".repeat(64));
    for guess in [wrong.as_str(), "", "gwb_short"] {
        let page = post_api(&a.server, "127.0.0.2", &json!({"token": guess})).await;
        page.assert_api_error(401, "invalid_token");
    }
    for _ in 0..2 {
        let page = post_api(&a.server, "127.0.0.2", &json!({"token": wrong})).await;
        page.assert_api_error(401, "invalid_token");
    }
    // Five failures: that address is refused even with the right token…
    let page = post_api(&a.server, "127.0.0.2", &json!({"token": a.token})).await;
    page.assert_api_error(429, "throttled");
    let retry: i64 = page
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((60..=900).contains(&retry), "{retry}");
    assert_nothing_created(&a.db).await;
    assert!(a.token_path.exists());
    assert_eq!(
        failure_reasons(&a.db).await,
        ["wrong_token"; 5]
            .into_iter()
            .chain(["throttled"])
            .collect::<Vec<_>>()
    );
    let addrs: Vec<String> = audit_rows(&a.db, "bootstrap_link.failed")
        .await
        .into_iter()
        .map(|(_, _, addr)| addr)
        .collect();
    assert!(addrs.iter().all(|x| x == "127.0.0.2"), "{addrs:?}");
    // …while sign-in throttling is a separate counter, and another address gets through.
    let page = post_api(&a.server, "127.0.0.3", &json!({"token": a.token})).await;
    assert_eq!(page.status, 201, "{}", page.text);
}

async fn bad_input_with_the_right_token_creates_nothing_and_keeps_the_link(backend: Backend) {
    let a = armed(backend).await;
    let weak = json!({"token": a.token, "email": "ops@example.com", "password": "admin"});
    let page = post_api(&a.server, "127.0.0.1", &weak).await;
    page.assert_api_error(400, "invalid_request");
    assert!(page.text.contains("password"), "{}", page.text);
    let email = json!({"token": a.token, "email": "not-an-address"});
    post_api(&a.server, "127.0.0.1", &email)
        .await
        .assert_api_error(400, "invalid_request");
    let malformed = post_api(&a.server, "127.0.0.1", &json!(["token", a.token])).await;
    malformed.assert_api_error(400, "invalid_request");
    assert!(!malformed.text.contains(&a.token), "the token was echoed");
    assert_nothing_created(&a.db).await;
    assert!(a.token_path.exists());
    assert_eq!(
        failure_reasons(&a.db).await,
        ["invalid_input", "invalid_input"]
    );
    // A disabled account with the address is a conflict, also audited.
    crate::common::admin::insert_user(&a.db, "taken@example.com", None, "disabled", false, false)
        .await;
    let taken = json!({"token": a.token, "email": "taken@example.com", "password": STRONG});
    post_api(&a.server, "127.0.0.1", &taken)
        .await
        .assert_api_error(409, "conflict");
    assert_eq!(failure_reasons(&a.db).await.last().unwrap(), "conflict");
    assert_eq!(count(&a.db, "admin_tokens").await, 0);
    let ok = json!({"token": a.token, "email": "ops@example.com", "password": STRONG});
    assert_eq!(post_api(&a.server, "127.0.0.1", &ok).await.status, 201);
}

async fn concurrent_correct_requests_create_exactly_one_admin(backend: Backend) {
    let a = armed(backend).await;
    let n = 8;
    let requests = (0..n).map(|i| {
        let server = &a.server;
        // Distinct e-mails, so a second admin could not hide behind the same row.
        let body = json!({"token": a.token, "email": format!("admin{i}@example.com")});
        async move { post_api(server, &format!("127.0.9.{}", i + 2), &body).await }
    });
    let pages = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 404),
        "{statuses:?}"
    );
    assert_eq!(count(&a.db, "users").await, 1);
    assert_eq!(count(&a.db, "admin_tokens").await, 1);
    assert_eq!(audit_rows(&a.db, "bootstrap_link.succeeded").await.len(), 1);
}

async fn two_replicas_redeeming_at_once_create_exactly_one_admin(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (gw1, path1) = link_gateway(&db, "token-1");
    let first = gw1.serve().await;
    let (gw2, path2) = link_gateway(&db, "token-2");
    let second = gw2.serve().await;
    let (t1, t2) = (read_token(&path1), read_token(&path2));
    assert_ne!(t1, t2, "each replica arms its own token");
    let (b1, b2) = (json!({"token": t1}), json!({"token": t2}));
    let (p1, p2) = tokio::join!(
        post_api(&first, "127.0.0.1", &b1),
        post_api(&second, "127.0.0.1", &b2),
    );
    let mut statuses = [p1.status, p2.status];
    statuses.sort();
    assert_eq!(statuses, [201, 404], "{} / {}", p1.text, p2.text);
    assert_eq!(count(&db, "users").await, 1);
    assert_eq!(count(&db, "admin_tokens").await, 1);
    // The losing replica saw the admin and deleted its own (now useless) token file too.
    assert!(!path1.exists() && !path2.exists());
}

async fn a_database_error_answers_503_creates_nothing_and_keeps_the_link(backend: Backend) {
    let a = armed(backend).await;
    // The transaction gets as far as inserting the user, then its audit row fails.
    a.db.exec("ALTER TABLE audit_log RENAME TO audit_log_away")
        .await;
    let page = post_api(&a.server, "127.0.0.1", &json!({"token": a.token})).await;
    page.assert_api_error(503, "unavailable");
    assert!(!page.text.contains(&a.token));
    a.db.exec("ALTER TABLE audit_log_away RENAME TO audit_log")
        .await;
    assert_nothing_created(&a.db).await;
    assert!(a.token_path.exists(), "the link must stay usable");
    // Nothing half-done stands in the way of the next try.
    let page = post_api(&a.server, "127.0.0.1", &json!({"token": a.token})).await;
    assert_eq!(page.status, 201, "{}", page.text);
    assert_eq!(count(&a.db, "users").await, 1);
}

both_backends!(
    wrong_tokens_are_refused_audited_and_limited_per_address,
    bad_input_with_the_right_token_creates_nothing_and_keeps_the_link,
    concurrent_correct_requests_create_exactly_one_admin,
    two_replicas_redeeming_at_once_create_exactly_one_admin,
    a_database_error_answers_503_creates_nothing_and_keeps_the_link,
);
