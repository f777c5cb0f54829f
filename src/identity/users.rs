//! Users: listing, deactivation and reactivation, platform-admin grants — plus the small
//! helpers the other lifecycle modules share (status, audit rows, display names).
//!
//! Invariant owned here: at least one **active** platform admin remains. Deactivating or
//! demoting the last one is a `Conflict` (HTTP 409). Passwords and sign-in are not here
//! (`password`, `sessions`); onboarding is in `invites`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::IdentityError;
use super::permissions::{Action, Actor};
use crate::config::schema::TeamRole;
use crate::store::rows::{AuditEntry, UserRow};
use crate::store::{Exec, Store, StoreError, now};

/// Where a user is in their lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Exists (invited or config-seeded) but has not set a password yet.
    Invited,
    Active,
    /// Deactivated: cannot sign in; personal credentials were revoked.
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    pub(crate) fn from_db(s: &str) -> Result<UserStatus, IdentityError> {
        match s {
            "invited" => Ok(UserStatus::Invited),
            "active" => Ok(UserStatus::Active),
            "disabled" => Ok(UserStatus::Disabled),
            other => Err(IdentityError::Internal(format!(
                "unknown user status {other:?}"
            ))),
        }
    }
}

/// One team membership of a user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserTeam {
    pub team_id: String,
    pub team_name: String,
    pub role: TeamRole,
}

/// A user as the admin pages and API show it. Never carries the password hash.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: String,
    pub status: UserStatus,
    pub platform_admin: bool,
    pub must_change_password: bool,
    /// False for invited users who never onboarded.
    pub has_password: bool,
    /// `config` | `bootstrap` | `admin` | `cli`.
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub teams: Vec<UserTeam>,
    /// Expiry of the newest unused, unrevoked invite link, if any (possibly in the past:
    /// compare with the clock to show "expired").
    pub invite_expires_at: Option<DateTime<Utc>>,
}

/// What deactivating a user did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Deactivation {
    pub sessions_ended: u64,
    pub credentials_revoked: u64,
    pub invites_revoked: u64,
}

/// Every user, by e-mail. Needs [`Action::ManageUsers`].
pub async fn list_users(store: &Store, actor: &Actor) -> Result<Vec<UserSummary>, IdentityError> {
    require(actor, &Action::ManageUsers)?;
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    let users = ex.list_user_rows().await?;
    let memberships = ex.user_memberships(None).await?;
    let invites = ex.open_invite_expiries(None).await?;
    users
        .into_iter()
        .map(|u| {
            let id = u.id.clone();
            let teams = memberships.iter().filter(|m| m.user_id == id);
            let invite = invites.iter().find(|(i, _)| *i == id).map(|(_, at)| *at);
            summary(u, teams, invite)
        })
        .collect()
}

/// One user. Needs [`Action::ManageUsers`], or to be that user.
pub async fn get_user(
    store: &Store,
    actor: &Actor,
    user_id: &str,
) -> Result<UserSummary, IdentityError> {
    if actor.user_id != user_id {
        require(actor, &Action::ManageUsers)?;
    }
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    let user = load_user(&mut ex, user_id).await?;
    let memberships = ex.user_memberships(Some(user_id)).await?;
    let invite = ex.open_invite_expiries(Some(user_id)).await?;
    summary(user, memberships.iter(), invite.first().map(|(_, at)| *at))
}

