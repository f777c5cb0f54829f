//! Each operational setting takes effect without a restart: session lifetimes, sign-in
//! throttling, the password length, invite links, a default budget for new service accounts,
//! and request-log retention.

use std::time::Duration;

use serde_json::json;

use super::world::{Api, OWNER, PASSWORD, World};
use crate::both_backends;
use crate::common::admin::{
    Browser, LOGIN_FAILED, assert_refused, assert_throttled, audit_rows, now_plus, shifted,
};
use crate::common::{Backend, eventually, spend};

/// Moves every open session of `email` `seconds` into the past (as if idle that long).
async fn idle_for(w: &World, email: &str, seconds: i64) {
    let last_seen = shifted(&w.db, "last_seen_at", seconds);
    w.db.exec(&format!(
        "UPDATE sessions SET last_seen_at = {last_seen} WHERE user_id = \
         (SELECT id FROM users WHERE email = '{email}')"
    ))
    .await;
}

async fn session_lifetimes_follow_the_settings_without_a_restart(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let mut owner = Browser::signed_in(&w.server, OWNER, PASSWORD).await;

    // Idle for six minutes is fine under the default two hours…
    idle_for(&w, OWNER, 6 * 60).await;
    assert_eq!(owner.get("/admin").await.status, 200);
    // …and ends the open session once the idle timeout is five minutes.
    admin.set("sessions.idle_timeout_minutes", json!(5)).await;
    idle_for(&w, OWNER, 6 * 60).await;
    owner.get("/admin").await.assert_redirect("/admin/login");

    // The absolute lifetime bounds sessions started after the change.
    let ends_within_an_hour = format!(
        "SELECT id FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = '{OWNER}') \
         AND ended_at IS NULL AND expires_at < {}",
        now_plus(&w.db, 3600 + 60)
    );
    Browser::signed_in(&w.server, OWNER, PASSWORD).await;
    assert!(
        w.db.rows(&ends_within_an_hour).await.is_empty(),
        "default: 12 hours"
    );
    admin
        .set("sessions.absolute_lifetime_hours", json!(1))
        .await;
    Browser::signed_in(&w.server, OWNER, PASSWORD).await;
    assert_eq!(w.db.rows(&ends_within_an_hour).await.len(), 1);
}

async fn sign_in_throttling_follows_the_settings(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    // Under the default (five failures), one failure does not lock the account.
    let mut first = Browser::from_addr(&w.server, "127.0.0.2");
    assert_refused(
        &first.sign_in(OWNER, "Wrong-Horse-Battery-42").await,
        LOGIN_FAILED,
    );
    let ok = first.sign_in(OWNER, PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.text);

    admin.set("login_throttle.free_attempts", json!(1)).await;
    let mut second = Browser::from_addr(&w.server, "127.0.0.3");
    assert_refused(
        &second.sign_in(OWNER, "Wrong-Horse-Battery-42").await,
        LOGIN_FAILED,
    );
    assert_throttled(&second.sign_in(OWNER, PASSWORD).await);
}

async fn the_password_length_setting_applies_to_password_changes(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    admin.set("passwords.min_length", json!(20)).await;
    let mut owner = Browser::signed_in(&w.server, OWNER, PASSWORD).await;
    let form = owner.get("/admin/change-password").await;
    assert!(
        form.text.contains("At least 20 characters"),
        "{}",
        form.text
    );
    let csrf = owner.page_csrf("/admin/change-password").await;
    let change = |new: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("current", PASSWORD.to_string()),
            ("new", new.to_string()),
            ("confirm", new.to_string()),
        ]
    };
    // Sixteen characters: enough under the default twelve, not under twenty.
    let fields = change("Zebra-Quartz-917");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = owner.post_form("/admin/change-password", &pairs).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let alert = refused.alert().expect("an alert");
    assert!(alert.contains("at least 20"), "{alert}");

    admin.set("passwords.min_length", json!(12)).await;
    let accepted = owner.post_form("/admin/change-password", &pairs).await;
    accepted.assert_redirect("/admin");
}

