//! Plain row types shared by both engines. Domain modules wrap them in richer types; these
//! only carry what the tables hold. Anything secret-bearing implements `Debug` by hand.

use chrono::{DateTime, Utc};

/// A row of `users`.
#[derive(Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub status: String,
    pub platform_admin: bool,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("status", &self.status)
            .field("platform_admin", &self.platform_admin)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("must_change_password", &self.must_change_password)
            .finish_non_exhaustive()
    }
}

/// The columns needed to create a user.
#[derive(Clone)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub status: &'static str,
    pub platform_admin: bool,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub origin: &'static str,
}

/// One audit-log entry. `details` is JSON and must never contain a secret.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
}

/// A row of `audit_log`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub details: String,
}

/// The single `bootstrap_latch` row.
#[derive(Debug, Clone)]
pub struct Latch {
    pub bootstrapped_at: Option<DateTime<Utc>>,
    pub admin_user_id: Option<String>,
    pub method: Option<String>,
}
