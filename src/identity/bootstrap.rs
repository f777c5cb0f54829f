//! `bootstrap-admin`: create the first control-plane admin if, and only if, no *active*
//! platform admin exists. Invited (config-seeded) admins do not count: they cannot sign in.
//!
//! Race-free across processes: the decision and the writes (user, audit row, latch flip)
//! happen in one transaction under the `Bootstrap` lock. Re-running never resets a password.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Email, password};
use crate::store::rows::{AuditEntry, NewUser, UserRow};
use crate::store::{Exec, LockName, Store, StoreError, new_id, now};

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
    let new = NewAdmin {
        email: &req.email,
        name: &req.name,
        phc,
        must_change_password: req.require_password_change,
        origin: "bootstrap",
    };
    let (user_id, activated) = match put_admin(&mut ex, new, at).await? {
        AdminPut::Created(id) => (id, false),
        AdminPut::Activated(id) => (id, true),
        AdminPut::Taken(user) => {
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

/// An active platform admin to create (or an invited user to activate as one).
pub(crate) struct NewAdmin<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    /// The argon2id PHC string (hashed before the lock is taken).
    pub phc: String,
    pub must_change_password: bool,
    /// `users.origin` of a new row.
    pub origin: &'static str,
}

/// What [`put_admin`] did with the e-mail's account.
pub(crate) enum AdminPut {
    /// A new active platform admin (its id).
    Created(String),
    /// The invited user with that e-mail, now an active platform admin.
    Activated(String),
    /// An active or disabled account has that e-mail; nothing was changed.
    Taken(UserRow),
}

/// The admin write every way of making an admin shares (`bootstrap-admin`, the bootstrap
/// link, `gateway admin create`): a new active platform admin, or the invited user with that
/// e-mail activated as one; never an existing account's password. The caller holds the
/// `Bootstrap` lock and writes its own audit row and latch flip.
pub(crate) async fn put_admin(
    ex: &mut Exec<'_>,
    new: NewAdmin<'_>,
    at: DateTime<Utc>,
) -> Result<AdminPut, StoreError> {
    match ex.find_user_by_email(new.email.as_str()).await? {
        None => {
            let id = new_id();
            ex.insert_user(
                &NewUser {
                    id: id.clone(),
                    email: new.email.to_string(),
                    name: new.name.to_string(),
                    status: "active",
                    platform_admin: true,
                    password_hash: Some(new.phc),
                    must_change_password: new.must_change_password,
                    origin: new.origin,
                },
                at,
            )
            .await?;
            Ok(AdminPut::Created(id))
        }
        Some(user) if user.status == "invited" => {
            ex.activate_admin(&user.id, &new.phc, new.must_change_password, at)
                .await?;
            Ok(AdminPut::Activated(user.id))
        }
        Some(user) => Ok(AdminPut::Taken(user)),
    }
}
