//! Control-plane sign-in over HTTP against `gateway serve`: the session cookie and its flags,
//! one generic refusal, throttling per account and per client address (without revealing
//! whether an account exists), the audit trail, logout, and idle / absolute session expiry.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, LOGIN_FAILED, Page, admin_config, audit_rows,
    insert_user, now_plus, serve_admin, shifted,
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

/// The throttling message, with whatever number of minutes.
fn is_throttled(page: &Page) -> bool {
    page.alert().is_some_and(|a| {
        a.starts_with("Too many sign-in attempts. Try again in ") && a.ends_with(" minute(s).")
    })
}

/// A refused sign-in: 401, the sign-in page again, no session cookie.
#[track_caller]
fn assert_refused(page: &Page, alert: &str) {
    assert_eq!(page.status, 401, "{}", page.text);
    assert_eq!(page.alert().as_deref(), Some(alert), "{}", page.text);
    assert!(
        page.set_cookie("gw_session").is_none(),
        "a refused sign-in set a session: {:?}",
        page.set_cookies()
    );
}

#[track_caller]
fn assert_throttled(page: &Page) {
    assert_eq!(page.status, 401, "{}", page.text);
    assert!(is_throttled(page), "not throttled: {:?}", page.alert());
    assert!(page.set_cookie("gw_session").is_none());
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

async fn five_failures_lock_the_account_from_every_address_even_for_the_right_password(
    backend: Backend,
) {
    let (db, server) = setup(backend).await;
    insert_user(
        &db,
        "ops@example.com",
        Some(OTHER_PASSWORD),
        "active",
        false,
        false,
    )
    .await;
    // One failure from each of five addresses: no address reaches the limit, the account does
    // (however its e-mail is spelled).
    let spellings = [
        ADMIN_EMAIL,
        "ADMIN@EXAMPLE.COM",
        " admin@example.com ",
        "Admin@Example.com",
        ADMIN_EMAIL,
    ];
    for (i, email) in spellings.into_iter().enumerate() {
        let mut b = Browser::from_addr(&server, &format!("127.0.0.{}", i + 2));
        assert_refused(
            &b.sign_in(email, "Wrong-Horse-Battery-42").await,
            LOGIN_FAILED,
        );
    }
    let mut fresh = Browser::from_addr(&server, "127.0.0.7");
    assert_throttled(&fresh.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await);
    assert_eq!(fresh.cookie("gw_session"), None);
    // Only that account: another one signs in from the same address.
    fresh
        .sign_in("ops@example.com", OTHER_PASSWORD)
        .await
        .assert_redirect("/admin");
    // The lock is temporary: once the failures leave the 15-minute window, sign-in works.
    db.exec(&format!(
        "UPDATE login_failures SET at = {}",
        shifted(&db, "at", 16 * 60)
    ))
    .await;
    Browser::from_addr(&server, "127.0.0.8")
        .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_redirect("/admin");
}

async fn four_failures_do_not_lock_the_account_and_a_success_resets_its_count(backend: Backend) {
    let (_db, server) = setup(backend).await;
    for round in 0..2 {
        for i in 2..=5 {
            let mut b = Browser::from_addr(&server, &format!("127.0.{round}.{i}"));
            assert_refused(
                &b.sign_in(ADMIN_EMAIL, "Wrong-Horse-Battery-42").await,
                LOGIN_FAILED,
            );
        }
        Browser::from_addr(&server, &format!("127.0.{round}.9"))
            .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .assert_redirect("/admin");
    }
}

async fn five_failures_from_one_address_lock_that_address_for_every_account(backend: Backend) {
    let (_db, server) = setup(backend).await;
    let mut attacker = Browser::from_addr(&server, "127.0.0.2");
    for i in 0..5 {
        let page = attacker
            .sign_in(&format!("guess{i}@example.com"), OTHER_PASSWORD)
            .await;
        assert_refused(&page, LOGIN_FAILED);
    }
    assert_throttled(&attacker.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await);
    // Another address is not affected, and the admin account itself is not locked.
    Browser::from_addr(&server, "127.0.0.3")
        .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .assert_redirect("/admin");
}

async fn throttling_answers_identically_for_existing_and_unknown_accounts(backend: Backend) {
    let (_db, server) = setup(backend).await;
    // Each account is tried six times, each try from its own address (so only the account
    // counter can trip). The existing account's sixth try even uses the right password.
    let mut transcripts: Vec<Vec<(u16, Option<String>)>> = Vec::new();
    for (n, (email, right)) in [
        (ADMIN_EMAIL, ADMIN_PASSWORD),
        ("ghost@example.com", ADMIN_PASSWORD),
    ]
    .into_iter()
    .enumerate()
    {
        let mut transcript = Vec::new();
        for i in 0..6 {
            let mut b = Browser::from_addr(&server, &format!("127.0.{}.{}", n + 1, i + 2));
            let password = if i == 5 {
                right
            } else {
                "Wrong-Horse-Battery-42"
            };
            let page = b.sign_in(email, password).await;
            assert!(page.set_cookie("gw_session").is_none(), "{email} try {i}");
            transcript.push((page.status, page.alert()));
        }
        transcripts.push(transcript);
    }
    assert_eq!(transcripts[0], transcripts[1]);
    assert_eq!(transcripts[0][4], (401, Some(LOGIN_FAILED.to_string())));
    let (status, alert) = &transcripts[0][5];
    assert_eq!(*status, 401);
    assert!(
        alert
            .as_deref()
            .is_some_and(|a| a.starts_with("Too many sign-in attempts")),
        "{alert:?}"
    );
}

async fn concurrent_guesses_cannot_outrun_the_account_lock(backend: Backend) {
    let (db, server) = setup(backend).await;
    // Twenty guesses sent at once, each from its own address so only the account counter
    // applies. Checking the lock and recording a failure must not race: at most five guesses
    // may be judged, the rest must be throttled.
    let mut ready = Vec::new();
    for i in 0..20 {
        let mut b = Browser::from_addr(&server, &format!("127.0.3.{}", i + 2));
        let csrf = b.login_csrf().await;
        ready.push((b, csrf));
    }
    let guesses = ready.into_iter().map(|(mut b, csrf)| async move {
        b.post_form(
            "/admin/login",
            &[
                ("csrf", csrf.as_str()),
                ("email", ADMIN_EMAIL),
                ("password", "Wrong-Horse-Battery-42"),
            ],
        )
        .await
    });
    let pages = futures_util::future::join_all(guesses).await;
    let judged = pages
        .iter()
        .filter(|p| p.alert().as_deref() == Some(LOGIN_FAILED))
        .count();
    let throttled = pages.iter().filter(|p| is_throttled(p)).count();
    assert_eq!(
        judged + throttled,
        20,
        "every guess was refused one way or the other"
    );
    let failures = db
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM login_failures WHERE key = 'email:{ADMIN_EMAIL}'"
        ))
        .await;
    assert!(
        judged <= 5,
        "{judged} of 20 concurrent guesses had their password checked ({failures} failures \
         recorded for the account); the lock allows 5"
    );
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
    five_failures_lock_the_account_from_every_address_even_for_the_right_password,
    four_failures_do_not_lock_the_account_and_a_success_resets_its_count,
    five_failures_from_one_address_lock_that_address_for_every_account,
    throttling_answers_identically_for_existing_and_unknown_accounts,
    concurrent_guesses_cannot_outrun_the_account_lock,
    logging_out_ends_the_session_so_the_old_cookie_no_longer_works,
    a_session_idle_for_more_than_two_hours_is_over,
    a_session_in_use_stays_open_because_each_request_renews_its_idle_time,
    a_session_ends_twelve_hours_after_sign_in_however_active,
    a_deactivated_users_open_session_stops_working_at_once,
);
