//! Unit tests of the typed `Settings` snapshot built from stored rows.

use chrono::{Duration, Utc};
use serde_json::json;

use super::registry::*;
use super::*;

fn row(key: &str, value: &str) -> SettingRow {
    SettingRow {
        key: key.into(),
        value: value.into(),
        origin: "explicit".into(),
        updated_at: Utc::now(),
        updated_by: None,
    }
}

#[test]
fn no_rows_means_every_default_which_matches_the_old_constants() {
    let s = Settings::default();
    assert_eq!(s.session_idle, Duration::hours(2));
    assert_eq!(s.session_absolute, Duration::hours(12));
    assert_eq!(
        s.throttle,
        Throttle {
            window: Duration::minutes(15),
            free_attempts: 5,
            max_delay: Duration::minutes(15),
        }
    );
    assert_eq!(s.password_min_length, 12);
    assert_eq!(s.invite_lifetime, Duration::days(7));
    assert_eq!(s.capture.mode, CaptureMode::Off);
    assert_eq!(s.capture.max_bytes, 16 * 1024);
    assert_eq!(s.retention_days, 0);
    assert_eq!(s.public_base_url, None);
    assert_eq!(s.default_sa_budget, None);
    assert_eq!(
        s.public_url("http://127.0.0.1:8080/"),
        "http://127.0.0.1:8080"
    );
}

#[test]
fn stored_rows_become_typed_values() {
    let rows = [
        row(SESSION_IDLE, "30"),
        row(CAPTURE, "\"redacted\""),
        row(REDACT_PATHS, "[\"messages[*].content\"]"),
        row(PUBLIC_BASE_URL, "\"https://gw.example.com\""),
        row(
            DEFAULT_SA_BUDGET,
            r#"{"amount_usd":"5","cadence":"daily","timezone":"UTC","hard_limit":false}"#,
        ),
    ];
    let (s, problems) = Settings::from_rows(&rows);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(s.session_idle, Duration::minutes(30));
    assert_eq!(s.capture.mode, CaptureMode::Redacted);
    assert_eq!(s.capture.redact_paths.len(), 1);
    assert_eq!(s.public_url("http://ignored"), "https://gw.example.com");
    assert_eq!(
        s.default_sa_budget,
        Some(DefaultBudget {
            amount_usd: "5".into(),
            cadence: "daily".into(),
            timezone: "UTC".into(),
            hard_limit: false,
        })
    );
    assert_eq!(s.value(SESSION_IDLE), Some(&json!(30)));
}

#[test]
fn unreadable_or_unknown_rows_fall_back_to_defaults_and_are_reported() {
    let rows = [
        row(SESSION_IDLE, "not json"),
        row(PASSWORD_MIN_LENGTH, "3"),
        row("retired.key", "1"),
    ];
    let (s, problems) = Settings::from_rows(&rows);
    assert_eq!(s.session_idle, Duration::hours(2));
    assert_eq!(s.password_min_length, 12);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains(SESSION_IDLE), "{problems:?}");
    assert!(problems[2].contains("retired.key"), "{problems:?}");
}
