//! Rotation: a new secret for the same owner, name and grants, with the old key working on
//! for an optional grace period so clients can switch without an outage.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{CredentialView, NewCredential, load, load_managed};
use crate::credentials::Grants;
use crate::credentials::manage::{CredentialError, OwnerSpec, insert, resolve_owner};
use crate::identity::permissions::Actor;
use crate::store::rows::AuditEntry;
use crate::store::{Store, now};

/// Longest grace period a rotation may leave the old key working.
pub const MAX_ROTATION_GRACE_DAYS: i64 = 30;

/// The outcome of a rotation.
#[derive(Debug)]
pub struct Rotation {
    /// The successor; its key is shown once.
    pub new: NewCredential,
    /// The old credential afterwards: `rotating` until `expires_at` (grace), or `revoked`.
    pub old: CredentialView,
}

/// Rotates a credential (by id or public id).
///
/// The successor keeps the owner, name, grants (carried over as they are, so a rotation is
/// never blocked by a model since removed) and expiry policy: no expiry stays no expiry, a
/// lifetime of N days becomes N days from now. The old credential ends at `now + grace`
/// (never later than its own expiry) or, with no or zero grace, is revoked at once.
///
/// Forbidden as for revoking; `Invalid` for a negative grace or one over
/// [`MAX_ROTATION_GRACE_DAYS`]; `Conflict` when the credential is revoked, expired or already
/// rotated; `ServiceAccountDisabled` / `UserNotActive` when its owner may not get a new key.
pub async fn rotate_credential(
    store: &Store,
    actor: &Actor,
    id: &str,
    grace: Option<Duration>,
) -> Result<Rotation, CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let old = load_managed(&mut ex, actor, id).await?;
    let grace = check_grace(grace)?;
    let conflict = |why: &str| CredentialError::Conflict(format!("credential {:?} {why}", old.id));
    if old.revoked_at.is_some() {
        return Err(conflict("is revoked; issue a new one instead"));
    }
    if let Some(next) = &old.replaced_by {
        return Err(conflict(&format!(
            "was already rotated; rotate its replacement {next:?}"
        )));
    }
    if old.expires_at.is_some_and(|e| e <= at) {
        return Err(conflict("has expired; issue a new one instead"));
    }
    let (owner, team) = match (&old.service_account_id, &old.user_id) {
        (Some(sa), _) => (OwnerSpec::ServiceAccount(sa.clone()), None),
        (None, Some(user)) => (OwnerSpec::UserId(user.clone()), old.team_id.as_deref()),
        (None, None) => return Err(conflict("has no owner")),
    };
    let resolved = resolve_owner(&mut ex, &owner, team).await?;
    let grants = Grants::from_column(old.model_grants.as_deref());
    let expires_at = old.expires_at.map(|e| at + (e - old.created_at));
    let issued = insert(
        &mut ex,
        &resolved,
        &old.name,
        &grants,
        expires_at,
        &actor.user_id,
        at,
    )
    .await?;
    let ends_at: Option<DateTime<Utc>> = grace.map(|g| {
        let end = at + g;
        old.expires_at.map_or(end, |e| e.min(end))
    });
    if ex
        .rotate_out_credential(&old.id, &issued.id, ends_at, at)
        .await?
        == 0
    {
        return Err(conflict("was changed concurrently; try again"));
    }
    ex.bump_auth_epoch().await?;
    ex.insert_audit(
        &AuditEntry {
            actor: actor.user_id.clone(),
            action: "credential.rotated".into(),
            target_kind: Some("credential".into()),
            target_id: Some(old.id.clone()),
            details: json!({
                "replaced_by": issued.id,
                "grace_seconds": grace.map_or(0, |g| g.num_seconds()),
                "old_ends_at": ends_at.unwrap_or(at),
            }),
            client_addr: None,
        },
        at,
    )
    .await?;
    let new = load(&mut ex, &issued.id, at).await?;
    let old = load(&mut ex, &old.id, at).await?;
    tx.commit().await?;
    Ok(Rotation {
        new: NewCredential {
            key: issued.key,
            credential: new,
        },
        old,
    })
}

/// `None` for "end the old key now"; otherwise a positive grace within the limit.
fn check_grace(grace: Option<Duration>) -> Result<Option<Duration>, CredentialError> {
    match grace {
        None => Ok(None),
        Some(g) if g.is_zero() => Ok(None),
        Some(g) if g < Duration::zero() => Err(CredentialError::Invalid(
            "grace period must not be negative".into(),
        )),
        Some(g) if g > Duration::days(MAX_ROTATION_GRACE_DAYS) => Err(CredentialError::Invalid(
            format!("grace period must be at most {MAX_ROTATION_GRACE_DAYS} days"),
        )),
        Some(g) => Ok(Some(g)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_is_optional_zero_means_none_and_it_is_bounded() {
        assert_eq!(check_grace(None).ok(), Some(None));
        assert_eq!(check_grace(Some(Duration::zero())).ok(), Some(None));
        let hour = Duration::hours(1);
        assert_eq!(check_grace(Some(hour)).ok(), Some(Some(hour)));
        assert!(check_grace(Some(-hour)).is_err());
        assert!(check_grace(Some(Duration::days(MAX_ROTATION_GRACE_DAYS + 1))).is_err());
    }
}
