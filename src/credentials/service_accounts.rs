//! Service accounts: team-owned, non-human principals that hold data-plane credentials.
//!
//! Create, rename, deactivate, reactivate and list. Every function checks the actor's
//! permission first (`ManageServiceAccounts(team)`: platform admins, the team's owners and
//! admins), changes state and writes an audit row in one transaction. Creating one also
//! creates the budget the `service_accounts.default_budget` operational setting describes,
//! when it is set (read in the same transaction). Deactivating bumps the
//! auth epoch, so the account's credentials stop working at once (401
//! `api_key_owner_disabled`); reactivating brings the still-valid ones back. SQL lives in
//! `store::service_accounts`, credential issuing in [`super::lifecycle`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::manage::{CredentialError, check_name};
use crate::budgets::manage::{BudgetSpec, create_default_budget};
use crate::identity::IdentityError;
use crate::identity::permissions::{Action, Actor};
use crate::store::rows::AuditEntry;
use crate::store::service_accounts::{NewServiceAccountRow, ServiceAccountRecord};
use crate::store::{Exec, Store, StoreError, now};

/// A service account id: 2–40 characters of `a-z`, `0-9` and `-`, starting and ending with a
/// letter or digit. It appears in logs, spend reports and URLs, so it stays a plain slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ServiceAccountId(String);

impl ServiceAccountId {
    pub fn parse(input: &str) -> Result<ServiceAccountId, String> {
        let s = input.trim();
        let charset = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ends = !s.starts_with('-') && !s.ends_with('-');
        if (2..=40).contains(&s.len()) && charset && ends {
            Ok(ServiceAccountId(s.to_string()))
        } else {
            Err(format!(
                "service account id {input:?} must be 2-40 characters of a-z, 0-9 and '-', \
                 starting and ending with a letter or digit"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ServiceAccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceAccountStatus {
    Active,
    /// Its credentials answer 401 `api_key_owner_disabled` until it is reactivated.
    Disabled,
}

impl ServiceAccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceAccountStatus::Active => "active",
            ServiceAccountStatus::Disabled => "disabled",
        }
    }
}

/// How many credentials a service account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CredentialCounts {
    /// Every credential ever issued to it.
    pub total: i64,
    /// Neither revoked nor expired (those in a rotation grace period included).
    pub live: i64,
}

/// A service account as the admin UI and API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceAccount {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub name: String,
    pub status: ServiceAccountStatus,
    /// `config` (seed-config) or `admin`.
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub credentials: CredentialCounts,
}

impl From<ServiceAccountRecord> for ServiceAccount {
    fn from(r: ServiceAccountRecord) -> ServiceAccount {
        ServiceAccount {
            status: if r.status == "active" {
                ServiceAccountStatus::Active
            } else {
                ServiceAccountStatus::Disabled
            },
            id: r.id,
            team_id: r.team_id,
            team_name: r.team_name,
            name: r.name,
            origin: r.origin,
            created_at: r.created_at,
            updated_at: r.updated_at,
            credentials: CredentialCounts {
                total: r.credentials_total,
                live: r.credentials_live,
            },
        }
    }
}

fn manages(actor: &Actor, team: &str) -> bool {
    actor.can(&Action::ManageServiceAccounts(team))
}

/// Creates an active service account `id_slug` in `team`.
/// Forbidden unless the actor manages the team's service accounts; `Invalid` for a bad slug
/// or name; `UnknownTeam`; `ServiceAccountExists` for a taken id (ids are global).
pub async fn create_service_account(
    store: &Store,
    actor: &Actor,
    team: &str,
    id_slug: &str,
    name: &str,
) -> Result<ServiceAccount, CredentialError> {
    if !manages(actor, team) {
        return Err(CredentialError::Forbidden);
    }
    let id = ServiceAccountId::parse(id_slug).map_err(CredentialError::Invalid)?;
    let name = check_name(name)?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    if !ex.team_exists(team).await? {
        return Err(CredentialError::UnknownTeam(team.to_string()));
    }
    let row = NewServiceAccountRow {
        id: id.to_string(),
        team_id: team.to_string(),
        name: name.to_string(),
        origin: "admin",
    };
    match ex.insert_service_account(&row, at).await {
        Err(StoreError::Conflict(_)) => {
            return Err(CredentialError::ServiceAccountExists(id.to_string()));
        }
        other => other?,
    }
    audit(
        &mut ex,
        actor,
        "service_account.created",
        id.as_str(),
        json!({ "team_id": team, "name": name }),
        at,
    )
    .await?;
    if let Some(b) = crate::settings::read_in(&mut ex).await?.default_sa_budget {
        let spec = BudgetSpec {
            cadence: &b.cadence,
            timezone: &b.timezone,
            amount_usd: &b.amount_usd,
            hard_limit: b.hard_limit,
        };
        create_default_budget(&mut ex, actor, id.as_str(), &spec, at)
            .await
            .map_err(|e| match e {
                IdentityError::Store(s) => CredentialError::Store(s),
                other => {
                    CredentialError::Invalid(format!("service_accounts.default_budget: {other}"))
                }
            })?;
    }
    let created = load(&mut ex, id.as_str(), at).await?;
    tx.commit().await?;
    Ok(created)
}

