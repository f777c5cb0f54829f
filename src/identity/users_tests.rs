//! Unit tests of `users`, kept beside it to hold the module under ~400 lines.

use super::*;

#[test]
fn display_names_are_trimmed_and_bounded() {
    assert_eq!(
        display_name("  Ada Lovelace ", "name").unwrap(),
        "Ada Lovelace"
    );
    assert!(display_name("   ", "name").is_err());
    assert!(display_name(&"x".repeat(MAX_NAME_CHARS + 1), "name").is_err());
    assert!(display_name(&"é".repeat(MAX_NAME_CHARS), "name").is_ok());
    assert!(display_name("a\u{0007}b", "name").is_err());
}

#[test]
fn statuses_and_roles_round_trip_through_their_column_values() {
    for s in [
        UserStatus::Invited,
        UserStatus::Active,
        UserStatus::Disabled,
    ] {
        assert_eq!(UserStatus::from_db(s.as_str()).unwrap(), s);
    }
    for r in [TeamRole::Owner, TeamRole::Admin, TeamRole::Member] {
        assert_eq!(role_from_db(r.as_str()).unwrap(), r);
    }
    assert!(UserStatus::from_db("gone").is_err());
    assert!(role_from_db("boss").is_err());
}
