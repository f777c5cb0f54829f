//! The unchecked core of issuing, listing and revoking data-plane credentials, and the one
//! error type of the credential capability.
//!
//! The CLI (an operator with shell access to the config and database, audited as `cli`) calls
//! [`issue`], [`list`] and [`revoke`] directly. The admin UI and API go through
//! [`super::lifecycle`] and [`super::service_accounts`], which check the signed-in actor's
//! permissions first and then build on the pieces here. Every change bumps the auth epoch and
//! writes an audit row in the same transaction. No permission checks live in this file.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ApiKey, Grants};
use crate::identity::{Email, IdentityError};
use crate::store::rows::{AuditEntry, CredentialRow, NewCredentialRow};
use crate::store::{Exec, Store, StoreError, new_id, now};

/// Longest credential or service-account display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Who a new credential belongs to.
#[derive(Debug, Clone)]
pub enum OwnerSpec {
    ServiceAccount(String),
    /// A user, by e-mail (the CLI's way of naming people).
    User(Email),
    /// A user, by id (the admin UI's way).
    UserId(String),
}

/// A request to issue a credential.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    pub owner: OwnerSpec,
    pub name: String,
    pub grants: Grants,
    pub expires_at: Option<DateTime<Utc>>,
    /// For personal credentials: which of the user's teams it spends for.
    pub team: Option<String>,
    /// Who issues it, for the audit log (`cli`, a user id, …).
    pub actor: String,
}

/// A freshly issued credential. The key is shown once and never stored.
#[derive(Debug)]
pub struct Issued {
    pub id: String,
    pub key: ApiKey,
    pub team_id: Option<String>,
}

/// Everything that can go wrong managing credentials and service accounts. Maps onto
/// 404 / 403 / 409 / 400 through `From<CredentialError> for IdentityError`.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("credential name must not be empty")]
    EmptyName,
    #[error("service account {0:?} does not exist")]
    UnknownServiceAccount(String),
    #[error("service account {0:?} is disabled")]
    ServiceAccountDisabled(String),
    #[error("user {0} does not exist")]
    UnknownUser(String),
    #[error("user {email} is {status}; personal credentials need an active user")]
    UserNotActive { email: String, status: String },
    #[error("user {email} is not a member of team {team:?}")]
    NotAMember { email: String, team: String },
    #[error("user {email} belongs to several teams ({teams}); choose one with --team")]
    AmbiguousTeam { email: String, teams: String },
    #[error("--team only applies to personal credentials")]
    TeamForServiceAccount,
    #[error("unknown model {0:?} in grants")]
    UnknownModel(String),
    #[error("grant at least one model, or all models")]
    EmptyGrants,
    #[error("expiry must be in the future")]
    ExpiryInPast,
    #[error("no credential with id {0:?}")]
    NotFound(String),
    #[error("team {0:?} does not exist")]
    UnknownTeam(String),
    #[error("service account {0:?} already exists")]
    ServiceAccountExists(String),
    /// The actor may not do this.
    #[error("you do not have permission to do this")]
    Forbidden,
    /// Input that is not acceptable; the message names the field and why.
    #[error("{0}")]
    Invalid(String),
    /// The request conflicts with the credential's state (revoked, already rotated, …).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The control plane speaks [`IdentityError`]; this is the one place credential errors get
