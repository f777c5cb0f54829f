//! Onboarding: what an invite link shows before use ([`invite_status`]) and accepting it
//! ([`accept_invite`]): the link is single use, the password follows the policy, and the
//! user becomes `active`. Issuing, resending and revoking links is in `invites`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::invites::token_hash;
use super::permissions::Actor;
use super::users::{UserStatus, audit};
use super::{IdentityError, password, password_change};
use crate::store::invites::InviteRow;
use crate::store::rows::UserRow;
use crate::store::{Exec, Store, now};

/// Who a usable link onboards (for the "set your password" page).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvitedUser {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

/// Who this link onboards, if it is usable. Unknown token → `NotFound`; used, revoked or
/// expired link, or a user who is no longer invited → `Invalid` with the reason.
pub async fn invite_status(store: &Store, token: &str) -> Result<InvitedUser, IdentityError> {
    let mut conn = store.conn().await?;
    let (invite, user) = usable(&mut conn.ex(), token, now()).await?;
    Ok(InvitedUser {
        user_id: user.id,
        email: user.email,
        name: user.name,
        expires_at: invite.expires_at,
    })
}

/// Completes onboarding: checks the link and the password policy
/// ([`password_change::check_policy_with`]: at least `passwords.min_length` characters, not well
/// known, not the e-mail; `Invalid`), then — in one transaction —
/// marks the link used (a second use fails), sets the password hash, makes the user `active`
/// without a forced change, revokes their other links, bumps the auth epoch and writes the
/// audit row (actor = the user).
/// Returns the user id; signing in is the caller's next step.
pub async fn accept_invite(
    store: &Store,
    token: &str,
    new_password: &str,
) -> Result<String, IdentityError> {
    let (user, settings) = {
        let mut conn = store.conn().await?;
        let user = usable(&mut conn.ex(), token, now()).await?.1;
        (user, crate::settings::read_in(&mut conn.ex()).await?)
    };
    let min_length = settings.password_min_length;
    password_change::check_policy_with(new_password, &user.email, None, min_length)?;
    // argon2 takes tens of milliseconds: hash before holding a write transaction.
    let phc = password::hash(new_password)
        .await
        .map_err(|e| IdentityError::Internal(e.to_string()))?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let (invite, user) = usable(&mut ex, token, at).await?;
    if ex.mark_invite_used(&invite.id, at).await? == 0
        || ex.complete_onboarding(&user.id, &phc, at).await? == 0
    {
        return Err(IdentityError::Invalid(
            "this invite link has already been used".into(),
        ));
    }
    ex.revoke_open_invites(&user.id, at).await?;
    // Personal credentials issued while invited start working now.
    ex.bump_auth_epoch().await?;
    let me = Actor {
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        platform_admin: user.platform_admin,
        teams: Default::default(),
    };
    audit(
        &mut ex,
        &me,
        "user.onboarded",
        "user",
        &user.id,
        json!({ "email": user.email, "invite_id": invite.id }),
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(user.id)
}

/// The invite and its user, if the link can be used at `at`.
async fn usable(
    ex: &mut Exec<'_>,
    token: &str,
    at: DateTime<Utc>,
) -> Result<(InviteRow, UserRow), IdentityError> {
    let invite = ex
        .invite_by_token_hash(&token_hash(token))
        .await?
        .ok_or_else(|| IdentityError::NotFound("invite".into()))?;
    let user = ex
        .get_user_row(&invite.user_id)
        .await?
        .ok_or_else(|| IdentityError::NotFound("invite".into()))?;
    let why = invite_problem(&invite, &user.status, at);
    match why {
        Some(why) => Err(IdentityError::Invalid(why.into())),
        None => Ok((invite, user)),
    }
}

/// Why a link cannot be used, phrased for its holder.
fn invite_problem(
    invite: &InviteRow,
    user_status: &str,
    at: DateTime<Utc>,
) -> Option<&'static str> {
    if invite.used_at.is_some() {
        Some("this invite link has already been used")
    } else if invite.revoked_at.is_some() {
        Some("this invite link has been revoked; ask an administrator for a new one")
    } else if invite.expires_at <= at {
        Some("this invite link has expired; ask an administrator for a new one")
    } else if user_status != UserStatus::Invited.as_str() {
        Some("this account no longer accepts invites")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeded `invites.lifetime_hours`.
    const INVITE_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(7);

    fn row(at: DateTime<Utc>) -> InviteRow {
        InviteRow {
            id: "i".into(),
            user_id: "u".into(),
            created_at: at,
            expires_at: at + INVITE_LIFETIME,
            used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_link_is_usable_only_unused_unrevoked_unexpired_and_for_invited_users() {
        let t0 = now();
        let fresh = row(t0);
        assert_eq!(invite_problem(&fresh, "invited", t0), None);
        assert!(invite_problem(&fresh, "invited", t0 + INVITE_LIFETIME).is_some());
        assert!(invite_problem(&fresh, "active", t0).is_some());
        assert!(invite_problem(&fresh, "disabled", t0).is_some());
        let used = InviteRow {
            used_at: Some(t0),
            ..row(t0)
        };
        assert!(
            invite_problem(&used, "invited", t0)
                .unwrap()
                .contains("used")
        );
        let revoked = InviteRow {
            revoked_at: Some(t0),
            ..row(t0)
        };
        assert!(
            invite_problem(&revoked, "invited", t0)
                .unwrap()
                .contains("revoked")
        );
    }
}
