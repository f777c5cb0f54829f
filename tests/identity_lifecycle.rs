//! The identity lifecycle through the library's domain functions, on SQLite and PostgreSQL:
//! invites (single use, expiry, revocation, config-seeded users), deactivation (sessions,
//! personal credentials, auth epoch), last-admin protection — with an audit row for every
//! change. Teams and memberships: `identity_teams.rs`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
#[path = "identity_support/mod.rs"]
mod support;

use common::{Backend, TestDb};
use gateway::config::schema::TeamRole;
use gateway::identity::IdentityError;
use gateway::identity::invites::{invite_user, resend_invite, revoke_invite};
use gateway::identity::onboarding::{accept_invite, invite_status};
use gateway::identity::teams::create_team;
use gateway::identity::users::{
    UserStatus, deactivate_user, get_user, list_users, reactivate_user, set_platform_admin,
};
use gateway::store::rows::NewCredentialRow;
use gateway::store::{Store, new_id, now};
use support::{
    PASSWORD, actor_of, audit_actions, epoch, insert_user, is_conflict, is_invalid, onboard, world,
};

async fn an_invited_user_onboards_once_and_becomes_active(backend: Backend) {
    let w = world(backend).await;
    create_team(&w.store, &w.admin, "ml", "Machine Learning")
        .await
        .unwrap();
    let invite = invite_user(
        &w.store,
        &w.admin,
        "Ada@Example.com",
        "Ada",
        Some(("ml", TeamRole::Member)),
        false,
    )
    .await
    .unwrap();
    assert_eq!(invite.link_token.len(), 64);
    let lifetime = invite.expires_at - now();
    assert!(lifetime > chrono::TimeDelta::days(7) - chrono::TimeDelta::minutes(1));

    let listed = list_users(&w.store, &w.admin).await.unwrap();
    let ada = listed.iter().find(|u| u.id == invite.user_id).unwrap();
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(ada.status, UserStatus::Invited);
    assert!(!ada.has_password);
    assert_eq!(ada.invite_expires_at, Some(invite.expires_at));
    assert_eq!(ada.teams[0].team_id, "ml");

    let status = invite_status(&w.store, &invite.link_token).await.unwrap();
    assert_eq!(status.email, "ada@example.com");
    assert_eq!(status.user_id, invite.user_id);

    // The password policy applies before anything is used up.
    let as_email = accept_invite(&w.store, &invite.link_token, "ADA@example.com").await;
    assert!(is_invalid(&as_email, "e-mail"), "{as_email:?}");
    let short = accept_invite(&w.store, &invite.link_token, "short").await;
    assert!(is_invalid(&short, "12"), "{short:?}");

    let user_id = accept_invite(&w.store, &invite.link_token, PASSWORD)
        .await
        .unwrap();
    assert_eq!(user_id, invite.user_id);
    let ada = get_user(&w.store, &w.admin, &user_id).await.unwrap();
    assert_eq!(ada.status, UserStatus::Active);
    assert!(ada.has_password && !ada.must_change_password);
    assert_eq!(ada.invite_expires_at, None);

    // Single use.
    let again = accept_invite(&w.store, &invite.link_token, "another long password").await;
    assert!(is_invalid(&again, "already been used"), "{again:?}");
    assert!(invite_status(&w.store, &invite.link_token).await.is_err());
    let unknown = invite_status(&w.store, &"0".repeat(64)).await;
    assert!(
        matches!(unknown, Err(IdentityError::NotFound(_))),
        "{unknown:?}"
    );

    // The token is stored only as its hash and never reaches the audit log.
    let stored = w.db.rows("SELECT id FROM invites").await;
    assert_eq!(stored.len(), 1);
    let details = w.db.rows("SELECT details FROM audit_log").await;
    assert!(details.iter().all(|d| !d[0].contains(&invite.link_token)));
    let actions = audit_actions(&w).await;
    let admin = w.admin.user_id.clone();
    assert_eq!(
        actions,
        vec![
            ("team.created".to_string(), admin.clone()),
            ("user.invited".to_string(), admin),
            ("user.onboarded".to_string(), user_id),
        ]
    );
}

