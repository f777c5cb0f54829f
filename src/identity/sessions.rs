//! Control-plane sign-in: password login with throttling, database-backed sessions (random
//! token in the cookie, SHA-256 at rest), idle and absolute lifetimes and logout (password
//! changes and the password policy are in `password_change`). Lifetimes, throttle thresholds and the password
//! length are operational settings: servers pass their live [`Settings`] snapshot (the `_with`
//! functions); one-shot callers without one use [`login`] and [`authenticate`], which read the
//! settings from the database. Unknown e-mails cost the same argon2 time as
//! known ones and every refusal reads the same, so sign-in never reveals whether an account
//! exists.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::password;
use super::permissions::Actor;
use super::throttle::{forget_attempt, lockout, record_attempt};
use super::{Email, IdentityError};
use crate::settings::Settings;
use crate::store::rows::{AuditEntry, NewSession, SessionRow, UserRow};
use crate::store::{Exec, Store, StoreError, new_id, now};

/// `last_seen_at` is written at most this often (not on every request).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// The single message for every sign-in refusal that is not throttling.
pub const LOGIN_FAILED: &str = "Invalid email or password.";

/// A fresh session: the token goes into the cookie once and is never stored.
pub struct Created {
    pub token: String,
    pub csrf_token: String,
    pub must_change_password: bool,
    pub user_id: String,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("user_id", &self.user_id)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// An authenticated session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf_token: String,
    pub must_change_password: bool,
    pub actor: Actor,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("{}", LOGIN_FAILED)]
    Invalid,
    #[error("Too many sign-in attempts. Try again in {minutes} minute(s).")]
    Throttled { minutes: i64 },
    #[error(transparent)]
    Other(#[from] IdentityError),
}

/// Where a sign-in attempt came from (for throttling and the audit log).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub addr: Option<String>,
    pub user_agent: Option<String>,
}

/// A fresh secret of 256 random bits, hex (64 URL-safe characters): session and CSRF
/// tokens, invite links, the bootstrap link and the pre-session CSRF value all use it.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a session token: what the database keys sessions by.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A valid argon2 hash of nothing anyone knows, so unknown accounts cost the same time.
async fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return h.clone();
    }
    let h = password::hash(&random_token()).await.unwrap_or_default();
    DUMMY.get_or_init(|| h).clone()
}

async fn audit(
    store: &Store,
    actor: &str,
    action: &str,
    details: serde_json::Value,
    client: &Client,
) {
    let entry = AuditEntry {
        actor: actor.to_string(),
        action: action.to_string(),
        target_kind: Some("user".into()),
        target_id: None,
        details,
        client_addr: client.addr.clone(),
    };
    let written = async {
        let mut tx = store.begin().await?;
        tx.ex().insert_audit(&entry, now()).await?;
        tx.commit().await
    };
    if let Err(e) = written.await {
        tracing::warn!(error = %e, "could not write sign-in audit row");
    }
}

/// Signs in with e-mail and password, under the settings stored now (for callers without a
/// live snapshot, such as the CLI).
pub async fn login(
    store: &Store,
    email: &str,
    password_text: &str,
    client: &Client,
) -> Result<Created, LoginError> {
    let settings = crate::settings::load(store)
        .await
        .map_err(IdentityError::from)?;
    login_with(store, &settings, email, password_text, client).await
}

/// Signs in with e-mail and password: throttled per `settings.throttle`, the session lasting
/// at most `settings.session_absolute`.
pub async fn login_with(
    store: &Store,
    settings: &Settings,
    email: &str,
    password_text: &str,
    client: &Client,
) -> Result<Created, LoginError> {
    let at = now();
    let normalized = Email::parse(email)
        .map(|e| e.to_string())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let keys = [
        format!("email:{normalized}"),
        format!("addr:{}", client.addr.as_deref().unwrap_or("unknown")),
    ];
    let attempt = record_attempt(store, &keys, at).await?;
    for (key, id) in keys.iter().zip(&attempt) {
        if let Some(minutes) = lockout(store, &settings.throttle, key, *id, at).await? {
            // A refused attempt is not a guess: it must not extend the lock.
            forget_attempt(store, &attempt).await?;
            audit(
                store,
                "anonymous",
                "login.throttled",
                json!({"email": normalized, "key": key}),
                client,
            )
            .await;
            return Err(LoginError::Throttled { minutes });
        }
    }
    let user = store
        .conn()
        .await
        .map_err(IdentityError::from)?
        .ex()
        .find_user_by_email(&normalized)
        .await
        .map_err(IdentityError::from)?;
    let hash = match user.as_ref().and_then(|u| u.password_hash.clone()) {
        Some(h) => h,
        None => dummy_hash().await,
    };
    let verified = password::verify(password_text, &hash).await;
    let user = match user {
        Some(u) if verified && u.status == "active" => u,
        other => {
            // The attempt recorded above stays as the failure.
            let reason = match other {
                None => "unknown_account",
                Some(u) if u.status != "active" => "inactive_account",
                Some(_) => "wrong_password",
            };
            audit(
                store,
                "anonymous",
                "login.failed",
                json!({"email": normalized, "reason": reason}),
                client,
            )
            .await;
            return Err(LoginError::Invalid);
        }
    };
    let mut tx = store.begin().await.map_err(IdentityError::from)?;
    let mut ex = tx.ex();
    ex.clear_login_failures(&keys[0])
        .await
        .map_err(IdentityError::from)?;
    for id in &attempt {
        ex.delete_login_failure(*id)
            .await
            .map_err(IdentityError::from)?;
    }
    let details = json!({"email": user.email});
    let created = open_session(
        &mut ex,
        &user,
        settings.session_absolute,
        client,
        details,
        at,
    )
    .await
    .map_err(IdentityError::from)?;
    tx.commit().await.map_err(IdentityError::from)?;
    Ok(created)
}

