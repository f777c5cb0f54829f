//! Teams and memberships through the library's domain functions, on SQLite and PostgreSQL:
//! creating, renaming and listing teams, team-scoped invite permissions, and the rule that a
//! team keeps an owner — with an audit row for every change.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
#[path = "identity_support/mod.rs"]
mod support;

use common::Backend;
use gateway::config::schema::TeamRole;
use gateway::identity::IdentityError;
use gateway::identity::invites::{invite_user, resend_invite, revoke_invite};
use gateway::identity::members::{add_member, remove_member, set_team_role};
use gateway::identity::teams::{create_team, list_teams, rename_team, team_members};
use gateway::identity::users::UserStatus;
use support::{actor_of, audit_actions, is_conflict, onboard, world};

async fn team_managers_invite_into_their_own_team_only(backend: Backend) {
    let w = world(backend).await;
    create_team(&w.store, &w.admin, "alpha", "Alpha")
        .await
        .unwrap();
    create_team(&w.store, &w.admin, "beta", "Beta")
        .await
        .unwrap();
    let owner = onboard(&w, "owner@example.com", Some(("alpha", TeamRole::Owner))).await;
    let admin = onboard(&w, "lead@example.com", Some(("alpha", TeamRole::Admin))).await;
    let member = onboard(&w, "member@example.com", Some(("alpha", TeamRole::Member))).await;
    let owner = actor_of(&w, &owner).await;
    let team_admin = actor_of(&w, &admin).await;
    let member = actor_of(&w, &member).await;

    let into = |team| Some((team, TeamRole::Member));
    let ok = invite_user(
        &w.store,
        &owner,
        "new@example.com",
        "New",
        into("alpha"),
        false,
    )
    .await;
    assert!(ok.is_ok(), "{ok:?}");
    let forbidden = [
        invite_user(&w.store, &owner, "x@example.com", "X", into("beta"), false).await,
        invite_user(&w.store, &owner, "x@example.com", "X", None, false).await,
        invite_user(&w.store, &owner, "x@example.com", "X", into("alpha"), true).await,
        invite_user(
            &w.store,
            &member,
            "x@example.com",
            "X",
            into("alpha"),
            false,
        )
        .await,
        invite_user(
            &w.store,
            &team_admin,
            "x@example.com",
            "X",
            Some(("alpha", TeamRole::Owner)),
            false,
        )
        .await,
    ];
    for r in &forbidden {
        assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    }
    let r = invite_user(
        &w.store,
        &team_admin,
        "y@example.com",
        "Y",
        into("alpha"),
        false,
    )
    .await;
    assert!(r.is_ok(), "{r:?}");
    // The owner may resend or revoke invites of their team's people, not others'.
    let invited = ok.unwrap().user_id;
    resend_invite(&w.store, &owner, &invited).await.unwrap();
    let outsider = invite_user(
        &w.store,
        &w.admin,
        "z@example.com",
        "Z",
        into("beta"),
        false,
    )
    .await
    .unwrap();
    let r = resend_invite(&w.store, &owner, &outsider.user_id).await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    let r = revoke_invite(&w.store, &member, &invited).await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    // No invite was created by any refused call.
    assert_eq!(w.db.scalar("SELECT COUNT(*) FROM users").await, "7");

    // Team visibility follows membership.
    let teams: Vec<_> = list_teams(&w.store, &member)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.my_role))
        .collect();
    assert_eq!(teams, vec![("alpha".to_string(), Some(TeamRole::Member))]);
    assert_eq!(list_teams(&w.store, &w.admin).await.unwrap().len(), 2);
    let r = team_members(&w.store, &member, "beta").await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    let alpha = team_members(&w.store, &member, "alpha").await.unwrap();
    assert_eq!(alpha.len(), 5);
    assert!(
        alpha
            .iter()
            .any(|m| m.email == "new@example.com" && m.status == UserStatus::Invited)
    );
}