/// Deactivates a user: status `disabled`, every session ended, every personal credential and
/// open invite revoked, auth epoch bumped (the data plane drops their keys within a second) —
/// all in one transaction. Needs [`Action::ManageUsers`]. Deactivating a disabled user
/// changes nothing. The last active platform admin cannot be deactivated (`Conflict`).
pub async fn deactivate_user(
    store: &Store,
    actor: &Actor,
    user_id: &str,
) -> Result<Deactivation, IdentityError> {
    require(actor, &Action::ManageUsers)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = load_user(&mut ex, user_id).await?;
    if user.status == UserStatus::Disabled.as_str() {
        return Ok(Deactivation::default());
    }
    if user.platform_admin && user.status == UserStatus::Active.as_str() {
        ensure_other_active_admin(&mut ex, user_id, &user.email, "deactivated").await?;
    }
    ex.set_user_status(user_id, UserStatus::Disabled.as_str(), at)
        .await?;
    let done = Deactivation {
        sessions_ended: ex.end_user_sessions(user_id, None, at).await?,
        credentials_revoked: ex.revoke_personal_credentials(user_id, None, at).await?,
        invites_revoked: ex.revoke_open_invites(user_id, at).await?,
    };
    ex.bump_auth_epoch().await?;
    audit(
        &mut ex,
        actor,
        "user.deactivated",
        "user",
        user_id,
        json!({
            "email": user.email,
            "previous_status": user.status,
            "sessions_ended": done.sessions_ended,
            "credentials_revoked": done.credentials_revoked,
            "invites_revoked": done.invites_revoked,
        }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// Reactivates a disabled user: `active` if they have a password, else back to `invited`
/// (send them a new invite). Revoked credentials stay revoked. Needs
/// [`Action::ManageUsers`]. A user who is not disabled is left as is. Returns the status.
pub async fn reactivate_user(
    store: &Store,
    actor: &Actor,
    user_id: &str,
) -> Result<UserStatus, IdentityError> {
    require(actor, &Action::ManageUsers)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = load_user(&mut ex, user_id).await?;
    let current = UserStatus::from_db(&user.status)?;
    if current != UserStatus::Disabled {
        return Ok(current);
    }
    let status = if user.password_hash.is_some() {
        UserStatus::Active
    } else {
        UserStatus::Invited
    };
    ex.set_user_status(user_id, status.as_str(), at).await?;
    ex.bump_auth_epoch().await?;
    audit(
        &mut ex,
        actor,
        "user.reactivated",
        "user",
        user_id,
        json!({ "email": user.email, "status": status.as_str() }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(status)
}

/// Grants or revokes platform admin. Needs [`Action::ManageUsers`]. Revoking it from the
/// last active platform admin is a `Conflict`. Setting the current value changes nothing.
pub async fn set_platform_admin(
    store: &Store,
    actor: &Actor,
    user_id: &str,
    platform_admin: bool,
) -> Result<(), IdentityError> {
    require(actor, &Action::ManageUsers)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = load_user(&mut ex, user_id).await?;
    if user.platform_admin == platform_admin {
        return Ok(());
    }
    if !platform_admin && user.status == UserStatus::Active.as_str() {
        ensure_other_active_admin(&mut ex, user_id, &user.email, "demoted").await?;
    }
    ex.set_user_platform_admin(user_id, platform_admin, at)
        .await?;
    let action = if platform_admin {
        "user.platform_admin_granted"
    } else {
        "user.platform_admin_revoked"
    };
    audit(
        &mut ex,
        actor,
        action,
        "user",
        user_id,
        json!({ "email": user.email }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses (Conflict) unless an active platform admin other than `user_id` exists. On
/// PostgreSQL the admins' rows stay locked until commit, so two concurrent removals cannot
/// both pass.
async fn ensure_other_active_admin(
    ex: &mut Exec<'_>,
    user_id: &str,
    email: &str,
    verb: &str,
) -> Result<(), IdentityError> {
    let admins = ex.lock_active_platform_admins().await?;
    if admins.iter().any(|id| id != user_id) {
        return Ok(());
    }
    Err(IdentityError::Conflict(format!(
        "{email} is the last active platform admin and cannot be {verb}; make another active \
         user a platform admin first"
    )))
}

fn summary<'a>(
    u: UserRow,
    teams: impl Iterator<Item = &'a crate::store::directory::UserMembershipRow>,
    invite_expires_at: Option<DateTime<Utc>>,
) -> Result<UserSummary, IdentityError> {
    let teams = teams
        .map(|m| {
            Ok(UserTeam {
                team_id: m.team_id.clone(),
                team_name: m.team_name.clone(),
                role: role_from_db(&m.role)?,
            })
        })
        .collect::<Result<_, IdentityError>>()?;
    Ok(UserSummary {
        status: UserStatus::from_db(&u.status)?,
        has_password: u.password_hash.is_some(),
        id: u.id,
        email: u.email,
        name: u.name,
        platform_admin: u.platform_admin,
        must_change_password: u.must_change_password,
        origin: u.origin,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
        teams,
        invite_expires_at,
    })
}

// ---- helpers shared by teams, members and invites ----

/// `Forbidden` unless the actor may do this.
pub(crate) fn require(actor: &Actor, action: &Action<'_>) -> Result<(), IdentityError> {
    if actor.can(action) {
        Ok(())
    } else {
        Err(IdentityError::Forbidden)
    }
}

/// The user with this id, or `NotFound`.
pub(crate) async fn load_user(ex: &mut Exec<'_>, user_id: &str) -> Result<UserRow, IdentityError> {
    ex.get_user_row(user_id)
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("user {user_id}")))
}

pub(crate) fn role_from_db(s: &str) -> Result<TeamRole, IdentityError> {
    match s {
        "owner" => Ok(TeamRole::Owner),
        "admin" => Ok(TeamRole::Admin),
        "member" => Ok(TeamRole::Member),
        other => Err(IdentityError::Internal(format!(
            "unknown team role {other:?}"
        ))),
    }
}

/// Longest accepted display name (users and teams), in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A trimmed display name: non-empty, at most [`MAX_NAME_CHARS`], no control characters.
/// `what` names the field in the message ("team name", "name").
pub(crate) fn display_name(input: &str, what: &str) -> Result<String, IdentityError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(IdentityError::Invalid(format!("{what} must not be empty")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(IdentityError::Invalid(format!(
            "{what} is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(format!(
            "{what} contains control characters"
        )));
    }
    Ok(name.to_string())
}

/// Maps a unique violation to a `Conflict` with a message for people; other errors pass.
pub(crate) fn conflict_as(
    message: impl FnOnce() -> String,
) -> impl FnOnce(StoreError) -> IdentityError {
    move |e| match e {
        StoreError::Conflict(_) => IdentityError::Conflict(message()),
        other => IdentityError::Store(other),
    }
}

/// Writes one audit row for an actor's change. `details` must never hold a secret.
pub(crate) async fn audit(
    ex: &mut Exec<'_>,
    actor: &Actor,
    action: &str,
    target_kind: &str,
    target_id: &str,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), IdentityError> {
    ex.insert_audit(
        &AuditEntry {
            actor: actor.user_id.clone(),
            action: action.to_string(),
            target_kind: Some(target_kind.to_string()),
            target_id: Some(target_id.to_string()),
            details,
            client_addr: None,
        },
        at,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
