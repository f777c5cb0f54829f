//! Issuing, listing and revoking data-plane credentials. Shared by the CLI and (later) the
//! admin UI; every change bumps the auth epoch and writes an audit row in one transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{ApiKey, Grants};
use crate::identity::Email;
use crate::store::rows::{AuditEntry, CredentialRow, NewCredentialRow};
use crate::store::{Store, StoreError, new_id, now};

/// Who a new credential belongs to.
#[derive(Debug, Clone)]
pub enum OwnerSpec {
    ServiceAccount(String),
    User(Email),
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
    #[error("expiry must be in the future")]
    ExpiryInPast,
    #[error("no credential with id {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Issues a credential after checking its owner, team and grants.
pub async fn issue(store: &Store, req: IssueRequest) -> Result<Issued, CredentialError> {
    let name = req.name.trim();
    if name.is_empty() {
        return Err(CredentialError::EmptyName);
    }
    let at = now();
    if req.expires_at.is_some_and(|e| e <= at) {
        return Err(CredentialError::ExpiryInPast);
    }
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    if let Grants::Models(models) = &req.grants {
        let known = ex.list_keys("models", "id").await?;
        if let Some(m) = models.iter().find(|m| !known.contains(m)) {
            return Err(CredentialError::UnknownModel(m.clone()));
        }
    }
    let (service_account_id, user_id, team_id) = match &req.owner {
        OwnerSpec::ServiceAccount(id) => {
            if req.team.is_some() {
                return Err(CredentialError::TeamForServiceAccount);
            }
            let sa = ex
                .find_service_account(id)
                .await?
                .ok_or_else(|| CredentialError::UnknownServiceAccount(id.clone()))?;
            if sa.status != "active" {
                return Err(CredentialError::ServiceAccountDisabled(id.clone()));
            }
            (Some(sa.id), None, Some(sa.team_id))
        }
        OwnerSpec::User(email) => {
            let user = ex
                .find_user_by_email(email.as_str())
                .await?
                .ok_or_else(|| CredentialError::UnknownUser(email.to_string()))?;
            if user.status != "active" {
                return Err(CredentialError::UserNotActive {
                    email: user.email,
                    status: user.status,
                });
            }
            let teams = ex.user_team_ids(&user.id).await?;
            let team = match (&req.team, teams.as_slice()) {
                (Some(t), _) if teams.contains(t) => Some(t.clone()),
                (Some(t), _) => {
                    return Err(CredentialError::NotAMember {
                        email: user.email,
                        team: t.clone(),
                    });
                }
                (None, []) => None,
                (None, [only]) => Some(only.clone()),
                (None, many) => {
                    return Err(CredentialError::AmbiguousTeam {
                        email: user.email,
                        teams: many.join(", "),
                    });
                }
            };
            (None, Some(user.id), team)
        }
    };
    let key = ApiKey::generate();
    let id = new_id();
    ex.insert_credential(
        &NewCredentialRow {
            id: id.clone(),
            public_id: key.public_id().to_string(),
            secret_hash: key.secret_hash().to_vec(),
            last4: key.last4(),
            name: name.to_string(),
            service_account_id: service_account_id.clone(),
            user_id: user_id.clone(),
            team_id: team_id.clone(),
            model_grants: req.grants.to_column(),
            expires_at: req.expires_at,
            created_by: Some(req.actor.clone()),
        },
        at,
    )
    .await?;
    ex.bump_auth_epoch().await?;
    ex.insert_audit(
        &AuditEntry {
            actor: req.actor.clone(),
            action: "credential.issued".into(),
            target_kind: Some("credential".into()),
            target_id: Some(id.clone()),
            details: json!({
                "public_id": key.public_id(),
                "name": name,
                "service_account_id": service_account_id,
                "user_id": user_id,
                "team_id": team_id,
                "grants": req.grants.describe(),
                "expires_at": req.expires_at,
            }),
            client_addr: None,
        },
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(Issued { id, key, team_id })
}

/// Every credential, newest first.
pub async fn list(store: &Store) -> Result<Vec<CredentialRow>, CredentialError> {
    Ok(store.conn().await?.ex().list_credentials().await?)
}

/// Revokes by id or public id. Takes effect on every replica within a second.
pub async fn revoke(store: &Store, id: &str, actor: &str) -> Result<(), CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
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
    tx.commit().await?;
    Ok(())
}