async fn an_expired_invite_is_refused_and_a_resent_one_works(backend: Backend) {
    let w = world(backend).await;
    let invite = invite_user(&w.store, &w.admin, "bob@example.com", "Bob", None, false)
        .await
        .unwrap();
    w.db.exec(match backend {
        Backend::Sqlite => "UPDATE invites SET expires_at = expires_at - 8 * 86400000",
        Backend::Postgres => "UPDATE invites SET expires_at = expires_at - interval '8 days'",
    })
    .await;
    let status = invite_status(&w.store, &invite.link_token).await;
    assert!(is_invalid(&status, "expired"), "{status:?}");
    let accepted = accept_invite(&w.store, &invite.link_token, PASSWORD).await;
    assert!(is_invalid(&accepted, "expired"), "{accepted:?}");
    let user = get_user(&w.store, &w.admin, &invite.user_id).await.unwrap();
    assert_eq!(user.status, UserStatus::Invited);
    assert!(user.invite_expires_at.unwrap() < now());

    let fresh = resend_invite(&w.store, &w.admin, &invite.user_id)
        .await
        .unwrap();
    assert_ne!(fresh.link_token, invite.link_token);
    accept_invite(&w.store, &fresh.link_token, PASSWORD)
        .await
        .unwrap();
    assert!(
        audit_actions(&w)
            .await
            .iter()
            .any(|(a, _)| a == "user.invite_resent")
    );
}

async fn a_revoked_or_superseded_invite_is_refused(backend: Backend) {
    let w = world(backend).await;
    let first = invite_user(&w.store, &w.admin, "cy@example.com", "Cy", None, false)
        .await
        .unwrap();
    let second = resend_invite(&w.store, &w.admin, &first.user_id)
        .await
        .unwrap();
    let superseded = invite_status(&w.store, &first.link_token).await;
    assert!(is_invalid(&superseded, "revoked"), "{superseded:?}");
    invite_status(&w.store, &second.link_token).await.unwrap();

    assert_eq!(
        revoke_invite(&w.store, &w.admin, &first.user_id)
            .await
            .unwrap(),
        1
    );
    let revoked = accept_invite(&w.store, &second.link_token, PASSWORD).await;
    assert!(is_invalid(&revoked, "revoked"), "{revoked:?}");
    let nothing_left = revoke_invite(&w.store, &w.admin, &first.user_id).await;
    assert!(matches!(nothing_left, Err(IdentityError::NotFound(_))));
    assert!(
        audit_actions(&w)
            .await
            .iter()
            .any(|(a, _)| a == "user.invite_revoked")
    );
}

async fn config_seeded_users_get_their_link_from_resend(backend: Backend) {
    let w = world(backend).await;
    let seeded = insert_user(&w.store, "seed@example.com", "invited", false, "config").await;
    let invite = resend_invite(&w.store, &w.admin, &seeded).await.unwrap();
    assert_eq!(invite.user_id, seeded);
    // Inviting the same address reuses the seeded user (and replaces its link).
    let reinvite = invite_user(&w.store, &w.admin, "SEED@example.com", "X", None, false)
        .await
        .unwrap();
    assert_eq!(reinvite.user_id, seeded);
    assert!(invite_status(&w.store, &invite.link_token).await.is_err());
    accept_invite(&w.store, &reinvite.link_token, PASSWORD)
        .await
        .unwrap();
    let user = get_user(&w.store, &w.admin, &seeded).await.unwrap();
    assert_eq!(
        (user.status, user.origin.as_str()),
        (UserStatus::Active, "config")
    );
    assert_eq!(user.name, "seed", "a reused user keeps its name");
    // An active account is not invited again.
    let active = invite_user(&w.store, &w.admin, "seed@example.com", "X", None, false).await;
    assert!(is_conflict(&active, "already has an account"), "{active:?}");
    let resend = resend_invite(&w.store, &w.admin, &seeded).await;
    assert!(
        matches!(resend, Err(IdentityError::Conflict(_))),
        "{resend:?}"
    );
}