/// their status class. Exhaustive on purpose: a new variant must choose one.
impl From<CredentialError> for IdentityError {
    fn from(e: CredentialError) -> IdentityError {
        let text = e.to_string();
        match e {
            CredentialError::UnknownServiceAccount(id) => {
                IdentityError::NotFound(format!("service account {id:?}"))
            }
            CredentialError::UnknownUser(who) => IdentityError::NotFound(format!("user {who}")),
            CredentialError::NotFound(id) => IdentityError::NotFound(format!("credential {id:?}")),
            CredentialError::UnknownTeam(id) => IdentityError::NotFound(format!("team {id:?}")),
            CredentialError::Forbidden => IdentityError::Forbidden,
            CredentialError::ServiceAccountDisabled(_)
            | CredentialError::UserNotActive { .. }
            | CredentialError::ServiceAccountExists(_)
            | CredentialError::Conflict(_)
            | CredentialError::Store(StoreError::Conflict(_)) => IdentityError::Conflict(text),
            CredentialError::EmptyName
            | CredentialError::NotAMember { .. }
            | CredentialError::AmbiguousTeam { .. }
            | CredentialError::TeamForServiceAccount
            | CredentialError::UnknownModel(_)
            | CredentialError::EmptyGrants
            | CredentialError::ExpiryInPast
            | CredentialError::Invalid(_) => IdentityError::Invalid(text),
            CredentialError::Store(e) => IdentityError::Store(e),
        }
    }
}

/// Issues a credential after checking its owner, team and grants. No permission check: the
/// caller is the operator's CLI, or a checked function in `lifecycle`.
pub async fn issue(store: &Store, req: IssueRequest) -> Result<Issued, CredentialError> {
    let name = check_name(&req.name)?;
    let at = now();
    check_expiry(req.expires_at, at)?;
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let grants = check_grants(&mut ex, &req.grants).await?;
    let owner = resolve_owner(&mut ex, &req.owner, req.team.as_deref()).await?;
    let issued = insert(
        &mut ex,
        &owner,
        name,
        &grants,
        req.expires_at,
        &req.actor,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// Every credential, newest first.
pub async fn list(store: &Store) -> Result<Vec<CredentialRow>, CredentialError> {
    Ok(store.conn().await?.ex().list_credentials().await?)
}

/// Revokes by id or public id. Takes effect on every replica within a second.
pub async fn revoke(store: &Store, id: &str, actor: &str) -> Result<(), CredentialError> {
    let mut tx = store.begin().await?;
    revoke_in(&mut tx.ex(), id, actor, now()).await?;
    tx.commit().await?;
    Ok(())
}

/// A trimmed, non-empty display name of at most [`MAX_NAME_CHARS`].
pub(crate) fn check_name(name: &str) -> Result<&str, CredentialError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CredentialError::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(CredentialError::Invalid(format!(
            "name must be at most {MAX_NAME_CHARS} printable characters"
        )));
    }
    Ok(name)
}

pub(crate) fn check_expiry(
    expires_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<(), CredentialError> {
    if expires_at.is_some_and(|e| e <= at) {
        return Err(CredentialError::ExpiryInPast);
    }
    Ok(())
}

/// Grants naming only models in the catalogue, trimmed and without duplicates.
pub(crate) async fn check_grants(
    ex: &mut Exec<'_>,
    grants: &Grants,
) -> Result<Grants, CredentialError> {
    let Grants::Models(models) = grants else {
        return Ok(Grants::All);
    };
    let mut clean: Vec<String> = Vec::with_capacity(models.len());
    for m in models.iter().map(|m| m.trim()) {
        if !clean.iter().any(|c| c == m) {
            clean.push(m.to_string());
        }
    }
    if clean.is_empty() {
        return Err(CredentialError::EmptyGrants);
    }
    let known = ex.list_keys("models", "id").await?;
    if let Some(m) = clean.iter().find(|m| !known.contains(m)) {
        return Err(CredentialError::UnknownModel(m.clone()));
    }
    Ok(Grants::Models(clean))
}

/// A credential's owner after checking it may hold one.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedOwner {
    pub service_account_id: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
}