async fn new_invites_use_the_invite_lifetime_and_public_base_url_settings(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let invite = |email: &str| json!({"email": email, "name": "New"});
    let before = Api::expect(&admin.post("/invites", invite("a@example.com")).await, 201);
    let link = before["link"].as_str().unwrap();
    assert!(
        link.starts_with("http://127.0.0.1:8080/admin/invite/"),
        "{link}"
    );
    let lasts = |v: &serde_json::Value| {
        let at = chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).unwrap();
        at.with_timezone(&chrono::Utc) - chrono::Utc::now()
    };
    assert!(lasts(&before) > chrono::Duration::days(6), "{before}");

    admin.set("invites.lifetime_hours", json!(2)).await;
    admin
        .set("server.public_base_url", json!("https://gw.example.com/"))
        .await;
    let after = Api::expect(&admin.post("/invites", invite("b@example.com")).await, 201);
    let link = after["link"].as_str().unwrap();
    assert!(
        link.starts_with("https://gw.example.com/admin/invite/"),
        "{link}"
    );
    let left = lasts(&after);
    assert!(
        left > chrono::Duration::minutes(110) && left <= chrono::Duration::hours(2),
        "{after}"
    );
    // https makes the session cookie Secure.
    let mut b = Browser::new(&w.server);
    let signed = b.sign_in(OWNER, PASSWORD).await;
    let cookie = signed.set_cookie("gw_session").expect("session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn a_default_budget_comes_with_every_new_service_account(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    admin.service_account("plain").await;
    let none = Api::expect(&admin.get("/budgets").await, 200);
    assert_eq!(none, json!([]), "no default budget by default");

    admin
        .set(
            "service_accounts.default_budget",
            json!({"amount_usd": "0.000001", "cadence": "daily", "timezone": "Europe/Berlin"}),
        )
        .await;
    admin.service_account("capped").await;
    let budgets = Api::expect(&admin.get("/budgets").await, 200);
    let budgets = budgets.as_array().unwrap();
    assert_eq!(budgets.len(), 1, "{budgets:?}");
    assert_eq!(budgets[0]["id"], "capped-daily");
    assert_eq!(budgets[0]["scope"], "service_account");
    assert_eq!(budgets[0]["scope_id"], "capped");
    assert_eq!(budgets[0]["timezone"], "Europe/Berlin");
    assert_eq!(budgets[0]["amount_micros"], 1);
    assert_eq!(budgets[0]["hard_limit"], true);
    let audit = audit_rows(&w.db, "budget.created").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].1["via"], "service_accounts.default_budget");

    // It limits the account's very first request.
    let key = admin.issue("capped").await;
    World::chat(&w.server, &key, "capped-1")
        .await
        .assert_error(429, "budget_exceeded");
    let free = admin.issue("plain").await;
    assert_eq!(World::chat(&w.server, &free, "plain-1").await.status, 200);
}

/// Inserts a request-log row `id` dated `days` ago.
async fn log_dated(w: &World, id: &str, days: i64) {
    let at = spend::ts_sql(
        w.db.backend,
        chrono::Utc::now() - chrono::Duration::days(days),
    );
    w.db.exec(&format!(
        "INSERT INTO request_logs (request_id, at, endpoint, attempts, status, latency_us) \
         VALUES ('{id}', {at}, 'chat.completions', '[]', 200, 1000)"
    ))
    .await;
}

async fn request_log_retention_purges_old_rows_without_a_restart(backend: Backend) {
    let w = World::new(backend).await;
    log_dated(&w, "old-10d", 10).await;
    log_dated(&w, "recent-2d", 2).await;
    let ids = || async {
        w.db.rows("SELECT request_id FROM request_logs ORDER BY request_id")
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids().await,
        ["old-10d", "recent-2d"],
        "0 keeps request logs"
    );

    w.admin()
        .await
        .set("request_logs.retention_days", json!(7))
        .await;
    eventually(
        Duration::from_secs(15),
        "the 10-day-old row to be purged",
        || async { (ids().await == ["recent-2d"]).then_some(()) },
    )
    .await;
}

both_backends!(
    session_lifetimes_follow_the_settings_without_a_restart,
    sign_in_throttling_follows_the_settings,
    the_password_length_setting_applies_to_password_changes,
    new_invites_use_the_invite_lifetime_and_public_base_url_settings,
    a_default_budget_comes_with_every_new_service_account,
    request_log_retention_purges_old_rows_without_a_restart,
);
