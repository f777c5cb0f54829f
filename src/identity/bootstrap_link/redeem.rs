//! Redeeming the bootstrap token: per-address attempt limit (its own counter, apart from
//! sign-in's), constant-time comparison, then the first admin and a control-plane token in one
//! transaction under the `Bootstrap` lock (re-counting admins inside it, so N concurrent
//! correct requests create exactly one), the latch flip, and only after the commit the disarm
//! and the file deletion. Every refusal but "not open" writes a `bootstrap_link.failed` audit
//! row with its reason; success writes `bootstrap_link.succeeded`.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::{BootstrapLink, LinkError, is_open, sha256, token_file};
use crate::identity::admin_tokens::{Minted, mint_in};
use crate::identity::bootstrap::{AdminPut, NewAdmin, put_admin};
use crate::identity::password_change::check_policy_with;
use crate::identity::sessions::Client;
use crate::identity::{Email, password};
use crate::settings::Settings;
use crate::store::rows::AuditEntry;
use crate::store::{LockName, Store, now};

/// Failures from one address counted within this window…
const WINDOW: Duration = Duration::minutes(15);
/// …beyond this many refuse every further attempt from it until they age out.
const FREE_ATTEMPTS: i64 = 5;
/// The audit actor of what the link creates.
const ACTOR: &str = "system:bootstrap-link";
/// Used when the API caller sends no e-mail.
const GENERATED_EMAIL: &str = "admin@local";
const DEFAULT_NAME: &str = "Administrator";
const NAME_MAX: usize = 100;
const GENERATED_PASSWORD_LEN: usize = 24;

/// What the caller presents. Empty or missing e-mail / password are generated; `Debug` hides
/// the token and the password.
#[derive(Default)]
pub struct LinkRequest {
    pub token: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for LinkRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkRequest")
            .field("token", &"<redacted>")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The first admin. Secrets (the control-plane token, a generated password) are shown once;
/// `Debug` hides them.
pub struct Redeemed {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub generated_email: bool,
    /// Set only when the password was generated.
    pub generated_password: Option<String>,
    pub token: Minted,
    pub token_file: PathBuf,
    /// Whether the token file is gone (if not, the operator should delete it).
    pub token_file_deleted: bool,
}

impl std::fmt::Debug for Redeemed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redeemed")
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("token", &self.token)
            .field("token_file_deleted", &self.token_file_deleted)
            .finish_non_exhaustive()
    }
}

