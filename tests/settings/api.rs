//! Seeding, and reading and changing settings through the JSON API and the page: defaults
//! written once, explicit values with audit rows, validation messages that name the key and
//! the expectation, and platform-admin-only access.

use serde_json::{Value, json};

use super::world::{Api, World};
use crate::both_backends;
use crate::common::Backend;
use crate::common::admin::audit_rows;

/// Every operational setting key, as the registry lists them.
const KEYS: [&str; 13] = [
    "sessions.idle_timeout_minutes",
    "sessions.absolute_lifetime_hours",
    "login_throttle.free_attempts",
    "login_throttle.window_minutes",
    "login_throttle.max_lockout_minutes",
    "passwords.min_length",
    "invites.lifetime_hours",
    "request_logs.capture",
    "request_logs.max_payload_bytes",
    "request_logs.redact_paths",
    "request_logs.retention_days",
    "server.public_base_url",
    "service_accounts.default_budget",
];

async fn first_start_seeds_every_default_once_and_a_restart_never_reseeds(backend: Backend) {
    let w = World::new(backend).await;
    let rows = w
        .db
        .rows("SELECT key, value, origin, COALESCE(updated_by, 'NULL') FROM settings ORDER BY key")
        .await;
    let mut keys: Vec<&str> = KEYS.to_vec();
    keys.sort();
    assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), keys);
    assert!(
        rows.iter().all(|r| r[2] == "seeded" && r[3] == "NULL"),
        "{rows:?}"
    );
    assert_eq!(
        w.stored("sessions.idle_timeout_minutes").await,
        Some((json!(120), "seeded".into()))
    );
    assert_eq!(
        w.stored("request_logs.capture").await.unwrap().0,
        json!("off")
    );
    assert_eq!(
        w.stored("service_accounts.default_budget").await.unwrap().0,
        Value::Null
    );
    let seeded = audit_rows(&w.db, "settings.seeded").await;
    assert_eq!(seeded.len(), 1, "{seeded:?}");
    assert_eq!(seeded[0].1["keys"].as_array().map(Vec::len), Some(13));

    // An explicit value, a seeded value that differs from today's default (as after an
    // upgrade that changed it), and a key that is missing (as after an upgrade that added it).
    w.admin().await.set("passwords.min_length", json!(16)).await;
    w.db.exec("UPDATE settings SET value = '99' WHERE key = 'sessions.idle_timeout_minutes'")
        .await;
    w.db.exec("DELETE FROM settings WHERE key = 'invites.lifetime_hours'")
        .await;

    let again = w.replica().await;
    assert_eq!(
        w.stored("passwords.min_length").await,
        Some((json!(16), "explicit".into()))
    );
    assert_eq!(
        w.stored("sessions.idle_timeout_minutes").await,
        Some((json!(99), "seeded".into())),
        "a seeded row is never re-seeded"
    );
    assert_eq!(
        w.stored("invites.lifetime_hours").await,
        Some((json!(168), "seeded".into())),
        "a missing key is seeded"
    );
    let seeded = audit_rows(&w.db, "settings.seeded").await;
    assert_eq!(seeded.len(), 2);
    assert_eq!(seeded[1].1["keys"], json!(["invites.lifetime_hours"]));
    drop(again);
}

