//! Unit tests of `sessions`, kept beside it to hold the module under ~400 lines.

use super::*;

#[test]
fn the_policy_names_what_is_wrong() {
    let e = |pw: &str, cur: Option<&str>| {
        check_policy(pw, "ops@example.com", cur)
            .unwrap_err()
            .to_string()
    };
    assert!(e("short", None).contains("12"));
    assert!(e("password", None).contains("well-known"));
    assert!(e("OPS@example.com", None).contains("e-mail"));
    assert!(e("Correct-Horse-Battery-9", Some("Correct-Horse-Battery-9")).contains("differ"));
    assert!(check_policy("Correct-Horse-Battery-9", "ops@example.com", Some("old")).is_ok());
}
