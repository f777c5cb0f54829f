//! Invites: one-time onboarding links. Inviting creates (or reuses) an `invited` user and a
//! random token that is shown once and stored only as its SHA-256. Accepting it is in
//! `onboarding`. Config-seeded users are `invited` users without a link yet:
//! [`resend_invite`] gives them one.
//!
//! A user has at most one usable link: issuing a new one revokes the previous ones. A link
//! is usable while it is unused, unrevoked, unexpired (it lasts the `invites.lifetime_hours`
//! operational setting, read when the link is issued) and its user is still `invited`.
//!
//! Whoever creates a link could use it themselves, so inviting (or re-inviting) a platform
//! admin is reserved to platform admins.

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::members::{ensure_team, put_membership, require_owner_rights};
use super::permissions::{Action, Actor};
use super::sessions::random_token;
use super::users::{UserStatus, audit, conflict_as, display_name, load_user};
use super::{Email, IdentityError};
use crate::config::schema::TeamRole;
use crate::store::invites::NewInvite;
use crate::store::rows::{NewUser, UserRow};
use crate::store::{Exec, Store, new_id, now};

/// A freshly issued onboarding link. `link_token` is the secret: show it once (as part of
/// the link), never log or store it. `Debug` redacts it.
#[derive(Clone)]
pub struct Invite {
    pub user_id: String,
    pub link_token: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invite")
            .field("user_id", &self.user_id)
            .field("link_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Invites someone: creates an `invited` user with this e-mail (or reuses the existing
/// invited one — e.g. config-seeded — keeping its name), optionally puts them in a team, and
/// issues a link. Permissions: [`Action::ManageTeams`], or [`Action::ManageTeamMembers`] of
/// `team` when inviting into it (an owner role needs an owner); `platform_admin` needs a
/// platform admin ([`Action::ManageUsers`]). An active or disabled user with this e-mail →
/// `Conflict`.
pub async fn invite_user(
    store: &Store,
    actor: &Actor,
    email: &str,
    name: &str,
    team: Option<(&str, TeamRole)>,
    platform_admin: bool,
) -> Result<Invite, IdentityError> {
    let allowed = actor.can(&Action::ManageTeams)
        || team.is_some_and(|(t, _)| actor.can(&Action::ManageTeamMembers(t)));
    if !allowed || (platform_admin && !actor.can(&Action::ManageUsers)) {
        return Err(IdentityError::Forbidden);
    }
    if let Some((t, TeamRole::Owner)) = team {
        require_owner_rights(actor, t)?;
    }
    let email = Email::parse(email).map_err(IdentityError::Invalid)?;
    let name = display_name(name, "name")?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    if let Some((t, _)) = team {
        ensure_team(&mut ex, t).await?;
    }
    let existing = ex.find_user_by_email(email.as_str()).await?;
    let (user, reused) = match existing {
        None => {
            let user = NewUser {
                id: new_id(),
                email: email.to_string(),
                name,
                status: UserStatus::Invited.as_str(),
                platform_admin,
                password_hash: None,
                must_change_password: false,
                origin: "admin",
            };
            ex.insert_user(&user, at).await.map_err(conflict_as(|| {
                format!("a user with e-mail {email} already exists")
            }))?;
            let row = load_user(&mut ex, &user.id).await?;
            (row, false)
        }
        Some(u) if u.status == UserStatus::Invited.as_str() => {
            if u.platform_admin && !actor.can(&Action::ManageUsers) {
                return Err(IdentityError::Forbidden);
            }
            if platform_admin && !u.platform_admin {
                ex.set_user_platform_admin(&u.id, true, at).await?;
            }
            (u, true)
        }
        Some(u) => {
            return Err(IdentityError::Conflict(format!(
                "{email} already has an account (status {}); add them to a team instead of \
                 inviting them",
                u.status
            )));
        }
    };
    let previous_role = match team {
        Some((t, role)) => put_membership(&mut ex, t, &user, role, at).await?,
        None => None,
    };
    let revoked = ex.revoke_open_invites(&user.id, at).await?;
    let invite = issue(&mut ex, actor, &user.id, at).await?;
    audit(
        &mut ex,
        actor,
        "user.invited",
        "user",
        &user.id,
        json!({
            "email": user.email,
            "reused_invited_user": reused,
            "platform_admin": platform_admin || user.platform_admin,
            "team": team.map(|(t, _)| t),
            "role": team.map(|(_, r)| r.as_str()),
            "previous_role": previous_role.map(TeamRole::as_str),
            "invites_revoked": revoked,
            "expires_at": invite.expires_at,
        }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(invite)
}

/// Issues a new link for an `invited` user (config-seeded users included), revoking the
/// previous ones. Permission as [`revoke_invite`].
pub async fn resend_invite(
    store: &Store,
    actor: &Actor,
    user_id: &str,
) -> Result<Invite, IdentityError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = invited_user_in_reach(&mut ex, actor, user_id).await?;
    let revoked = ex.revoke_open_invites(user_id, at).await?;
    let invite = issue(&mut ex, actor, user_id, at).await?;
    audit(
        &mut ex,
        actor,
        "user.invite_resent",
        "user",
        user_id,
        json!({
            "email": user.email,
            "invites_revoked": revoked,
            "expires_at": invite.expires_at,
        }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(invite)
}

/// Revokes the user's usable links (the user stays `invited`; resend to issue a new one).
/// Returns how many were revoked; none open → `NotFound`. Needs [`Action::ManageTeams`], or
/// [`Action::ManageTeamMembers`] of a team the user belongs to; for an invited platform admin,
/// a platform admin. The user must still be `invited` (`Conflict`).
pub async fn revoke_invite(
    store: &Store,
    actor: &Actor,
    user_id: &str,
) -> Result<u64, IdentityError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = invited_user_in_reach(&mut ex, actor, user_id).await?;
    let revoked = ex.revoke_open_invites(user_id, at).await?;
    if revoked == 0 {
        return Err(IdentityError::NotFound(format!(
            "open invite for {}",
            user.email
        )));
    }
    audit(
        &mut ex,
        actor,
        "user.invite_revoked",
        "user",
        user_id,
        json!({ "email": user.email, "invites_revoked": revoked }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// SHA-256 of a presented link token: what the `invites` table is searched by.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

async fn issue(
    ex: &mut Exec<'_>,
    actor: &Actor,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<Invite, IdentityError> {
    let token = random_token();
    let expires_at = at + crate::settings::read_in(ex).await?.invite_lifetime;
    ex.insert_invite(&NewInvite {
        id: new_id(),
        user_id: user_id.to_string(),
        token_hash: token_hash(&token),
        created_by: Some(actor.user_id.clone()),
        created_at: at,
        expires_at,
    })
    .await?;
    Ok(Invite {
        user_id: user_id.to_string(),
        link_token: token,
        expires_at,
    })
}

/// The invited user, if the actor may manage their invites (see [`revoke_invite`]).
async fn invited_user_in_reach(
    ex: &mut Exec<'_>,
    actor: &Actor,
    user_id: &str,
) -> Result<UserRow, IdentityError> {
    let user = load_user(ex, user_id).await?;
    let allowed = if actor.can(&Action::ManageTeams) {
        true
    } else if user.platform_admin && !actor.can(&Action::ManageUsers) {
        false
    } else {
        ex.user_memberships(Some(user_id))
            .await?
            .iter()
            .any(|m| actor.can(&Action::ManageTeamMembers(&m.team_id)))
    };
    if !allowed {
        return Err(IdentityError::Forbidden);
    }
    if user.status != UserStatus::Invited.as_str() {
        return Err(IdentityError::Conflict(format!(
            "{} is not waiting for an invite (status {})",
            user.email, user.status
        )));
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_url_safe_characters_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 32);
        assert_eq!(token_hash(&a), token_hash(&format!(" {a}\n")));
    }

    #[test]
    fn invites_last_seven_days_and_debug_hides_the_token() {
        let lifetime = crate::settings::Settings::default().invite_lifetime;
        assert_eq!(lifetime, chrono::TimeDelta::days(7), "the seeded default");
        let invite = Invite {
            user_id: "u".into(),
            link_token: "s3cr3t-token".into(),
            expires_at: now(),
        };
        assert!(!format!("{invite:?}").contains("s3cr3t"));
    }
}
