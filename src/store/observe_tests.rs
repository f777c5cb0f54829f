//! Unit tests of `observe`, kept beside it to hold the module under ~400 lines.

use super::*;

fn filter(scope: UsageScope) -> LogFilter {
    LogFilter {
        scope,
        request_id: None,
        team: None,
        user: None,
        service_account: None,
        credential: None,
        model: None,
        status: None,
        error_code: None,
        from: None,
        to: None,
    }
}

#[test]
fn every_marker_has_exactly_one_bound_value() {
    let scope = UsageScope::Some {
        teams: vec!["a".into(), "b".into()],
        user_id: "u".into(),
    };
    let mut f = filter(scope.clone());
    f.user = Some("X@Example.com".into());
    f.request_id = Some("r".into());
    f.model = Some("m".into());
    f.status = Some((400, 500));
    let cursor = LogCursor {
        at: Utc::now(),
        request_id: "r".into(),
    };
    for q in [
        logs_sql(&f, &Page::Before(cursor.clone()), 51),
        logs_sql(&filter(UsageScope::All), &Page::After(cursor), 51),
        spend_sql(SpendBy::Model, &scope, (Utc::now(), Utc::now()), "d"),
        audit_sql(
            &AuditFilter {
                action_prefix: Some("user.".into()),
                actor: Some("a@b.c".into()),
            },
            &Page::After(3),
            51,
        ),
        names_sql(NameKind::Credential, Some(&["x".into(), "y".into()])),
    ] {
        assert_eq!(q.text.matches('?').count(), q.args.len(), "{}", q.text);
    }
}

#[test]
fn placeholders_are_numbered_in_order() {
    let mut q = Sql::new("SELECT 1 WHERE a = ?");
    q.and("b IN (?, ?)", [Arg::Int(1), Arg::Int(2)]);
    assert_eq!(
        q.numbered(|i| format!("${i}")),
        "SELECT 1 WHERE a = $1 AND b IN ($2, $3)"
    );
}

#[test]
fn a_scope_without_teams_still_shows_the_users_own_rows() {
    let q = logs_sql(
        &filter(UsageScope::Some {
            teams: vec![],
            user_id: "me".into(),
        }),
        &Page::First,
        10,
    );
    assert!(q.text.contains("(1 = 0 OR user_id = ?)"), "{}", q.text);
    assert_eq!(q.args[0], Arg::Text("me".into()));
}