/// Opens a session for `user` lasting at most `lifetime`, marks the sign-in and writes its
/// `login.succeeded` audit row (with `details`), in the caller's transaction.
async fn open_session(
    ex: &mut Exec<'_>,
    user: &UserRow,
    lifetime: Duration,
    client: &Client,
    details: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<Created, StoreError> {
    let created = Created {
        token: random_token(),
        csrf_token: random_token(),
        must_change_password: user.must_change_password,
        user_id: user.id.clone(),
    };
    ex.insert_session(
        &NewSession {
            id: new_id(),
            token_hash: token_hash(&created.token),
            user_id: user.id.clone(),
            csrf_token: created.csrf_token.clone(),
            expires_at: at + lifetime,
            client_addr: client.addr.clone(),
            user_agent: client.user_agent.clone(),
        },
        at,
    )
    .await?;
    ex.mark_login(&user.id, at).await?;
    ex.insert_audit(
        &AuditEntry {
            actor: user.id.clone(),
            action: "login.succeeded".into(),
            target_kind: Some("user".into()),
            target_id: Some(user.id.clone()),
            details,
            client_addr: client.addr.clone(),
        },
        at,
    )
    .await?;
    Ok(created)
}

/// Opens a session for an active user who has just proved who they are without a password
/// sign-in — accepting their invite link (`identity::onboarding::accept_invite`). Audited as
/// `login.succeeded` with `"via": "invite"`. Not for anything a client can trigger without
/// such a proof.
pub async fn start_session(
    store: &Store,
    user_id: &str,
    client: &Client,
) -> Result<Created, IdentityError> {
    let at = now();
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let settings = crate::settings::read_in(&mut ex).await?;
    let user = ex
        .get_user_row(user_id)
        .await?
        .filter(|u| u.status == "active")
        .ok_or_else(|| IdentityError::NotFound("active user".into()))?;
    let details = json!({"email": user.email, "via": "invite"});
    let created = open_session(
        &mut ex,
        &user,
        settings.session_absolute,
        client,
        details,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// The session for a cookie token, under the settings stored now (for callers without a live
/// snapshot).
pub async fn authenticate(store: &Store, token: &str) -> Result<Option<Session>, IdentityError> {
    let settings = crate::settings::load(store).await?;
    authenticate_with(store, &settings, token).await
}

/// The session for a cookie token, if it is open, unexpired, used within
/// `settings.session_idle`, and its user active.
pub async fn authenticate_with(
    store: &Store,
    settings: &Settings,
    token: &str,
) -> Result<Option<Session>, IdentityError> {
    let at = now();
    let mut conn = store.conn().await?;
    let Some(row) = conn.ex().find_session(&token_hash(token)).await? else {
        return Ok(None);
    };
    if row.status != "active"
        || row.expires_at <= at
        || row.last_seen_at + settings.session_idle <= at
    {
        return Ok(None);
    }
    let roles = conn.ex().user_roles(&row.user_id).await?;
    drop(conn);
    if at - row.last_seen_at >= TOUCH_EVERY {
        let mut tx = store.begin().await?;
        tx.ex().touch_session(&row.id, at).await?;
        tx.commit().await?;
    }
    Ok(Some(session(row, roles)))
}

fn session(row: SessionRow, roles: Vec<(String, String)>) -> Session {
    Session {
        id: row.id,
        csrf_token: row.csrf_token,
        must_change_password: row.must_change_password,
        actor: Actor::with_roles(row.user_id, row.email, row.name, row.platform_admin, roles),
    }
}

/// Ends one session.
pub async fn logout(store: &Store, session_id: &str) -> Result<(), IdentityError> {
    let mut tx = store.begin().await?;
    tx.ex().end_session(session_id, now()).await?;
    tx.commit().await?;
    Ok(())
}