async fn credential(store: &Store, user_id: &str) -> String {
    let id = new_id();
    let row = NewCredentialRow {
        id: id.clone(),
        public_id: new_id().replace('-', "")[..16].to_string(),
        secret_hash: vec![7; 32],
        last4: "abcd".into(),
        name: "laptop".into(),
        service_account_id: None,
        user_id: Some(user_id.into()),
        team_id: None,
        model_grants: None,
        expires_at: None,
        created_by: Some(user_id.into()),
    };
    let mut conn = store.conn().await.unwrap();
    conn.ex().insert_credential(&row, now()).await.unwrap();
    id
}

async fn session(db: &TestDb, id: &str, user_id: &str) {
    db.exec(&match db.backend {
        Backend::Sqlite => format!(
            "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, \
             last_seen_at, expires_at) VALUES ('{id}', randomblob(32), '{user_id}', 'c', 0, 0, \
             9999999999999)"
        ),
        Backend::Postgres => format!(
            "INSERT INTO sessions (id, token_hash, user_id, csrf_token, created_at, \
             last_seen_at, expires_at) VALUES ('{id}', decode(md5('{id}'), 'hex'), \
             '{user_id}', 'c', now(), now(), now() + interval '1 day')"
        ),
    })
    .await;
}

async fn deactivation_ends_sessions_revokes_personal_credentials_and_bumps_the_epoch(
    backend: Backend,
) {
    let w = world(backend).await;
    let dan = onboard(&w, "dan@example.com", None).await;
    let eve = onboard(&w, "eve@example.com", None).await;
    session(&w.db, "s1", &dan).await;
    session(&w.db, "s2", &dan).await;
    session(&w.db, "s3", &eve).await;
    let dans_key = credential(&w.store, &dan).await;
    let eves_key = credential(&w.store, &eve).await;
    let before = epoch(&w.store).await;

    let done = deactivate_user(&w.store, &w.admin, &dan).await.unwrap();
    assert_eq!((done.sessions_ended, done.credentials_revoked), (2, 1));
    assert!(epoch(&w.store).await > before);
    let open =
        w.db.rows("SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY id")
            .await;
    assert_eq!(open, vec![vec!["s3".to_string()]]);
    let revoked =
        w.db.rows("SELECT id FROM credentials WHERE revoked_at IS NOT NULL")
            .await;
    assert_eq!(revoked, vec![vec![dans_key]]);
    assert!(!revoked.concat().contains(&eves_key));
    let user = get_user(&w.store, &w.admin, &dan).await.unwrap();
    assert_eq!(user.status, UserStatus::Disabled);

    // Deactivating again changes nothing; reactivating restores sign-in, not the keys.
    let again = deactivate_user(&w.store, &w.admin, &dan).await.unwrap();
    assert_eq!(again.sessions_ended + again.credentials_revoked, 0);
    let status = reactivate_user(&w.store, &w.admin, &dan).await.unwrap();
    assert_eq!(status, UserStatus::Active);
    assert_eq!(
        w.db.scalar("SELECT COUNT(*) FROM credentials WHERE revoked_at IS NOT NULL")
            .await,
        "1"
    );

    // A user who never onboarded goes back to invited, with their old link dead.
    let invite = invite_user(&w.store, &w.admin, "fay@example.com", "Fay", None, false)
        .await
        .unwrap();
    deactivate_user(&w.store, &w.admin, &invite.user_id)
        .await
        .unwrap();
    let status = reactivate_user(&w.store, &w.admin, &invite.user_id)
        .await
        .unwrap();
    assert_eq!(status, UserStatus::Invited);
    assert!(invite_status(&w.store, &invite.link_token).await.is_err());

    let actions = audit_actions(&w).await;
    let count = |name: &str| actions.iter().filter(|(a, _)| a == name).count();
    assert_eq!(count("user.deactivated"), 2);
    assert_eq!(count("user.reactivated"), 2);

    // Only platform admins manage users.
    let dan_actor = actor_of(&w, &dan).await;
    let r = deactivate_user(&w.store, &dan_actor, &eve).await;
    assert!(matches!(r, Err(IdentityError::Forbidden)), "{r:?}");
    assert!(matches!(
        list_users(&w.store, &dan_actor).await,
        Err(IdentityError::Forbidden)
    ));
}