async fn a_team_always_keeps_an_owner(backend: Backend) {
    let w = world(backend).await;
    create_team(&w.store, &w.admin, "core", "Core")
        .await
        .unwrap();
    let first = onboard(&w, "first@example.com", Some(("core", TeamRole::Owner))).await;
    let second = onboard(&w, "second@example.com", None).await;
    let lead = onboard(&w, "lead@example.com", Some(("core", TeamRole::Admin))).await;
    let first_actor = actor_of(&w, &first).await;
    let lead_actor = actor_of(&w, &lead).await;

    let r = set_team_role(&w.store, &w.admin, "core", &first, TeamRole::Member).await;
    assert!(is_conflict(&r, "last owner"), "{r:?}");
    let r = remove_member(&w.store, &w.admin, "core", &first).await;
    assert!(is_conflict(&r, "last owner"), "{r:?}");

    // A team admin manages members but not owners.
    let r = set_team_role(&w.store, &lead_actor, "core", &first, TeamRole::Member).await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    let r = add_member(
        &w.store,
        &lead_actor,
        "core",
        "second@example.com",
        TeamRole::Owner,
    )
    .await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    add_member(
        &w.store,
        &lead_actor,
        "core",
        "second@example.com",
        TeamRole::Member,
    )
    .await
    .unwrap();
    let r = add_member(&w.store, &lead_actor, "core", &second, TeamRole::Member).await;
    assert!(is_conflict(&r, "already a member"), "{r:?}");

    set_team_role(&w.store, &first_actor, "core", &second, TeamRole::Owner)
        .await
        .unwrap();
    set_team_role(&w.store, &first_actor, "core", &first, TeamRole::Member)
        .await
        .unwrap();
    let r = remove_member(&w.store, &w.admin, "core", &second).await;
    assert!(is_conflict(&r, "last owner"), "{r:?}");
    remove_member(&w.store, &lead_actor, "core", &first)
        .await
        .unwrap();

    let roles: Vec<_> = team_members(&w.store, &w.admin, "core")
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.email, m.role))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("lead@example.com".to_string(), TeamRole::Admin),
            ("second@example.com".to_string(), TeamRole::Owner),
        ]
    );
    let actions = audit_actions(&w).await;
    let count = |name: &str| actions.iter().filter(|(a, _)| a == name).count();
    assert_eq!(count("team.member_added"), 1);
    assert_eq!(count("team.role_changed"), 2);
    assert_eq!(count("team.member_removed"), 1);
}

async fn teams_are_created_renamed_and_listed_with_counts(backend: Backend) {
    let w = world(backend).await;
    let team = create_team(&w.store, &w.admin, "search", " Search ")
        .await
        .unwrap();
    assert_eq!((team.id.as_str(), team.name.as_str()), ("search", "Search"));
    let dup = create_team(&w.store, &w.admin, "search", "Again").await;
    assert!(is_conflict(&dup, "already exists"), "{dup:?}");
    for bad in ["Search", "s", "with space", "-x"] {
        let r = create_team(&w.store, &w.admin, bad, "Bad").await;
        assert!(matches!(r, Err(IdentityError::Invalid(_))), "{bad}: {r:?}");
    }
    let renamed = rename_team(&w.store, &w.admin, "search", "Search & Ranking")
        .await
        .unwrap();
    assert_eq!(renamed.name, "Search & Ranking");
    let missing = rename_team(&w.store, &w.admin, "nope", "X").await;
    assert!(matches!(missing, Err(IdentityError::NotFound(_))));

    onboard(&w, "hal@example.com", Some(("search", TeamRole::Owner))).await;
    w.db.exec(match backend {
        Backend::Sqlite => {
            "INSERT INTO service_accounts (id, team_id, name, status, origin, created_at, \
             updated_at) VALUES ('indexer', 'search', 'Indexer', 'active', 'config', 0, 0)"
        }
        Backend::Postgres => {
            "INSERT INTO service_accounts (id, team_id, name, status, origin, created_at, \
             updated_at) VALUES ('indexer', 'search', 'Indexer', 'active', 'config', now(), now())"
        }
    })
    .await;
    let teams = list_teams(&w.store, &w.admin).await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(
        (
            teams[0].name.as_str(),
            teams[0].members,
            teams[0].service_accounts
        ),
        ("Search & Ranking", 1, 1)
    );

    let hal = actor_of(
        &w,
        &w.db
            .scalar("SELECT id FROM users WHERE email = 'hal@example.com'")
            .await,
    )
    .await;
    let r = rename_team(&w.store, &hal, "search", "Mine").await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    let r = create_team(&w.store, &hal, "other", "Other").await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    let actions: Vec<_> = audit_actions(&w)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(&actions[..2], ["team.created", "team.renamed"]);
}

both_backends!(
    team_managers_invite_into_their_own_team_only,
    a_team_always_keeps_an_owner,
    teams_are_created_renamed_and_listed_with_counts,
);
