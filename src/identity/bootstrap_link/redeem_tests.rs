//! Unit tests of `redeem.rs`: input resolution (generated and given fields, the password
//! policy) and `Debug` redaction.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

impl Input {
    fn resolve_default(req: &LinkRequest) -> Result<Input, String> {
        Input::resolve(req, password::MIN_LENGTH)
    }
}

#[test]
fn a_longer_minimum_length_is_honoured_by_generated_passwords() {
    let input = Input::resolve(&req(None, None, None), 40).unwrap();
    assert_eq!(input.password.chars().count(), 40);
    assert!(Input::resolve(&req(None, None, Some("Correct-Horse-Battery-42")), 40).is_err());
}

fn req(email: Option<&str>, name: Option<&str>, password: Option<&str>) -> LinkRequest {
    LinkRequest {
        token: "gwb_x".into(),
        email: email.map(str::to_string),
        name: name.map(str::to_string),
        password: password.map(str::to_string),
    }
}

#[test]
fn missing_fields_are_generated_and_given_ones_kept() {
    let generated = Input::resolve_default(&req(None, Some("  "), Some(""))).unwrap();
    assert_eq!(generated.email.as_str(), GENERATED_EMAIL);
    assert!(generated.generated_email && generated.generated_password);
    assert_eq!(generated.name, DEFAULT_NAME);
    assert_eq!(generated.password.chars().count(), GENERATED_PASSWORD_LEN);
    let other = Input::resolve_default(&req(None, None, None)).unwrap();
    assert_ne!(generated.password, other.password);

    let given = Input::resolve_default(&req(
        Some(" Ops@Example.com "),
        Some("Ops"),
        Some("Correct-Horse-Battery-42"),
    ))
    .unwrap();
    assert_eq!(given.email.as_str(), "ops@example.com");
    assert_eq!(given.name, "Ops");
    assert_eq!(given.password, "Correct-Horse-Battery-42");
    assert!(!given.generated_email && !given.generated_password);
}

#[test]
fn a_weak_password_or_bad_email_is_refused_naming_the_field() {
    let weak = Input::resolve_default(&req(Some("a@b.c"), None, Some("admin"))).err();
    assert!(weak.as_deref().unwrap().contains("password"), "{weak:?}");
    let email = Input::resolve_default(&req(Some("nobody"), None, None)).err();
    assert!(email.as_deref().unwrap().starts_with("email:"), "{email:?}");
    let long = "n".repeat(NAME_MAX + 1);
    assert!(Input::resolve_default(&req(None, Some(&long), None)).is_err());
}

#[test]
fn debug_hides_the_token_and_password() {
    let shown = format!(
        "{:?}",
        LinkRequest {
            token: "gwb_topsecret".into(),
            password: Some("hunter2-hunter2".into()),
            ..LinkRequest::default()
        }
    );
    assert!(
        !shown.contains("topsecret") && !shown.contains("hunter2"),
        "{shown}"
    );
}