async fn the_last_active_platform_admin_cannot_be_deactivated_or_demoted(backend: Backend) {
    let w = world(backend).await;
    let me = w.admin.user_id.clone();
    let r = deactivate_user(&w.store, &w.admin, &me).await;
    assert!(is_conflict(&r, "last active platform admin"), "{r:?}");
    let r = set_platform_admin(&w.store, &w.admin, &me, false).await;
    assert!(is_conflict(&r, "last active platform admin"), "{r:?}");

    // An invited admin cannot sign in, so does not count.
    let invite = invite_user(&w.store, &w.admin, "gus@example.com", "Gus", None, true)
        .await
        .unwrap();
    let r = set_platform_admin(&w.store, &w.admin, &me, false).await;
    assert!(is_conflict(&r, "last active platform admin"), "{r:?}");
    let gus = accept_invite(&w.store, &invite.link_token, PASSWORD)
        .await
        .unwrap();

    set_platform_admin(&w.store, &w.admin, &me, false)
        .await
        .unwrap();
    let gus_actor = actor_of(&w, &gus).await;
    assert!(gus_actor.platform_admin);
    let r = deactivate_user(&w.store, &gus_actor, &gus).await;
    assert!(is_conflict(&r, "last active platform admin"), "{r:?}");
    set_platform_admin(&w.store, &gus_actor, &me, true)
        .await
        .unwrap();
    deactivate_user(&w.store, &gus_actor, &gus).await.unwrap();
    assert_eq!(
        w.db.scalar("SELECT COUNT(*) FROM users WHERE platform_admin = TRUE AND status = 'active'")
            .await,
        "1"
    );
    let actions = audit_actions(&w).await;
    assert!(
        actions
            .iter()
            .any(|(a, by)| a == "user.platform_admin_revoked" && *by == me)
    );
    assert!(
        actions
            .iter()
            .any(|(a, by)| a == "user.platform_admin_granted" && *by == gus)
    );
}

/// Two admins deactivating each other at the same moment: exactly one wins, every round.
async fn concurrent_removals_never_leave_zero_active_admins(backend: Backend) {
    let w = world(backend).await;
    let other = insert_user(&w.store, "two@example.com", "active", true, "admin").await;
    let me = w.admin.clone();
    let them = actor_of(&w, &other).await;
    for round in 0..10 {
        let (a, b) = tokio::join!(
            deactivate_user(&w.store, &me, &them.user_id),
            deactivate_user(&w.store, &them, &me.user_id),
        );
        assert!(a.is_ok() != b.is_ok(), "round {round}: {a:?} / {b:?}");
        let loser = if a.is_ok() { &them } else { &me };
        let winner = if a.is_ok() { &me } else { &them };
        assert_eq!(
            w.db.scalar(
                "SELECT COUNT(*) FROM users WHERE platform_admin = TRUE AND status = 'active'"
            )
            .await,
            "1"
        );
        reactivate_user(&w.store, winner, &loser.user_id)
            .await
            .unwrap();
    }
}

both_backends!(
    an_invited_user_onboards_once_and_becomes_active,
    an_expired_invite_is_refused_and_a_resent_one_works,
    a_revoked_or_superseded_invite_is_refused,
    config_seeded_users_get_their_link_from_resend,
    deactivation_ends_sessions_revokes_personal_credentials_and_bumps_the_epoch,
    the_last_active_platform_admin_cannot_be_deactivated_or_demoted,
    concurrent_removals_never_leave_zero_active_admins,
);
