//! Control-plane sign-in over HTTP against `gateway serve`: the session cookie and its flags,
//! one generic refusal whatever the reason, the audit trail, logout, and idle / absolute
//! session expiry. Throttling lives in `admin_throttle.rs`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, LOGIN_FAILED, admin_config, assert_refused,
    assert_throttled, audit_rows, insert_user, now_plus, serve_admin, shifted,
};
use common::{Backend, Server, TestDb};
use reqwest::Method;
use sha2::{Digest, Sha256};

const OTHER_PASSWORD: &str = "Another-Strong-Passphrase-7";

async fn setup(backend: Backend) -> (TestDb, Server) {
    let db = TestDb::new(backend).await;
    let server = serve_admin(&db, &admin_config(false)).await;
    (db, server)
}

fn hex_of(db: &TestDb, column: &str) -> String {
    match db.backend {
        Backend::Sqlite => format!("lower(hex({column}))"),
        Backend::Postgres => format!("encode({column}, 'hex')"),
    }
}

async fn signing_in_sets_an_http_only_same_site_session_cookie_and_opens_the_dashboard(
    backend: Backend,
) {
    let (db, server) = setup(backend).await;
    let mut b = Browser::new(&server);
    let page = b.get("/admin/login").await;
    assert_eq!(page.status, 200);
    let pre = page
        .set_cookie("gw_pre")
        .expect("the sign-in page sets gw_pre");
    assert!(
        pre.contains("; HttpOnly") && pre.contains("; SameSite=Lax"),
        "{pre}"
    );
    assert!(!pre.contains("Secure"), "{pre}");
    let csrf = page.hidden("csrf").expect("csrf field");
    assert_eq!(b.cookie("gw_pre").as_deref(), Some(csrf.as_str()));
    assert_eq!(page.hidden("next").as_deref(), Some("/admin"));

    let page = b
        .post_form(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin"),
            ],
        )
        .await;
    page.assert_redirect("/admin");
    let cookie = page.set_cookie("gw_session").expect("session cookie");
    let token = b.cookie("gw_session").expect("session token");
    assert_eq!(
        cookie,
        format!("gw_session={token}; Path=/; HttpOnly; SameSite=Lax")
    );
    assert!(token.len() >= 32, "token too short: {token}");

    // The database keeps only the SHA-256 of the token.
    let stored = db
        .scalar(&format!(
            "SELECT {} FROM sessions",
            hex_of(&db, "token_hash")
        ))
        .await;
    assert_eq!(stored, hex::encode(Sha256::digest(token.as_bytes())));
    assert!(!stored.contains(&token));

    let dash = b.get("/admin").await;
    assert_eq!(dash.status, 200, "{}", dash.text);
    assert!(dash.text.contains(ADMIN_EMAIL), "dashboard names the user");
    let me = b.api(Method::GET, "/api/v1/admin/me", None, None).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["email"], ADMIN_EMAIL);
    assert_eq!(me.json()["platform_admin"], true);
}