async fn a_platform_admin_reads_and_changes_settings_with_an_audit_row(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let all = Api::expect(&admin.get("/settings").await, 200);
    let all = all.as_array().expect("a list");
    assert_eq!(all.len(), KEYS.len());
    let capture = all
        .iter()
        .find(|s| s["key"] == "request_logs.capture")
        .expect("capture listed");
    assert_eq!(capture["value"], "off");
    assert_eq!(capture["default"], "off");
    assert_eq!(capture["origin"], "seeded");
    assert_eq!(capture["type"], "choice");
    assert!(
        capture["expected"]
            .as_str()
            .unwrap()
            .contains("\"metadata\"")
    );
    assert!(!capture["description"].as_str().unwrap().is_empty());

    let changed = admin.set("sessions.idle_timeout_minutes", json!(30)).await;
    assert_eq!(changed["value"], 30);
    assert_eq!(changed["origin"], "explicit");
    let admin_id =
        w.db.scalar("SELECT id FROM users WHERE email = 'admin@example.com'")
            .await;
    assert_eq!(changed["updated_by"], admin_id.as_str());
    let one = Api::expect(
        &admin.get("/settings/sessions.idle_timeout_minutes").await,
        200,
    );
    assert_eq!(one["value"], 30);
    assert_eq!(
        w.stored("sessions.idle_timeout_minutes").await,
        Some((json!(30), "explicit".into()))
    );
    let audit = audit_rows(&w.db, "setting.changed").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].0, admin_id);
    assert_eq!(
        audit[0].1,
        json!({"key": "sessions.idle_timeout_minutes", "from": 120, "from_origin": "seeded", "to": 30})
    );

    // The same value again changes nothing and is not audited; objects are normalised.
    admin.set("sessions.idle_timeout_minutes", json!(30)).await;
    assert_eq!(w.audits("setting.changed").await, 1);
    let budget = admin
        .set(
            "service_accounts.default_budget",
            json!({"amount_usd": "$25", "cadence": "monthly"}),
        )
        .await;
    assert_eq!(
        budget["value"],
        json!({"amount_usd": "25", "cadence": "monthly", "timezone": "UTC", "hard_limit": true})
    );
    let cleared = admin
        .set("service_accounts.default_budget", Value::Null)
        .await;
    assert_eq!(cleared["value"], Value::Null);
    assert_eq!(w.audits("setting.changed").await, 3);

    // Documented in the OpenAPI document like every other endpoint.
    let doc = Api::expect(&admin.browser.get("/api/v1/admin/openapi.json").await, 200);
    for (path, method) in [
        ("/api/v1/admin/settings", "get"),
        ("/api/v1/admin/settings/{key}", "get"),
        ("/api/v1/admin/settings/{key}", "put"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let body = &doc["components"]["schemas"]["SettingBody"]["properties"];
    assert!(
        body["type"].is_object() && body["origin"].is_object(),
        "{body}"
    );
}

async fn bad_values_are_refused_naming_the_key_and_what_was_expected(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let cases = [
        (
            "sessions.idle_timeout_minutes",
            json!("30"),
            "sessions.idle_timeout_minutes: expected an integer from 5 to 43200 (minutes), got \"30\"",
        ),
        (
            "passwords.min_length",
            json!(4),
            "passwords.min_length: expected an integer from 8 to 128 (characters), got 4",
        ),
        (
            "request_logs.capture",
            json!("all"),
            "request_logs.capture: expected one of \"off\", \"metadata\", \"redacted\", got \"all\"",
        ),
        (
            "server.public_base_url",
            json!("gw.example.com"),
            "server.public_base_url: expected an http:// or https:// URL",
        ),
        (
            "request_logs.redact_paths",
            json!(["messages[*].content", "a..b"]),
            "request_logs.redact_paths[1]: invalid JSON path",
        ),
        (
            "service_accounts.default_budget",
            json!({"amount_usd": "5", "cadence": "hourly"}),
            "service_accounts.default_budget.cadence: \"hourly\" must be daily, weekly or monthly",
        ),
        (
            "service_accounts.default_budget",
            json!({"amount_usd": "0", "cadence": "daily"}),
            "service_accounts.default_budget.amount_usd: must be more than zero",
        ),
    ];
    for (key, value, message) in cases {
        let page = admin.put_setting(key, value.clone()).await;
        page.assert_api_error(400, "invalid_request");
        let got = page.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(got.starts_with(message), "{key} = {value}: {got}");
    }
    let unknown = admin.put_setting("sessions.idle", json!(5)).await;
    unknown.assert_api_error(404, "not_found");
    let message = unknown.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("\"sessions.idle\"") && message.contains("sessions.idle_timeout_minutes"),
        "{message}"
    );
    admin
        .get("/settings/nope")
        .await
        .assert_api_error(404, "not_found");
    let malformed = admin
        .browser
        .send(
            admin
                .browser
                .request(
                    reqwest::Method::PUT,
                    "/api/v1/admin/settings/passwords.min_length",
                )
                .header("x-csrf-token", &admin.csrf)
                .header("content-type", "application/json")
                .body("{\"val\": 3}"),
        )
        .await;
    malformed.assert_api_error(400, "invalid_request");
    assert!(malformed.text.contains("value"), "{}", malformed.text);

    // Nothing was written.
    let explicit =
        w.db.rows("SELECT key FROM settings WHERE origin = 'explicit'")
            .await;
    assert!(explicit.is_empty(), "{explicit:?}");
    assert_eq!(w.audits("setting.changed").await, 0);
}

