//! The checked credential lifecycle the admin UI and API call: issue, list, show, revoke,
//! rotate ([`rotate`]) and edit grants of service-account and personal credentials.
//!
//! Who may (DESIGN.md §3), checked first in every function:
//! - a service account's credentials: `ManageServiceAccounts(team)` — platform admins and
//!   the team's owners and admins;
//! - a personal credential: its own user (`ManageOwnCredentials`), or a platform admin.
//!
//! Each change runs in one transaction with its audit row and, when it affects `/v1`
//! authentication, an auth-epoch bump. The unchecked building blocks (also used by the CLI)
//! are in [`super::manage`]; how a credential is shown is in [`view`].

mod rotate;
mod view;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use rotate::{MAX_ROTATION_GRACE_DAYS, Rotation, rotate_credential};
pub use view::{CredentialOwner, CredentialStatus, CredentialView};

use super::manage::{
    CredentialError, OwnerSpec, check_expiry, check_grants, check_name, insert, resolve_owner,
    revoke_in,
};
use super::{ApiKey, Grants};
use crate::identity::permissions::{Action, Actor};
use crate::store::credentials::{CredentialRecord, CredentialScope};
use crate::store::rows::AuditEntry;
use crate::store::{Exec, Store, now};

/// A credential just issued: the key, to show exactly once, and how it will be listed.
#[derive(Debug)]
pub struct NewCredential {
    /// `key.expose()` is the full secret; it is not stored anywhere.
    pub key: ApiKey,
    pub credential: CredentialView,
}

