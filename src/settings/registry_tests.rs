//! Unit tests of `settings::registry`: defaults, typed validation and the messages that name
//! each key.

use serde_json::json;

use super::*;

fn parse(key: &str, v: Value) -> Result<Value, String> {
    def(key).unwrap().parse(&v)
}

#[test]
fn every_default_passes_its_own_validation_and_keys_are_unique() {
    for d in DEFS {
        let default = (d.default)();
        assert_eq!(d.parse(&default).as_ref(), Ok(&default), "{}", d.key);
        assert_eq!(
            DEFS.iter().filter(|x| x.key == d.key).count(),
            1,
            "{}",
            d.key
        );
        assert!(!d.description.is_empty(), "{}", d.key);
    }
}

#[test]
fn integers_must_be_whole_numbers_within_bounds() {
    assert_eq!(parse(SESSION_IDLE, json!(30)), Ok(json!(30)));
    for bad in [
        json!(4),
        json!(43_201),
        json!("30"),
        json!(30.5),
        json!(null),
    ] {
        let e = parse(SESSION_IDLE, bad.clone()).unwrap_err();
        assert!(
            e.starts_with(
                "sessions.idle_timeout_minutes: expected an integer from 5 to 43200 (minutes)"
            ),
            "{bad}: {e}"
        );
    }
    assert_eq!(parse(RETENTION_DAYS, json!(0)), Ok(json!(0)));
    assert!(parse(PASSWORD_MIN_LENGTH, json!(7)).is_err());
}

#[test]
fn choices_name_every_allowed_word() {
    assert_eq!(parse(CAPTURE, json!(" metadata ")), Ok(json!("metadata")));
    let e = parse(CAPTURE, json!("everything")).unwrap_err();
    assert_eq!(
        e,
        "request_logs.capture: expected one of \"off\", \"metadata\", \"redacted\", got \"everything\""
    );
}

#[test]
fn public_urls_are_http_or_https_or_empty() {
    assert_eq!(
        parse(PUBLIC_BASE_URL, json!("https://gw.example.com/")),
        Ok(json!("https://gw.example.com"))
    );
    assert_eq!(parse(PUBLIC_BASE_URL, json!("")), Ok(json!("")));
    assert_eq!(parse(PUBLIC_BASE_URL, json!(null)), Ok(json!("")));
    for bad in ["ftp://x", "gw.example.com", "https://", "http://x?y=1"] {
        let e = parse(PUBLIC_BASE_URL, json!(bad)).unwrap_err();
        assert!(
            e.starts_with("server.public_base_url: expected an http"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn redact_paths_name_the_bad_entry() {
    assert_eq!(
        parse(
            REDACT_PATHS,
            json!(["messages[*].content", "metadata.user"])
        ),
        Ok(json!(["messages[*].content", "metadata.user"]))
    );
    let e = parse(REDACT_PATHS, json!(["ok", "a..b"])).unwrap_err();
    assert!(
        e.starts_with("request_logs.redact_paths[1]: invalid JSON path"),
        "{e}"
    );
    assert!(parse(REDACT_PATHS, json!("messages")).is_err());
    assert!(parse(REDACT_PATHS, json!([1])).is_err());
}

#[test]
fn default_budgets_are_null_or_a_complete_budget() {
    assert_eq!(parse(DEFAULT_SA_BUDGET, json!(null)), Ok(json!(null)));
    assert_eq!(
        parse(
            DEFAULT_SA_BUDGET,
            json!({"amount_usd": "$25", "cadence": "monthly"})
        ),
        Ok(
            json!({"amount_usd": "25", "cadence": "monthly", "timezone": "UTC", "hard_limit": true})
        )
    );
    let cases = [
        (
            json!("25"),
            "service_accounts.default_budget: expected null, or an object",
        ),
        (
            json!({"cadence": "daily"}),
            "service_accounts.default_budget.amount_usd: required",
        ),
        (
            json!({"amount_usd": "1", "cadence": "hourly"}),
            "service_accounts.default_budget.cadence:",
        ),
        (
            json!({"amount_usd": "1", "cadence": "daily", "timezone": "Mars/Base"}),
            "service_accounts.default_budget.timezone:",
        ),
        (
            json!({"amount_usd": "0", "cadence": "daily"}),
            "service_accounts.default_budget.amount_usd:",
        ),
        (
            json!({"amount_usd": "1", "cadence": "daily", "limit": 1}),
            "service_accounts.default_budget: unknown field \"limit\"",
        ),
    ];
    for (value, start) in cases {
        let e = parse(DEFAULT_SA_BUDGET, value.clone()).unwrap_err();
        assert!(e.starts_with(start), "{value}: {e}");
    }
}

#[test]
fn unknown_keys_list_the_known_ones() {
    assert!(def("sessions.idle").is_none());
    assert!(unknown("sessions.idle").contains(SESSION_IDLE));
}
