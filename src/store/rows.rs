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

/// The columns needed to store a new data-plane credential (never the secret itself).
#[derive(Clone)]
pub struct NewCredentialRow {
    pub id: String,
    pub public_id: String,
    pub secret_hash: Vec<u8>,
    pub last4: String,
    pub name: String,
    pub service_account_id: Option<String>,
    pub user_id: Option<String>,
    pub team_id: Option<String>,
    /// `None` = every model the owner may use; else a JSON array of model ids.
    pub model_grants: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
}

/// A credential as listed to operators.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CredentialRow {
    pub id: String,
    pub public_id: String,
    pub last4: String,
    pub name: String,
    pub service_account_id: Option<String>,
    pub user_email: Option<String>,
    pub team_id: Option<String>,
    pub model_grants: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What the hot-path cache holds per credential.
#[derive(Clone)]
pub struct AuthRow {
    pub id: String,
    pub public_id: String,
    pub secret_hash: Vec<u8>,
    pub model_grants: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    /// The owning user or service account is active.
    pub owner_active: bool,
    pub user_id: Option<String>,
    pub service_account_id: Option<String>,
    pub team_id: Option<String>,
}

/// A row of `service_accounts`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceAccountRow {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub status: String,
}

/// A row of `models`. Prices are micro-USD per million tokens.
#[derive(Debug, Clone)]
pub struct ModelRow {
    pub id: String,
    pub description: String,
    pub alias_of: Option<String>,
    pub max_output_tokens: Option<i64>,
    pub prices: [Option<i64>; 3],
}

/// A row of `model_routes`.
#[derive(Debug, Clone)]
pub struct RouteRow {
    pub model_id: String,
    pub position: i64,
    pub provider_id: String,
    pub upstream_model: String,
    pub weight: i64,
    pub priority: i64,
    pub prices: [Option<i64>; 3],
}

/// One `/v1` request as logged. `attempts` is a JSON array.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestLogRow {
    /// The gateway's own id for the request (unique).
    pub request_id: String,
    /// The `x-request-id` the client sent, if any (for correlation; not unique).
    pub client_request_id: Option<String>,
    pub at: DateTime<Utc>,
    pub credential_id: Option<String>,
    pub user_id: Option<String>,
    pub service_account_id: Option<String>,
    pub team_id: Option<String>,
    pub endpoint: String,
    pub model_requested: Option<String>,
    pub model_served: Option<String>,
    pub provider_id: Option<String>,
    pub attempts: String,
    pub status: i64,
    pub error_code: Option<String>,
    pub latency_us: i64,
    pub upstream_latency_us: Option<i64>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_micros: Option<i64>,
    /// JSON array of notes such as `soft_budget_exceeded:<id>`.
    pub flags: Option<String>,
    /// Captured request payload (per the capture policy), if any.
    pub payload: Option<String>,
}

/// A row of `budgets`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BudgetRow {
    pub id: String,
    pub scope_kind: String,
    pub scope_id: String,
    pub cadence: String,
    pub timezone: String,
    pub amount_micros: i64,
    pub hard_limit: bool,
}

/// A budget window as the database sees it right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowTotals {
    /// Settled and flushed spend.
    pub spent: i64,
    /// Every replica's lease, this one's included.
    pub reserved_all: i64,
    pub reserved_mine: i64,
}

/// One row of the usage ledger (spend of record).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LedgerRow {
    pub request_id: String,
    pub client_request_id: Option<String>,
    pub at: DateTime<Utc>,
    pub credential_id: Option<String>,
    pub user_id: Option<String>,
    pub service_account_id: Option<String>,
    pub team_id: Option<String>,
    pub model: String,
    pub provider_id: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_tokens: i64,
    /// `None` when the serving route has no price (`priced` false).
    pub cost_micros: Option<i64>,
    pub priced: bool,
}

/// Spend of one key (team, user, service account or model) on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SpendRow {
    pub key: String,
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Priced spend in micro-USD.
    pub cost_micros: i64,
    /// Requests served by unpriced routes (counted, never silently free).
    pub unpriced_requests: i64,
}

/// An open session joined with its user, as the admin extractor needs it.
#[derive(Clone)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub email: String,
    pub name: String,
    pub status: String,
    pub platform_admin: bool,
    pub must_change_password: bool,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("csrf_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The columns of a new session (the token itself is never stored, only its hash).
#[derive(Clone)]
pub struct NewSession {
    pub id: String,
    pub token_hash: Vec<u8>,
    pub user_id: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// Whose usage a control-plane view may see.
#[derive(Debug, Clone)]
pub enum UsageScope {
    All,
    /// These teams' usage plus the user's own.
    Some {
        teams: Vec<String>,
        user_id: String,
    },
}

/// Requests, errors and spend since an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UsageSummary {
    pub requests: i64,
    pub errors: i64,
    pub spend_micros: i64,
}