/// Which credentials to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFilter<'a> {
    /// The actor's own personal credentials.
    Mine,
    /// One service account's (needs `ManageServiceAccounts` of its team).
    ServiceAccount(&'a str),
    /// One user's personal credentials, by user id (themselves, or a platform admin).
    User(&'a str),
    /// Everything charged to a team: its service accounts' credentials and personal ones
    /// bound to it (needs `ManageServiceAccounts(team)`; personal credentials of others are
    /// shown to platform admins only).
    Team(&'a str),
    /// Every credential (platform admins).
    All,
}

/// Whether `actor` may revoke, rotate or edit `credential` (for showing those buttons; every
/// function here checks again).
pub fn can_manage(actor: &Actor, credential: &CredentialView) -> bool {
    match &credential.owner {
        CredentialOwner::ServiceAccount { .. } => credential
            .team_id
            .as_deref()
            .is_some_and(|t| actor.can(&Action::ManageServiceAccounts(t))),
        CredentialOwner::User { id, .. } => manages_user(actor, id),
    }
}

/// Issues a credential to a service account or a user; the key is returned once.
///
/// Forbidden unless the actor may manage the owner's credentials (see the module docs).
/// Then: `EmptyName`/`Invalid` name, `ExpiryInPast`, `EmptyGrants`/`UnknownModel`,
/// `UnknownServiceAccount`/`UnknownUser`, `ServiceAccountDisabled`/`UserNotActive`, and for
/// personal credentials the `team` rules (`NotAMember`, `AmbiguousTeam`;
/// `TeamForServiceAccount` when a team is given for a service account).
pub async fn issue_credential(
    store: &Store,
    actor: &Actor,
    owner: &OwnerSpec,
    name: &str,
    grants: &Grants,
    expires_at: Option<DateTime<Utc>>,
    team: Option<&str>,
) -> Result<NewCredential, CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    // Permission first: who would hold the key decides who may issue it.
    match owner {
        OwnerSpec::ServiceAccount(id) => {
            let sa = ex
                .find_service_account(id)
                .await?
                .ok_or_else(|| CredentialError::UnknownServiceAccount(id.clone()))?;
            if !actor.can(&Action::ManageServiceAccounts(&sa.team_id)) {
                return Err(CredentialError::Forbidden);
            }
        }
        OwnerSpec::User(email) => match ex.find_user_by_email(email.as_str()).await? {
            Some(user) if manages_user(actor, &user.id) => {}
            // Only platform admins may learn whether someone else's address exists.
            None if actor.can(&Action::ManageUsers) => {
                return Err(CredentialError::UnknownUser(email.to_string()));
            }
            _ => return Err(CredentialError::Forbidden),
        },
        OwnerSpec::UserId(id) if !manages_user(actor, id) => {
            return Err(CredentialError::Forbidden);
        }
        OwnerSpec::UserId(_) => {}
    }
    let name = check_name(name)?;
    check_expiry(expires_at, at)?;
    let grants = check_grants(&mut ex, grants).await?;
    let resolved = resolve_owner(&mut ex, owner, team).await?;
    let issued = insert(
        &mut ex,
        &resolved,
        name,
        &grants,
        expires_at,
        &actor.user_id,
        at,
    )
    .await?;
    let credential = load(&mut ex, &issued.id, at).await?;
    tx.commit().await?;
    Ok(NewCredential {
        key: issued.key,
        credential,
    })
}

/// Credentials matching `filter` that the actor may manage, newest first. Never secrets.
pub async fn list_credentials(
    store: &Store,
    actor: &Actor,
    filter: CredentialFilter<'_>,
) -> Result<Vec<CredentialView>, CredentialError> {
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    let scope = match filter {
        CredentialFilter::Mine => CredentialScope::User(&actor.user_id),
        CredentialFilter::User(id) if manages_user(actor, id) => CredentialScope::User(id),
        CredentialFilter::Team(t) if actor.can(&Action::ManageServiceAccounts(t)) => {
            CredentialScope::Team(t)
        }
        CredentialFilter::All if actor.can(&Action::ManageUsers) => CredentialScope::All,
        CredentialFilter::ServiceAccount(id) => {
            let sa = ex
                .find_service_account(id)
                .await?
                .ok_or_else(|| CredentialError::UnknownServiceAccount(id.to_string()))?;
            if !actor.can(&Action::ManageServiceAccounts(&sa.team_id)) {
                return Err(CredentialError::Forbidden);
            }
            CredentialScope::ServiceAccount(id)
        }
        CredentialFilter::User(_) | CredentialFilter::Team(_) | CredentialFilter::All => {
            return Err(CredentialError::Forbidden);
        }
    };
    let at = now();
    Ok(ex
        .list_credential_records(scope)
        .await?
        .into_iter()
        .filter(|r| may_manage(actor, r))
        .map(|r| CredentialView::from_record(r, at))
        .collect())
}

/// One credential (by id or public id) the actor may manage.
pub async fn get_credential(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> Result<CredentialView, CredentialError> {
    let mut conn = store.conn().await?;
    let at = now();
    let record = load_managed(&mut conn.ex(), actor, id).await?;
    Ok(CredentialView::from_record(record, at))
}

/// Revokes a credential (by id or public id); it answers 401 `api_key_revoked` on every
/// replica within a second. Revoking a revoked credential changes nothing and succeeds.
pub async fn revoke_credential(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> Result<CredentialView, CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let record = load_managed(&mut ex, actor, id).await?;
    if record.revoked_at.is_none() {
        revoke_in(&mut ex, &record.id, &actor.user_id, at).await?;
    }
    let after = load(&mut ex, &record.id, at).await?;
    tx.commit().await?;
    Ok(after)
}

/// Replaces a credential's model grants. `EmptyGrants`/`UnknownModel` for grants naming
/// nothing or models not in the catalogue; `Conflict` for a revoked credential. Takes
/// effect on `/v1` with the next key-cache reload (the epoch is bumped).
pub async fn set_grants(
    store: &Store,
    actor: &Actor,
    id: &str,
    grants: &Grants,
) -> Result<CredentialView, CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let record = load_managed(&mut ex, actor, id).await?;
    if record.revoked_at.is_some() {
        return Err(CredentialError::Conflict(format!(
            "credential {:?} is revoked",
            record.id
        )));
    }
    let grants = check_grants(&mut ex, grants).await?;
    let before = Grants::from_column(record.model_grants.as_deref());
    if before != grants {
        ex.set_credential_grants(&record.id, grants.to_column().as_deref())
            .await?;
        ex.bump_auth_epoch().await?;
        ex.insert_audit(
            &AuditEntry {
                actor: actor.user_id.clone(),
                action: "credential.grants_changed".into(),
                target_kind: Some("credential".into()),
                target_id: Some(record.id.clone()),
                details: json!({ "from": before.describe(), "to": grants.describe() }),
                client_addr: None,
            },
            at,
        )
        .await?;
    }
    let after = load(&mut ex, &record.id, at).await?;
    tx.commit().await?;
    Ok(after)
}

/// Personal credentials: their own user, or a platform admin (who alone holds
/// `ManageUsers`). Team owners and admins do not manage members' personal credentials.
fn manages_user(actor: &Actor, user_id: &str) -> bool {
    (actor.user_id == user_id && actor.can(&Action::ManageOwnCredentials))
        || actor.can(&Action::ManageUsers)
}

fn may_manage(actor: &Actor, r: &CredentialRecord) -> bool {
    match (&r.service_account_id, &r.user_id) {
        (Some(_), _) => r
            .team_id
            .as_deref()
            .is_some_and(|t| actor.can(&Action::ManageServiceAccounts(t))),
        (None, Some(user)) => manages_user(actor, user),
        // The schema forbids an ownerless credential; only a platform admin sees one anyway.
        (None, None) => actor.can(&Action::ManageUsers),
    }
}

async fn load(
    ex: &mut Exec<'_>,
    id: &str,
    at: DateTime<Utc>,
) -> Result<CredentialView, CredentialError> {
    ex.find_credential(id)
        .await?
        .map(|r| CredentialView::from_record(r, at))
        .ok_or_else(|| CredentialError::NotFound(id.to_string()))
}

/// Finds the credential, then checks the actor may manage it.
async fn load_managed(
    ex: &mut Exec<'_>,
    actor: &Actor,
    id: &str,
) -> Result<CredentialRecord, CredentialError> {
    let record = ex
        .find_credential(id)
        .await?
        .ok_or_else(|| CredentialError::NotFound(id.to_string()))?;
    if !may_manage(actor, &record) {
        return Err(CredentialError::Forbidden);
    }
    Ok(record)
}