/// Renames a service account (its id, and so its credentials, are unaffected).
pub async fn rename_service_account(
    store: &Store,
    actor: &Actor,
    id: &str,
    name: &str,
) -> Result<ServiceAccount, CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let before = load_managed(&mut ex, actor, id, at).await?;
    let name = check_name(name)?;
    if before.name != name {
        ex.rename_service_account(id, name, at).await?;
        audit(
            &mut ex,
            actor,
            "service_account.renamed",
            id,
            json!({ "from": before.name, "to": name }),
            at,
        )
        .await?;
    }
    let after = load(&mut ex, id, at).await?;
    tx.commit().await?;
    Ok(after)
}

/// Disables a service account; its credentials stop working on every replica within a
/// second (and at once on the replica that refreshes its key cache). Idempotent.
pub async fn deactivate_service_account(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> Result<ServiceAccount, CredentialError> {
    set_status(store, actor, id, ServiceAccountStatus::Disabled).await
}

/// Re-enables a service account; its credentials that are neither revoked nor expired work
/// again. Idempotent.
pub async fn reactivate_service_account(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> Result<ServiceAccount, CredentialError> {
    set_status(store, actor, id, ServiceAccountStatus::Active).await
}

/// One service account the actor manages.
pub async fn get_service_account(
    store: &Store,
    actor: &Actor,
    id: &str,
) -> Result<ServiceAccount, CredentialError> {
    let mut conn = store.conn().await?;
    load_managed(&mut conn.ex(), actor, id, now()).await
}

/// Service accounts with their credential counts, ordered by team then id.
/// `Some(team)`: that team's (Forbidden unless the actor manages it; `UnknownTeam` for a
/// platform admin naming a team that does not exist). `None`: every team the actor manages —
/// all of them for a platform admin, none (an empty list) for a plain member.
pub async fn list_service_accounts(
    store: &Store,
    actor: &Actor,
    team: Option<&str>,
) -> Result<Vec<ServiceAccount>, CredentialError> {
    if let Some(t) = team
        && !manages(actor, t)
    {
        return Err(CredentialError::Forbidden);
    }
    let mut conn = store.conn().await?;
    let mut ex = conn.ex();
    if let Some(t) = team
        && !ex.team_exists(t).await?
    {
        return Err(CredentialError::UnknownTeam(t.to_string()));
    }
    let rows = ex.list_service_account_records(team, now()).await?;
    Ok(rows
        .into_iter()
        .filter(|r| manages(actor, &r.team_id))
        .map(ServiceAccount::from)
        .collect())
}

async fn set_status(
    store: &Store,
    actor: &Actor,
    id: &str,
    status: ServiceAccountStatus,
) -> Result<ServiceAccount, CredentialError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    load_managed(&mut ex, actor, id, at).await?;
    if ex
        .set_service_account_status(id, status.as_str(), at)
        .await?
        > 0
    {
        // The key cache derives "owner active" from this row: make every replica reload.
        ex.bump_auth_epoch().await?;
        let action = match status {
            ServiceAccountStatus::Active => "service_account.reactivated",
            ServiceAccountStatus::Disabled => "service_account.deactivated",
        };
        audit(&mut ex, actor, action, id, json!({}), at).await?;
    }
    let after = load(&mut ex, id, at).await?;
    tx.commit().await?;
    Ok(after)
}

async fn load(
    ex: &mut Exec<'_>,
    id: &str,
    at: DateTime<Utc>,
) -> Result<ServiceAccount, CredentialError> {
    ex.service_account_record(id, at)
        .await?
        .map(ServiceAccount::from)
        .ok_or_else(|| CredentialError::UnknownServiceAccount(id.to_string()))
}

/// Loads the account, then checks the actor manages its team.
async fn load_managed(
    ex: &mut Exec<'_>,
    actor: &Actor,
    id: &str,
    at: DateTime<Utc>,
) -> Result<ServiceAccount, CredentialError> {
    let sa = load(ex, id, at).await?;
    if !manages(actor, &sa.team_id) {
        return Err(CredentialError::Forbidden);
    }
    Ok(sa)
}

async fn audit(
    ex: &mut Exec<'_>,
    actor: &Actor,
    action: &str,
    id: &str,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), CredentialError> {
    ex.insert_audit(
        &AuditEntry {
            actor: actor.user_id.clone(),
            action: action.to_string(),
            target_kind: Some("service_account".into()),
            target_id: Some(id.to_string()),
            details,
            client_addr: None,
        },
        at,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_ids_are_short_lower_case_slugs() {
        for good in ["ci", "batch-jobs", "a1", "0-9", &"x".repeat(40)] {
            assert_eq!(ServiceAccountId::parse(good).map(|i| i.0), Ok(good.into()));
        }
        for bad in [
            "",
            "a",
            "CI",
            "has space",
            "under_score",
            "-lead",
            "trail-",
            "dot.ted",
            "ünï",
            &"x".repeat(41),
        ] {
            assert!(ServiceAccountId::parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
