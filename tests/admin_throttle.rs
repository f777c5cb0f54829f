//! Sign-in throttling over HTTP against `gateway serve`: more than five failures within 15
//! minutes lock the account (from every address) and the client address (for every account),
//! even for the right password; the lock is temporary, a success resets the account's count,
//! the answers never reveal whether an account exists, and concurrent guesses cannot slip past
//! the limit. Client addresses vary by connecting from different 127.0.0.0/8 addresses.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::admin::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Browser, LOGIN_FAILED, admin_config, assert_refused,
    assert_throttled, insert_user, is_throttled, serve_admin, shifted,
};
use common::{Backend, Server, TestDb};

const OTHER_PASSWORD: &str = "Another-Strong-Passphrase-7";

async fn setup(backend: Backend) -> (TestDb, Server) {
    let db = TestDb::new(backend).await;
    let server = serve_admin(&db, &admin_config(false)).await;
    (db, server)
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

both_backends!(
    five_failures_lock_the_account_from_every_address_even_for_the_right_password,
    four_failures_do_not_lock_the_account_and_a_success_resets_its_count,
    five_failures_from_one_address_lock_that_address_for_every_account,
    throttling_answers_identically_for_existing_and_unknown_accounts,
    concurrent_guesses_cannot_outrun_the_account_lock,
);