/// The validated request.
struct Input {
    email: Email,
    generated_email: bool,
    name: String,
    password: String,
    generated_password: bool,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Input {
    /// `min_length` is the `passwords.min_length` setting.
    fn resolve(req: &LinkRequest, min_length: usize) -> Result<Input, String> {
        let (email, generated_email) = match given(&req.email) {
            Some(e) => (Email::parse(e).map_err(|e| format!("email: {e}"))?, false),
            None => (Email::parse(GENERATED_EMAIL)?, true),
        };
        let name = given(&req.name).unwrap_or(DEFAULT_NAME).to_string();
        if name.chars().count() > NAME_MAX {
            return Err(format!("name: at most {NAME_MAX} characters"));
        }
        // A password is taken as typed (no trimming); only an empty one is generated.
        let (password, generated_password) = match req.password.as_deref() {
            Some(p) if !p.is_empty() => (p.to_string(), false),
            _ => {
                let mut rng = rand::rng();
                let p: String = (0..GENERATED_PASSWORD_LEN.max(min_length))
                    .map(|_| rng.sample(Alphanumeric) as char)
                    .collect();
                (p, true)
            }
        };
        check_policy_with(&password, email.as_str(), None, min_length)
            .map_err(|e| e.to_string())?;
        Ok(Input {
            email,
            generated_email,
            name,
            password,
            generated_password,
        })
    }
}

/// Writes one `bootstrap_link.failed` row.
async fn failed(
    store: &Store,
    reason: &str,
    mut details: Value,
    client: &Client,
) -> Result<(), LinkError> {
    details["reason"] = json!(reason);
    let mut tx = store.begin().await?;
    tx.ex()
        .insert_audit(
            &AuditEntry {
                actor: "anonymous".into(),
                action: "bootstrap_link.failed".into(),
                target_kind: None,
                target_id: None,
                details,
                client_addr: client.addr.clone(),
            },
            now(),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records this attempt as a failure (until proven otherwise) and returns its id and, if the
/// address is over its limit, the minutes until it may try again.
async fn record_attempt(
    store: &Store,
    key: &str,
    at: DateTime<Utc>,
) -> Result<(i64, Option<i64>), LinkError> {
    let mut tx = store.begin().await?;
    let id = tx.ex().record_login_failure(key, at).await?;
    tx.commit().await?;
    let (count, last) = store
        .conn()
        .await?
        .ex()
        .login_failures(key, at - WINDOW, id)
        .await?;
    if count < FREE_ATTEMPTS {
        return Ok((id, None));
    }
    let wait = last.unwrap_or(at) + WINDOW - at;
    Ok((id, Some(((wait.num_seconds() + 59) / 60).max(1))))
}

async fn forget_attempt(store: &Store, id: i64) -> Result<(), LinkError> {
    let mut tx = store.begin().await?;
    tx.ex().delete_login_failure(id).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates the first admin (or activates the invited user with that e-mail) and mints its
/// control-plane token, all in one transaction under the `Bootstrap` lock.
async fn create(
    store: &Store,
    input: &Input,
    phc: String,
    client: &Client,
) -> Result<(String, Minted), LinkError> {
    let mut tx = store.begin_locked(LockName::Bootstrap).await?;
    let mut ex = tx.ex();
    if ex.count_active_platform_admins().await? > 0 {
        // Another request (or replica, or the CLI) got there first.
        return Err(LinkError::NotArmed);
    }
    let at = now();
    let new = NewAdmin {
        email: &input.email,
        name: &input.name,
        phc,
        must_change_password: false,
        origin: "bootstrap",
    };
    let (user_id, activated) = match put_admin(&mut ex, new, at).await? {
        AdminPut::Created(id) => (id, false),
        AdminPut::Activated(id) => (id, true),
        AdminPut::Taken(user) => {
            return Err(LinkError::Conflict(format!(
                "email: user {} already exists with status {}; choose another address, or \
                 recover that account with `gateway admin reset-password {}`",
                user.email, user.status, user.email
            )));
        }
    };
    let user = ex
        .get_user_row(&user_id)
        .await?
        .ok_or_else(|| LinkError::Internal("the new admin vanished".into()))?;
    let minted = mint_in(&mut ex, &user, "bootstrap link", None, ACTOR, at).await?;
    ex.insert_audit(
        &AuditEntry {
            actor: ACTOR.into(),
            action: "bootstrap_link.succeeded".into(),
            target_kind: Some("user".into()),
            target_id: Some(user_id.clone()),
            details: json!({
                "email": input.email.as_str(),
                "generated_email": input.generated_email,
                "generated_password": input.generated_password,
                "activated_invited_user": activated,
                "token_id": minted.id,
            }),
            client_addr: client.addr.clone(),
        },
        at,
    )
    .await?;
    ex.flip_latch(&user_id, "link", at).await?;
    tx.commit().await?;
    Ok((user_id, minted))
}

/// Redeems the bootstrap token. See the module docs for the order of the checks.
pub async fn redeem(
    store: &Store,
    settings: &Settings,
    link: &BootstrapLink,
    req: &LinkRequest,
    client: &Client,
) -> Result<Redeemed, LinkError> {
    let Some((expected, file)) = link.armed() else {
        return Err(LinkError::NotArmed);
    };
    if !is_open(store, link).await? {
        return Err(LinkError::NotArmed);
    }
    let at = now();
    let key = format!(
        "bootstrap-link:addr:{}",
        client.addr.as_deref().unwrap_or("unknown")
    );
    let (attempt, locked) = record_attempt(store, &key, at).await?;
    if let Some(minutes) = locked {
        // A refused attempt is not a guess: it must not extend the lock.
        forget_attempt(store, attempt).await?;
        failed(store, "throttled", json!({}), client).await?;
        return Err(LinkError::Throttled { minutes });
    }
    if !bool::from(sha256(&req.token).ct_eq(&expected)) {
        failed(store, "wrong_token", json!({}), client).await?;
        return Err(LinkError::WrongToken);
    }
    forget_attempt(store, attempt).await?;
    let input = match Input::resolve(req, settings.password_min_length) {
        Ok(input) => input,
        Err(why) => {
            failed(store, "invalid_input", json!({"problem": why}), client).await?;
            return Err(LinkError::Invalid(why));
        }
    };
    // Hash outside the lock: argon2 takes tens of milliseconds.
    let phc = password::hash(&input.password)
        .await
        .map_err(|e| LinkError::Internal(e.to_string()))?;
    let (user_id, token) = match create(store, &input, phc, client).await {
        Ok(created) => created,
        Err(LinkError::Conflict(why)) => {
            let details = json!({"email": input.email.as_str()});
            failed(store, "conflict", details, client).await?;
            return Err(LinkError::Conflict(why));
        }
        Err(LinkError::NotArmed) => {
            // Someone else bootstrapped while this request waited: disarm as they did.
            is_open(store, link).await?;
            return Err(LinkError::NotArmed);
        }
        Err(e) => return Err(e),
    };
    // A request that lost the race may have retired the link (and deleted the file) between
    // this commit and here; then the file's absence is the answer.
    let token_file_deleted = match link.retire() {
        Some((_, deleted)) => deleted,
        None => token_file::is_gone(&file),
    };
    Ok(Redeemed {
        user_id,
        email: input.email.to_string(),
        name: input.name,
        generated_email: input.generated_email,
        generated_password: input.generated_password.then_some(input.password),
        token,
        token_file: file,
        token_file_deleted,
    })
}

#[cfg(test)]
#[path = "redeem_tests.rs"]
mod tests;