async fn only_platform_admins_may_see_or_change_settings(backend: Backend) {
    let w = World::new(backend).await;
    let mut owner = w.owner().await;
    owner
        .get("/settings")
        .await
        .assert_api_error(403, "forbidden");
    owner
        .get("/settings/passwords.min_length")
        .await
        .assert_api_error(403, "forbidden");
    owner
        .put_setting("passwords.min_length", json!(20))
        .await
        .assert_api_error(403, "forbidden");
    // Unknown keys are not revealed to those who may not look.
    owner
        .get("/settings/nope")
        .await
        .assert_api_error(403, "forbidden");
    assert_eq!(owner.browser.get("/admin/settings").await.status, 403);
    let csrf = owner.browser.page_csrf("/admin").await;
    let posted = owner
        .browser
        .post_form(
            "/admin/settings/passwords.min_length",
            &[("csrf", &csrf), ("value", "20")],
        )
        .await;
    assert_eq!(posted.status, 403, "{}", posted.text);
    let nav = owner.browser.get("/admin").await;
    assert!(!nav.text.contains("href=\"/admin/settings\""));
    assert_eq!(w.stored("passwords.min_length").await.unwrap().1, "seeded");

    let mut admin = w.admin().await;
    let nav = admin.browser.get("/admin").await;
    assert!(
        nav.text.contains("href=\"/admin/settings\""),
        "{}",
        nav.text
    );
}

async fn the_settings_page_saves_values_and_shows_fixable_errors(backend: Backend) {
    let w = World::new(backend).await;
    let mut admin = w.admin().await;
    let page = admin.browser.get("/admin/settings").await;
    assert_eq!(page.status, 200, "{}", page.text);
    for key in KEYS {
        assert!(
            page.text
                .contains(&format!("action=\"/admin/settings/{key}\"")),
            "no form for {key}"
        );
    }
    let csrf = page.hidden("csrf").expect("csrf");

    let saved = admin
        .browser
        .post_form(
            "/admin/settings/login_throttle.free_attempts",
            &[("csrf", &csrf), ("value", "7")],
        )
        .await;
    saved.assert_redirect("/admin/settings?notice=saved#login_throttle.free_attempts");
    assert_eq!(
        w.stored("login_throttle.free_attempts").await,
        Some((json!(7), "explicit".into()))
    );
    let shown = admin.browser.get("/admin/settings?notice=saved").await;
    assert!(shown.text.contains("Saved."), "{}", shown.text);

    let paths = admin
        .browser
        .post_form(
            "/admin/settings/request_logs.redact_paths",
            &[
                ("csrf", &csrf),
                ("value", "messages[*].content\r\n\r\nmetadata.user\r\n"),
            ],
        )
        .await;
    assert_eq!(paths.status, 303, "{}", paths.text);
    assert_eq!(
        w.stored("request_logs.redact_paths").await.unwrap().0,
        json!(["messages[*].content", "metadata.user"])
    );
    let budget = admin
        .browser
        .post_form(
            "/admin/settings/service_accounts.default_budget",
            &[
                ("csrf", &csrf),
                ("value", "12.50"),
                ("cadence", "weekly"),
                ("timezone", "Europe/Berlin"),
                ("limit", "soft"),
            ],
        )
        .await;
    assert_eq!(budget.status, 303, "{}", budget.text);
    assert_eq!(
        w.stored("service_accounts.default_budget").await.unwrap().0,
        json!({"amount_usd": "12.50", "cadence": "weekly", "timezone": "Europe/Berlin", "hard_limit": false})
    );

    let refused = admin
        .browser
        .post_form(
            "/admin/settings/sessions.idle_timeout_minutes",
            &[("csrf", &csrf), ("value", "soon")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let alert = refused.alert().expect("an alert");
    assert!(
        alert.starts_with("sessions.idle_timeout_minutes: expected an integer from 5 to 43200"),
        "{alert}"
    );
    assert_eq!(
        w.stored("sessions.idle_timeout_minutes").await.unwrap().1,
        "seeded"
    );

    let forged = admin
        .browser
        .post_form(
            "/admin/settings/sessions.idle_timeout_minutes",
            &[("value", "30")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
}

both_backends!(
    first_start_seeds_every_default_once_and_a_restart_never_reseeds,
    a_platform_admin_reads_and_changes_settings_with_an_audit_row,
    bad_values_are_refused_naming_the_key_and_what_was_expected,
    only_platform_admins_may_see_or_change_settings,
    the_settings_page_saves_values_and_shows_fixable_errors,
);
