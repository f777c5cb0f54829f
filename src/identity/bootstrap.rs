//! `bootstrap-admin`: create the first control-plane admin if, and only if, no *active*
//! platform admin exists. Invited (config-seeded) admins do not count: they cannot sign in.
//!
//! Race-free across processes: the decision and the writes (user, audit row, latch flip)
//! happen in one transaction under the `Bootstrap` lock. Re-running never resets a password.

use serde_json::json;

use super::{Email, password};
use crate::store::rows::{AuditEntry, NewUser};
use crate::store::{LockName, Store, StoreError, new_id, now};

/// What the operator asked for.
pub struct BootstrapRequest {
    pub email: Email,
    pub name: String,
    pub password: Option<String>,
    pub require_password_change: bool,
    /// Weak passwords are tolerated on the local SQLite file (dev shape).
    pub local_database: bool,
}

impl std::fmt::Debug for BootstrapRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapRequest")
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("require_password_change", &self.require_password_change)
            .finish_non_exhaustive()
    }
}

/// What bootstrap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// A new active platform admin now exists.
    Created { user_id: String },
    /// The invited user with that e-mail was activated as platform admin.
    Activated { user_id: String },
    /// At least one active platform admin exists; nothing was changed.
    AlreadyBootstrapped { active_admins: i64 },
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(
        "no bootstrap admin password: set auth.bootstrap_admin.password (for example \
         env://GATEWAY_ADMIN_PASSWORD or file:///run/secrets/admin-password) or \
         GATEWAY_BOOTSTRAP_ADMIN_PASSWORD"
    )]
    MissingPassword,
    #[error(
        "the bootstrap admin password is too weak ({0}). A weak password is only accepted \
         with auth.bootstrap_admin.require_password_change: true or on the local SQLite \
         database; set a stronger GATEWAY_BOOTSTRAP_ADMIN_PASSWORD"
    )]
    WeakPassword(String),
    #[error(
        "user {email} already exists with status {status}; bootstrap does not change existing \
         accounts' passwords. Recover with `gateway admin reset-password {email}` or choose \
         another auth.bootstrap_admin.email"
    )]
    UserConflict { email: String, status: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Hash(String),
}

impl BootstrapError {
    /// Configuration problems (exit 2) versus runtime failures (exit 1).
    pub fn is_config_error(&self) -> bool {
        matches!(
            self,
            BootstrapError::MissingPassword | BootstrapError::WeakPassword(_)
        )
    }
}

/// Ensures the first admin exists. See the module docs for the rules.
pub async fn ensure_admin(
    store: &Store,
    req: &BootstrapRequest,
) -> Result<BootstrapOutcome, BootstrapError> {
    // Cheap check first: a running deployment restarts without needing the password at all.
    let existing = store
        .conn()
        .await?
        .ex()
        .count_active_platform_admins()
        .await?;
    if existing > 0 {
        return Ok(BootstrapOutcome::AlreadyBootstrapped {
            active_admins: existing,
        });
    }
    let pw = req
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or(BootstrapError::MissingPassword)?;
    if let Some(why) = password::weakness(pw)
        && !(req.require_password_change || req.local_database)
    {
        return Err(BootstrapError::WeakPassword(why));
    }
    // Hash outside the lock: argon2 takes tens of milliseconds.
    let phc = password::hash(pw)
        .await
        .map_err(|e| BootstrapError::Hash(e.to_string()))?;

    let mut tx = store.begin_locked(LockName::Bootstrap).await?;
    let mut ex = tx.ex();
    let active = ex.count_active_platform_admins().await?;
    if active > 0 {
        drop(tx);
        return Ok(BootstrapOutcome::AlreadyBootstrapped {
            active_admins: active,
        });
    }
    let at = now();
    let (user_id, activated) = match ex.find_user_by_email(req.email.as_str()).await? {
        None => {
            let id = new_id();
            ex.insert_user(
                &NewUser {
                    id: id.clone(),
                    email: req.email.to_string(),
                    name: req.name.clone(),
                    status: "active",
                    platform_admin: true,
                    password_hash: Some(phc),
                    must_change_password: req.require_password_change,
                    origin: "bootstrap",
                },
                at,
            )
            .await?;
            (id, false)
        }
        Some(user) if user.status == "invited" => {
            ex.activate_admin(&user.id, &phc, req.require_password_change, at)
                .await?;
            (user.id, true)
        }
        Some(user) => {
            return Err(BootstrapError::UserConflict {
                email: user.email,
                status: user.status,
            });
        }
    };
    ex.insert_audit(
        &AuditEntry {
            actor: "system:bootstrap-admin".into(),
            action: "bootstrap.admin_created".into(),
            target_kind: Some("user".into()),
            target_id: Some(user_id.clone()),
            details: json!({
                "email": req.email.as_str(),
                "must_change_password": req.require_password_change,
                "activated_invited_user": activated,
            }),
            client_addr: None,
        },
        at,
    )
    .await?;
    ex.flip_latch(&user_id, "config", at).await?;
    tx.commit().await?;
    Ok(if activated {
        BootstrapOutcome::Activated { user_id }
    } else {
        BootstrapOutcome::Created { user_id }
    })
}
