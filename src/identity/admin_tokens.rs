//! Control-plane tokens (`gwa_<public id>_<secret>`, SHA-256 at rest, compared in constant
//! time). A token acts as its user, with that user's *current* role, on `/api/v1/admin/*`
//! only: never on `/admin` pages (those need a password session) and never on `/v1` (the
//! data plane parses only `gw_` keys). Minted offline by `gateway admin token`, by the one-time
//! bootstrap link, or by exchanging a password (`gateway login`). The secret is returned once.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use super::permissions::Actor;
use super::recovery;
use super::sessions::{self, Client, LoginError, Session};
use super::users::audit;
use super::{Email, IdentityError};
use crate::credentials::key::{ApiKey, CONTROL_PLANE};
use crate::store::admin_tokens::{AdminTokenRow, NewAdminTokenRow};
use crate::store::rows::{AuditEntry, UserRow};
use crate::store::{Exec, Store, new_id, now};

/// `last_used_at` is written at most this often.
const TOUCH_EVERY: Duration = Duration::seconds(60);
const NAME_MAX: usize = 100;

/// A freshly minted token. `Debug` never shows it.
pub struct Minted {
    pub id: String,
    pub token: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    /// How the token begins (`gwa_<public id>_`).
    pub prefix: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// active | expired | revoked
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenView {
    fn of(row: &AdminTokenRow, at: DateTime<Utc>) -> TokenView {
        let status = if row.revoked_at.is_some() {
            "revoked"
        } else if row.expires_at.is_some_and(|e| e <= at) {
            "expired"
        } else {
            "active"
        };
        TokenView {
            id: row.id.clone(),
            prefix: format!("{CONTROL_PLANE}{}_", row.public_id),
            user_id: row.user_id.clone(),
            email: row.email.clone(),
            name: row.name.clone(),
            status: status.into(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// Mints a token for an active user inside the caller's transaction, with its audit row
/// (`actor` is a user id or `system:<what>`).
pub async fn mint_in(
    ex: &mut Exec<'_>,
    user: &UserRow,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Minted, IdentityError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(IdentityError::Invalid(format!(
            "token name: expected 1 to {NAME_MAX} characters, got {}",
            name.chars().count()
        )));
    }
    if expires_at.is_some_and(|e| e <= at) {
        return Err(IdentityError::Invalid(
            "token expiry: expected a time in the future".into(),
        ));
    }
    if user.status != "active" {
        return Err(IdentityError::Conflict(format!(
            "user {} is {}; only active users can hold a control-plane token",
            user.email, user.status
        )));
    }
    let key = ApiKey::generate_with(CONTROL_PLANE);
    let id = new_id();
    ex.insert_admin_token(
        &NewAdminTokenRow {
            id: id.clone(),
            public_id: key.public_id().to_string(),
            secret_hash: key.secret_hash().to_vec(),
            user_id: user.id.clone(),
            name: name.to_string(),
            expires_at,
        },
        at,
    )
    .await?;
    ex.insert_audit(
        &AuditEntry {
            actor: actor.to_string(),
            action: "admin_token.created".into(),
            target_kind: Some("user".into()),
            target_id: Some(user.id.clone()),
            details: json!({"token_id": id, "name": name, "expires_at": expires_at}),
            client_addr: None,
        },
        at,
    )
    .await?;
    Ok(Minted {
        id,
        token: key.expose(),
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: name.to_string(),
        expires_at,
    })
}

/// Mints a token for the active user with this e-mail (`gateway admin token`).
pub async fn mint_for_email(
    store: &Store,
    email: &str,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    actor: &str,
) -> Result<Minted, IdentityError> {
    let email = Email::parse(email).map_err(|e| IdentityError::Invalid(e.to_string()))?;
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let user = ex
        .find_user_by_email(email.as_str())
        .await?
        .ok_or_else(|| IdentityError::NotFound(format!("user {email}")))?;
    let minted = mint_in(&mut ex, &user, name, expires_at, actor, now()).await?;
    tx.commit().await?;
    Ok(minted)
}

/// Why a password could not be exchanged for a token.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error("this account must change its password first: sign in at /admin and set a new one")]
    PasswordChangeRequired,
    #[error(transparent)]
    Other(#[from] IdentityError),
}

/// Signs in with e-mail and password — the same throttling, timing and audit rows as the
/// `/admin` sign-in — and trades the resulting session for a token (`gateway login`).
/// An account under forced rotation gets no token.
pub async fn exchange_password(
    store: &Store,
    email: &str,
    password: &str,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    client: &Client,
) -> Result<Minted, ExchangeError> {
    let created = sessions::login(store, email, password, client).await?;
    let session = sessions::authenticate(store, &created.token).await?;
    let minted = async {
        let session = session.ok_or_else(|| IdentityError::Internal("session vanished".into()))?;
        if session.must_change_password {
            return Err(ExchangeError::PasswordChangeRequired);
        }
        let mut tx = store.begin().await.map_err(IdentityError::from)?;
        let mut ex = tx.ex();
        let user = ex
            .get_user_row(&created.user_id)
            .await
            .map_err(IdentityError::from)?
            .ok_or_else(|| IdentityError::NotFound("user".into()))?;
        let minted = mint_in(&mut ex, &user, name, expires_at, &user.id, now()).await?;
        tx.commit().await.map_err(IdentityError::from)?;
        Ok(minted)
    }
    .await;
    if let Some(s) = sessions::authenticate(store, &created.token).await? {
        sessions::logout(store, &s.id).await?;
    }
    minted
}

/// The user a presented token acts as, if it is well-formed, known, unrevoked, unexpired and
/// its user active. The returned session has no CSRF token: bearer requests carry no ambient
/// credential a browser could be tricked into sending.
pub async fn authenticate(store: &Store, raw: &str) -> Result<Option<Session>, IdentityError> {
    let Some(key) = ApiKey::parse_with(raw, CONTROL_PLANE) else {
        return Ok(None);
    };
    let at = now();
    let mut conn = store.conn().await?;
    let Some(row) = conn.ex().find_admin_token(key.public_id()).await? else {
        return Ok(None);
    };
    if !key.matches(&row.secret_hash) || TokenView::of(&row, at).status != "active" {
        return Ok(None);
    }
    let Some(user) = conn.ex().get_user_row(&row.user_id).await? else {
        return Ok(None);
    };
    if user.status != "active" {
        return Ok(None);
    }
    let roles = conn.ex().user_roles(&user.id).await?;
    drop(conn);
    if row.last_used_at.is_none_or(|t| at - t >= TOUCH_EVERY) {
        let mut tx = store.begin().await?;
        tx.ex().touch_admin_token(&row.id, at).await?;
        tx.commit().await?;
    }
    Ok(Some(Session {
        id: format!("token:{}", row.id),
        csrf_token: String::new(),
        must_change_password: false,
        actor: Actor::with_roles(user.id, user.email, user.name, user.platform_admin, roles),
    }))
}

/// Tokens of one user (or everyone's, for the offline CLI).
pub async fn list(store: &Store, user_id: Option<&str>) -> Result<Vec<TokenView>, IdentityError> {
    let at = now();
    let rows = store.conn().await?.ex().list_admin_tokens(user_id).await?;
    Ok(rows.iter().map(|r| TokenView::of(r, at)).collect())
}

/// Revokes a token (by id or public id). With an actor: only their own tokens, or any for a
/// platform admin; without one (the offline CLI, shell access) any, audited as `system:cli`.
pub async fn revoke(
    store: &Store,
    actor: Option<&Actor>,
    id: &str,
) -> Result<TokenView, IdentityError> {
    let at = now();
    let public_id = id.strip_prefix(CONTROL_PLANE).unwrap_or(id);
    let public_id = public_id.split('_').next().unwrap_or(public_id);
    let mut tx = store.begin().await?;
    let mut ex = tx.ex();
    let rows = ex.list_admin_tokens(None).await?;
    let row = rows
        .iter()
        .find(|r| r.id == id || r.public_id == public_id)
        .filter(|r| actor.is_none_or(|a| a.platform_admin || a.user_id == r.user_id))
        .ok_or_else(|| IdentityError::NotFound(format!("control-plane token {id}")))?
        .clone();
    if ex.revoke_admin_token(&row.id, at).await? == 0 {
        return Err(IdentityError::Conflict(format!(
            "control-plane token {id} is already revoked"
        )));
    }
    let details = json!({"token_id": row.id, "name": row.name});
    match actor {
        Some(a) => {
            audit(
                &mut ex,
                a,
                "admin_token.revoked",
                "user",
                &row.user_id,
                details,
                at,
            )
            .await?
        }
        None => recovery::audit(&mut ex, "admin_token.revoked", &row.user_id, details, at).await?,
    }
    tx.commit().await?;
    let mut view = TokenView::of(&row, at);
    view.status = "revoked".into();
    Ok(view)
}
