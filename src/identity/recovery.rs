//! Offline operator commands (`gateway admin create|list|reset-password`): they run with the
//! server down, straight on the database, for whoever has the server's shell. Same password
//! policy as the UI; every change writes an audit row with actor `system:cli`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::bootstrap::{AdminPut, NewAdmin, put_admin};
use super::password_change::check_policy_with;
use super::{Email, IdentityError, password};
use crate::store::rows::AuditEntry;
use crate::store::{Exec, LockName, Store, now};

/// The audit actor of every offline command.
pub const CLI_ACTOR: &str = "system:cli";

/// A platform admin as `gateway admin list` shows them.
#[derive(Debug, Clone, Serialize)]
pub struct AdminView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub status: String,
    pub must_change_password: bool,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// What `create_admin` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Created {
    /// A new active platform admin.
    Created,
    /// An invited user with that e-mail was activated as platform admin.
    Activated,
}

async fn hash(new: &str) -> Result<String, IdentityError> {
    password::hash(new)
        .await
        .map_err(|e| IdentityError::Internal(e.to_string()))
}

/// One audit row with actor [`CLI_ACTOR`] about a user. `details` must never hold a secret.
pub(crate) async fn audit(
    ex: &mut Exec<'_>,
    action: &str,
    user_id: &str,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), IdentityError> {
    ex.insert_audit(
        &AuditEntry {
            actor: CLI_ACTOR.into(),
            action: action.into(),
            target_kind: Some("user".into()),
            target_id: Some(user_id.into()),
            details,
            client_addr: None,
        },
        at,
    )
    .await?;
    Ok(())
}

/// Creates an active platform admin (or activates an invited user with that e-mail). An
/// existing active or disabled account is a conflict: use `reset-password` for those.
/// Under the bootstrap lock, so it cannot race `bootstrap-admin` or the bootstrap link.
pub async fn create_admin(
    store: &Store,
    email: &str,
    name: Option<&str>,
    new_password: &str,
    must_change_password: bool,
) -> Result<(String, Created), IdentityError> {
    let email = Email::parse(email).map_err(|e| IdentityError::Invalid(e.to_string()))?;
    let min_length = crate::settings::load(store).await?.password_min_length;
    check_policy_with(new_password, email.as_str(), None, min_length)?;
    let phc = hash(new_password).await?;
    let at = now();
    let mut tx = store.begin_locked(LockName::Bootstrap).await?;
    let mut ex = tx.ex();
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("admin"));
    let new = NewAdmin {
        email: &email,
        name,
        phc,
        must_change_password,
        origin: "cli",
    };
    let (id, outcome) = match put_admin(&mut ex, new, at).await? {
        AdminPut::Created(id) => (id, Created::Created),
        AdminPut::Activated(id) => (id, Created::Activated),
        AdminPut::Taken(u) => {
            return Err(IdentityError::Conflict(format!(
                "user {} already exists with status {}; use `gateway admin reset-password {}` \
                 to recover it",
                u.email, u.status, u.email
            )));
        }
    };
    let details = json!({"email": email.as_str(), "outcome": outcome, "must_change_password": must_change_password});
    audit(&mut ex, "admin.created", &id, details, at).await?;
    ex.flip_latch(&id, "cli", at).await?;
    tx.commit().await?;
    Ok((id, outcome))
}

/// Every platform admin, active or not.
pub async fn list_admins(store: &Store) -> Result<Vec<AdminView>, IdentityError> {
    let users = store.conn().await?.ex().list_user_rows().await?;
    Ok(users
        .into_iter()
        .filter(|u| u.platform_admin)
        .map(|u| AdminView {
            id: u.id,
            email: u.email,
            name: u.name,
            status: u.status,
            must_change_password: u.must_change_password,
            origin: u.origin,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        })
        .collect())
}

/// Sets a new password for an existing account (recovery for a locked-out admin): ends every
/// session of the user and lifts the sign-in lockout of their e-mail. A disabled account stays
/// disabled (re-enable it from the UI or API).
pub async fn reset_password(
    store: &Store,
    email: &str,
    new_password: &str,
    must_change_password: bool,
) -> Result<u64, IdentityError> {
    let email = Email::parse(email).map_err(|e| IdentityError::Invalid(e.to_string()))?;
    let min_length = crate::settings::load(store).await?.password_min_length;
    check_policy_with(new_password, email.as_str(), None, min_length)?;
    let phc = hash(new_password).await?;
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = ex
        .find_user_by_email(email.as_str())
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("user {email}")))?;
    if user.status == "invited" {
        return Err(IdentityError::Conflict(format!(
            "user {email} has not accepted their invite yet; use `gateway admin create {email}` \
             to activate them as an admin"
        )));
    }
    ex.set_password(&user.id, &phc, must_change_password, at)
        .await?;
    let ended = ex.end_user_sessions(&user.id, None, at).await?;
    ex.clear_login_failures(&format!("email:{email}")).await?;
    let details = json!({"sessions_ended": ended, "must_change_password": must_change_password});
    audit(&mut ex, "password.reset", &user.id, details, at).await?;
    tx.commit().await?;
    Ok(ended)
}