async fn with_an_https_public_url_the_session_and_pre_session_cookies_are_secure(backend: Backend) {
    let db = TestDb::new(backend).await;
    let yaml = format!(
        "{}server:\n  bind: 127.0.0.1:0\n  public_url: https://gateway.example.com\n  \
         shutdown_grace_seconds: 5\n",
        admin_config(false)
    );
    let server = serve_admin(&db, &yaml).await;
    let mut b = Browser::new(&server);
    let csrf = b.login_csrf().await;
    let page = b
        .post_form(
            "/admin/login",
            &[
                ("csrf", &csrf),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    page.assert_redirect("/admin");
    let token = b.cookie("gw_session").expect("session token");
    assert_eq!(
        page.set_cookie("gw_session").as_deref(),
        Some(format!("gw_session={token}; Path=/; HttpOnly; SameSite=Lax; Secure").as_str())
    );
    let page = Browser::new(&server).get("/admin/login").await;
    let pre = page.set_cookie("gw_pre").expect("gw_pre");
    assert!(pre.contains("; Secure"), "{pre}");
}

async fn sign_in_follows_only_a_same_site_admin_next_path(backend: Backend) {
    let (_db, server) = setup(backend).await;
    for (next, target) in [
        ("/admin/audit", "/admin/audit"),
        ("https://evil.example.com/admin", "/admin"),
        ("//evil.example.com/admin", "/admin"),
        ("/v1/models", "/admin"),
    ] {
        let mut b = Browser::new(&server);
        let csrf = b.login_csrf().await;
        let page = b
            .post_form(
                "/admin/login",
                &[
                    ("csrf", &csrf),
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        page.assert_redirect(target);
    }
}

async fn unknown_email_wrong_password_and_inactive_users_get_one_identical_refusal(
    backend: Backend,
) {
    let (db, server) = setup(backend).await;
    insert_user(
        &db,
        "gone@example.com",
        Some(OTHER_PASSWORD),
        "disabled",
        false,
        false,
    )
    .await;
    insert_user(&db, "new@example.com", None, "invited", false, false).await;

    let attempts = [
        ("nobody@example.com", OTHER_PASSWORD),
        (ADMIN_EMAIL, "Wrong-Horse-Battery-42"),
        ("gone@example.com", OTHER_PASSWORD),
        ("new@example.com", ""),
        ("not an e-mail", OTHER_PASSWORD),
    ];
    let mut bodies = Vec::new();
    for (email, password) in attempts {
        let mut b = Browser::new(&server);
        let page = b.sign_in(email, password).await;
        assert_refused(&page, LOGIN_FAILED);
        assert_eq!(b.cookie("gw_session"), None);
        // The same page whatever the reason, apart from the echoed e-mail and the CSRF value.
        let csrf = page.hidden("csrf").expect("csrf");
        let email_html = page.hidden("email").unwrap_or_default();
        bodies.push(
            page.text
                .replace(&csrf, "CSRF")
                .replace(&format!("value=\"{}\"", html_escape(&email_html)), "EMAIL"),
        );
    }
    for (i, body) in bodies.iter().enumerate().skip(1) {
        assert_eq!(body, &bodies[0], "refusal {i} differs from refusal 0");
    }
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM sessions")
            .await,
        "0"
    );
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn every_sign_in_outcome_is_audited_with_its_reason_and_client_address(backend: Backend) {
    let (db, server) = setup(backend).await;
    insert_user(
        &db,
        "gone@example.com",
        Some(OTHER_PASSWORD),
        "disabled",
        false,
        false,
    )
    .await;
    let mut b = Browser::new(&server);
    assert_refused(
        &b.sign_in("nobody@example.com", OTHER_PASSWORD).await,
        LOGIN_FAILED,
    );
    assert_refused(
        &b.sign_in(ADMIN_EMAIL, "Wrong-Horse-Battery-42").await,
        LOGIN_FAILED,
    );
    assert_refused(
        &b.sign_in("gone@example.com", OTHER_PASSWORD).await,
        LOGIN_FAILED,
    );
    b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_redirect("/admin");

    let failed = audit_rows(&db, "login.failed").await;
    let reasons: Vec<_> = failed
        .iter()
        .map(|(_, d, _)| (d["email"].as_str().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("nobody@example.com", "unknown_account"),
            (ADMIN_EMAIL, "wrong_password"),
            ("gone@example.com", "inactive_account")
        ]
    );
    for (actor, details, addr) in &failed {
        assert_eq!(actor, "anonymous");
        assert_eq!(addr, "127.0.0.1");
        let text = details.to_string();
        assert!(!text.contains("Wrong-Horse") && !text.contains(OTHER_PASSWORD));
    }
    let admin_id = db
        .scalar(&format!(
            "SELECT id FROM users WHERE email = '{ADMIN_EMAIL}'"
        ))
        .await;
    let ok = audit_rows(&db, "login.succeeded").await;
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert_eq!(
        (ok[0].0.as_str(), ok[0].2.as_str()),
        (admin_id.as_str(), "127.0.0.1")
    );
    assert!(!ok[0].1.to_string().contains(ADMIN_PASSWORD));

    // Throttled attempts are audited too.
    for _ in 0..2 {
        b.sign_in(ADMIN_EMAIL, "Wrong-Horse-Battery-42").await;
    }
    assert_throttled(&b.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await);
    let throttled = audit_rows(&db, "login.throttled").await;
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert_eq!(throttled[0].1["email"], ADMIN_EMAIL);
    assert_eq!(throttled[0].2, "127.0.0.1");
}

async fn logging_out_ends_the_session_so_the_old_cookie_no_longer_works(backend: Backend) {
    let (db, server) = setup(backend).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = b.cookie("gw_session").unwrap();
    let csrf = b.page_csrf("/admin").await;
    let page = b.post_form("/admin/logout", &[("csrf", &csrf)]).await;
    page.assert_redirect("/admin/login");
    let cleared = page.set_cookie("gw_session").expect("cookie cleared");
    assert!(
        cleared.starts_with("gw_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(b.cookie("gw_session"), None);
    assert_eq!(
        db.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM sessions WHERE ended_at IS NOT NULL")
            .await,
        "1"
    );

    // Replaying the old cookie: the session is over on the server, not just in the browser.
    b.cookies.insert("gw_session".into(), token);
    b.get("/admin").await.assert_redirect("/admin/login");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
    let again = b.post_form("/admin/logout", &[("csrf", &csrf)]).await;
    again.assert_redirect("/admin/login");
}

async fn a_session_idle_for_more_than_two_hours_is_over(backend: Backend) {
    let (db, server) = setup(backend).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(b.get("/admin").await.status, 200);
    db.exec(&format!(
        "UPDATE sessions SET last_seen_at = {}",
        shifted(&db, "last_seen_at", 2 * 3600 + 60)
    ))
    .await;
    b.get("/admin").await.assert_redirect("/admin/login");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
}

async fn a_session_in_use_stays_open_because_each_request_renews_its_idle_time(backend: Backend) {
    let (db, server) = setup(backend).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // Twice 1 h 50 min of idleness, with one request in between: 3 h 40 min since sign-in, but
    // never two hours without a request.
    for _ in 0..2 {
        db.exec(&format!(
            "UPDATE sessions SET last_seen_at = {}",
            shifted(&db, "last_seen_at", 110 * 60)
        ))
        .await;
        let page = b.get("/admin").await;
        assert_eq!(page.status, 200, "{}", page.text);
    }
}

async fn a_session_ends_twelve_hours_after_sign_in_however_active(backend: Backend) {
    let (db, server) = setup(backend).await;
    let mut b = Browser::signed_in(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let lifetime = match db.backend {
        Backend::Sqlite => "CAST((expires_at - created_at) / 1000 AS TEXT)",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM expires_at - created_at)::bigint AS TEXT)",
    };
    assert_eq!(
        db.scalar(&format!("SELECT {lifetime} FROM sessions")).await,
        (12 * 3600).to_string()
    );
    db.exec(&format!(
        "UPDATE sessions SET expires_at = {}",
        now_plus(&db, -1)
    ))
    .await;
    b.get("/admin").await.assert_redirect("/admin/login");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
}

async fn a_deactivated_users_open_session_stops_working_at_once(backend: Backend) {
    let (db, server) = setup(backend).await;
    insert_user(
        &db,
        "ops@example.com",
        Some(OTHER_PASSWORD),
        "active",
        true,
        false,
    )
    .await;
    let mut b = Browser::signed_in(&server, "ops@example.com", OTHER_PASSWORD).await;
    assert_eq!(b.get("/admin").await.status, 200);
    db.exec("UPDATE users SET status = 'disabled' WHERE email = 'ops@example.com'")
        .await;
    b.get("/admin").await.assert_redirect("/admin/login");
    b.api(Method::GET, "/api/v1/admin/me", None, None)
        .await
        .assert_api_error(401, "unauthenticated");
}

both_backends!(
    signing_in_sets_an_http_only_same_site_session_cookie_and_opens_the_dashboard,
    with_an_https_public_url_the_session_and_pre_session_cookies_are_secure,
    sign_in_follows_only_a_same_site_admin_next_path,
    unknown_email_wrong_password_and_inactive_users_get_one_identical_refusal,
    every_sign_in_outcome_is_audited_with_its_reason_and_client_address,
    logging_out_ends_the_session_so_the_old_cookie_no_longer_works,
    a_session_idle_for_more_than_two_hours_is_over,
    a_session_in_use_stays_open_because_each_request_renews_its_idle_time,
    a_session_ends_twelve_hours_after_sign_in_however_active,
    a_deactivated_users_open_session_stops_working_at_once,
);
