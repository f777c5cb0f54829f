//! Shared set-up for the identity domain tests: a migrated database with one active platform
//! admin, users written directly, actors rebuilt from the database, audit-log reads.
//! Included with `#[path]` by `identity_lifecycle.rs` and `identity_teams.rs` after `mod common`.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;

use crate::common::{Backend, TestDb};
use gateway::config::schema::TeamRole;
use gateway::identity::IdentityError;
use gateway::identity::invites::invite_user;
use gateway::identity::onboarding::accept_invite;
use gateway::identity::permissions::Actor;
use gateway::identity::users::get_user;
use gateway::store::rows::NewUser;
use gateway::store::{Store, new_id, now};

pub const PASSWORD: &str = "correct horse battery";

pub struct World {
    pub db: TestDb,
    pub store: Store,
    pub admin: Actor,
}

pub async fn world(backend: Backend) -> World {
    let db = TestDb::new(backend).await;
    let store = db.migrated_store().await;
    let id = insert_user(&store, "root@example.com", "active", true, "admin").await;
    let admin = Actor {
        user_id: id,
        email: "root@example.com".into(),
        name: "Root".into(),
        platform_admin: true,
        teams: HashMap::new(),
    };
    World { db, store, admin }
}

/// A user row written directly (as bootstrap or seed-config would), without argon2.
pub async fn insert_user(
    store: &Store,
    email: &str,
    status: &'static str,
    platform_admin: bool,
    origin: &'static str,
) -> String {
    let id = new_id();
    let user = NewUser {
        id: id.clone(),
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        status,
        platform_admin,
        password_hash: (status != "invited").then(|| "$argon2id$placeholder".into()),
        must_change_password: false,
        origin,
    };
    let mut conn = store.conn().await.unwrap();
    conn.ex().insert_user(&user, now()).await.unwrap();
    id
}

/// The actor a signed-in user would be, rebuilt from the database.
pub async fn actor_of(w: &World, user_id: &str) -> Actor {
    let u = get_user(&w.store, &w.admin, user_id).await.unwrap();
    Actor {
        user_id: u.id,
        email: u.email,
        name: u.name,
        platform_admin: u.platform_admin,
        teams: u.teams.into_iter().map(|t| (t.team_id, t.role)).collect(),
    }
}

/// Invites and onboards a user; returns their id.
pub async fn onboard(w: &World, email: &str, team: Option<(&str, TeamRole)>) -> String {
    let invite = invite_user(&w.store, &w.admin, email, "Someone", team, false)
        .await
        .unwrap();
    accept_invite(&w.store, &invite.link_token, PASSWORD)
        .await
        .unwrap()
}

pub async fn audit_actions(w: &World) -> Vec<(String, String)> {
    w.db.rows("SELECT action, actor FROM audit_log ORDER BY id")
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

pub async fn epoch(store: &Store) -> i64 {
    store.conn().await.unwrap().ex().auth_epoch().await.unwrap()
}

pub fn is_conflict(r: &Result<impl std::fmt::Debug, IdentityError>, needle: &str) -> bool {
    matches!(r, Err(IdentityError::Conflict(m)) if m.contains(needle))
}

pub fn is_invalid(r: &Result<impl std::fmt::Debug, IdentityError>, needle: &str) -> bool {
    matches!(r, Err(IdentityError::Invalid(m)) if m.contains(needle))
}