/// Checks the owner exists and is active and picks the team the credential spends for.
pub(crate) async fn resolve_owner(
    ex: &mut Exec<'_>,
    owner: &OwnerSpec,
    team: Option<&str>,
) -> Result<ResolvedOwner, CredentialError> {
    let (user_id, email, status) = match owner {
        OwnerSpec::ServiceAccount(id) => {
            if team.is_some() {
                return Err(CredentialError::TeamForServiceAccount);
            }
            let sa = ex
                .find_service_account(id)
                .await?
                .ok_or_else(|| CredentialError::UnknownServiceAccount(id.clone()))?;
            if sa.status != "active" {
                return Err(CredentialError::ServiceAccountDisabled(id.clone()));
            }
            return Ok(ResolvedOwner {
                service_account_id: Some(sa.id),
                user_id: None,
                team_id: Some(sa.team_id),
            });
        }
        OwnerSpec::User(email) => {
            let user = ex
                .find_user_by_email(email.as_str())
                .await?
                .ok_or_else(|| CredentialError::UnknownUser(email.to_string()))?;
            (user.id, user.email, user.status)
        }
        OwnerSpec::UserId(id) => {
            let user = ex
                .credential_owner_user(id)
                .await?
                .ok_or_else(|| CredentialError::UnknownUser(id.clone()))?;
            (user.id, user.email, user.status)
        }
    };
    if status != "active" {
        return Err(CredentialError::UserNotActive { email, status });
    }
    let teams = ex.user_team_ids(&user_id).await?;
    let team_id = match (team, teams.as_slice()) {
        (Some(t), _) if teams.iter().any(|m| m == t) => Some(t.to_string()),
        (Some(t), _) => {
            return Err(CredentialError::NotAMember {
                email,
                team: t.to_string(),
            });
        }
        (None, []) => None,
        (None, [only]) => Some(only.clone()),
        (None, many) => {
            return Err(CredentialError::AmbiguousTeam {
                email,
                teams: many.join(", "),
            });
        }
    };
    Ok(ResolvedOwner {
        service_account_id: None,
        user_id: Some(user_id),
        team_id,
    })
}

/// Generates the key, stores its hash, bumps the auth epoch and writes `credential.issued`.
/// Inputs must already be checked (`check_name`, `check_expiry`, `check_grants`).
pub(crate) async fn insert(
    ex: &mut Exec<'_>,
    owner: &ResolvedOwner,
    name: &str,
    grants: &Grants,
    expires_at: Option<DateTime<Utc>>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Issued, CredentialError> {
    let key = ApiKey::generate();
    let id = new_id();
    ex.insert_credential(
        &NewCredentialRow {
            id: id.clone(),
            public_id: key.public_id().to_string(),
            secret_hash: key.secret_hash().to_vec(),
            last4: key.last4(),
            name: name.to_string(),
            service_account_id: owner.service_account_id.clone(),
            user_id: owner.user_id.clone(),
            team_id: owner.team_id.clone(),
            model_grants: grants.to_column(),
            expires_at,
            created_by: Some(actor.to_string()),
        },
        at,
    )
    .await?;
    ex.bump_auth_epoch().await?;
    ex.insert_audit(
        &AuditEntry {
            actor: actor.to_string(),
            action: "credential.issued".into(),
            target_kind: Some("credential".into()),
            target_id: Some(id.clone()),
            details: json!({
                "public_id": key.public_id(),
                "name": name,
                "service_account_id": owner.service_account_id,
                "user_id": owner.user_id,
                "team_id": owner.team_id,
                "grants": grants.describe(),
                "expires_at": expires_at,
            }),
            client_addr: None,
        },
        at,
    )
    .await?;
    Ok(Issued {
        id,
        key,
        team_id: owner.team_id.clone(),
    })
}

/// Revokes a live credential (by id or public id), bumps the epoch, writes
/// `credential.revoked`. `NotFound` when there is no such live credential.
pub(crate) async fn revoke_in(
    ex: &mut Exec<'_>,
    id: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), CredentialError> {
    if ex.revoke_credential(id, at).await? == 0 {
        return Err(CredentialError::NotFound(id.to_string()));
    }
    ex.bump_auth_epoch().await?;
    ex.insert_audit(
        &AuditEntry {
            actor: actor.to_string(),
            action: "credential.revoked".into(),
            target_kind: Some("credential".into()),
            target_id: Some(id.to_string()),
            details: json!({}),
            client_addr: None,
        },
        at,
    )
    .await?;
    Ok(())
}
