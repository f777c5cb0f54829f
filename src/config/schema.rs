//! The YAML schema of `config/gateway*.yaml`: plain serde types, nothing else.
//!
//! Every struct denies unknown fields so a typo is an error (with a suggestion, see
//! `config::load`). Secret-valued fields are [`SecretField`]s: in the file they hold a
//! reference (`env://NAME`, `file:///path`) or an inline literal; after loading they also
//! hold the resolved value. Validation lives in `config::validate`, not here.

use serde::{Deserialize, Serialize};

use super::secret::SecretField;

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub database: Database,
    #[serde(default)]
    pub auth: Auth,
    /// Startup toggles; set from `GATEWAY_RUN_MIGRATIONS` etc., not from YAML.
    #[serde(skip_deserializing, default)]
    pub startup: Startup,
    #[serde(default)]
    pub teams: Vec<Team>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
    #[serde(default)]
    pub providers: Vec<Provider>,
    #[serde(default)]
    pub models: Vec<Model>,
    #[serde(default)]
    pub budgets: Vec<Budget>,
    #[serde(default)]
    pub request_logs: RequestLogs,
    #[serde(default)]
    pub demo: Demo,
}

/// The local demo dataset (`src/demo`). Only the local dev config turns it on.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Demo {
    /// Seed the demo dataset when `gateway serve` finds that its SQLite file did not exist
    /// before it started. Never on PostgreSQL (use `gateway demo reset --force` there).
    pub seed_when_new: bool,
}

/// What request logs keep of each request's payload.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestLogs {
    /// `off` (nothing), `metadata` (model, sizes, counts — no content) or `redacted` (the body
    /// with secrets and `redact_paths` replaced).
    pub capture: crate::recording::capture::CaptureMode,
    /// Upper bound on the stored payload text.
    pub max_payload_bytes: usize,
    /// Extra JSON paths to redact, e.g. `messages[*].content`.
    pub redact_paths: Vec<String>,
}

impl Default for RequestLogs {
    fn default() -> Self {
        Self {
            capture: crate::recording::capture::CaptureMode::Off,
            max_payload_bytes: 16 * 1024,
            redact_paths: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Socket address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// The URL operators and clients use to reach this gateway (links, cookie `Secure`).
    pub public_url: String,
    pub log_format: LogFormat,
    /// Largest accepted request body in bytes (413 above it).
    pub body_limit_bytes: u64,
    /// How long in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_seconds: u64,
    /// Serving lanes (single-threaded runtimes, `http::lanes`); 0 = one per CPU.
    pub workers: usize,
}

impl Default for Server {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            log_format: LogFormat::Pretty,
            body_limit_bytes: 10 * 1024 * 1024,
            shutdown_grace_seconds: 20,
            workers: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite:PATH`, a bare file path, or `postgres://…`. Secret: it may carry a password.
    #[serde(default)]
    pub url: SecretField,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    #[serde(default)]
    pub bootstrap_admin: BootstrapAdmin,
    #[serde(default)]
    pub bootstrap_link: BootstrapLink,
}

/// The one-time bootstrap link (`identity::bootstrap_link`). Whether `serve` arms it is the
/// environment-only toggle `GATEWAY_BOOTSTRAP_LINK` ([`Startup::bootstrap_link`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BootstrapLink {
    /// Where the token is written (mode 0600). Empty: `$XDG_RUNTIME_DIR/gateway-bootstrap-token`,
    /// else `./gateway-bootstrap-token`.
    pub token_file: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BootstrapAdmin {
    pub enabled: bool,
    pub email: String,
    pub name: String,
    pub password: SecretField,
    pub require_password_change: bool,
}

impl Default for BootstrapAdmin {
    fn default() -> Self {
        Self {
            enabled: true,
            email: String::new(),
            name: "Administrator".into(),
            password: SecretField::default(),
            require_password_change: true,
        }
    }
}

/// Which startup actions `gateway serve` runs before listening (all but the bootstrap link on by
/// default).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Startup {
    pub run_migrations: bool,
    pub bootstrap_admin: bool,
    pub seed_config: bool,
    /// Arm the one-time bootstrap link when no active admin exists (off by default).
    pub bootstrap_link: bool,
}

impl Default for Startup {
    fn default() -> Self {
        Self {
            run_migrations: true,
            bootstrap_admin: true,
            seed_config: true,
            bootstrap_link: false,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Stable slug, e.g. `platform`.
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub platform_admin: bool,
    #[serde(default)]
    pub teams: Vec<Membership>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub team: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    Owner,
    Admin,
    Member,
}

impl TeamRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Owner => "owner",
            TeamRole::Admin => "admin",
            TeamRole::Member => "member",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    pub id: String,
    pub team: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Built-in deterministic provider: no network, no keys.
    Mock,
    /// Any upstream speaking the OpenAI HTTP API.
    OpenaiCompat,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Mock => "mock",
            ProviderKind::OpenaiCompat => "openai_compat",
        }
    }
}

/// An upstream. Kind-specific fields are optional here and checked by validation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub kind: ProviderKind,
    /// `openai_compat`: e.g. `https://api.openai.com/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// `openai_compat`: the upstream key, as a secret reference.
    #[serde(default, skip_serializing_if = "SecretField::is_unset")]
    pub api_key: SecretField,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// `mock`: artificial latency before the first byte, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    pub connect_ms: u64,
    pub first_byte_ms: u64,
    pub total_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect_ms: 2_000,
            first_byte_ms: 30_000,
            total_ms: 300_000,
        }
    }
}

/// A model clients can ask for: either an alias of another model or a set of routes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<String>,
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Default price for routes without their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// Output cap used to size budget reservations when a request has no `max_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub provider: String,
    /// The model name sent upstream.
    pub model: String,
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Lower number = tried first.
    #[serde(default)]
    pub priority: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

fn default_weight() -> u32 {
    1
}

/// USD per million tokens, as decimal strings (`"0.15"`), parsed to micro-dollars by validation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    pub input: String,
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Stable id used to reconcile the seeded row.
    pub id: String,
    /// Exactly one of `team`, `user` (email) or `service_account` must be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    pub cadence: Cadence,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// USD as a decimal string, e.g. `"1000"` or `"12.50"`.
    pub amount_usd: String,
    #[serde(default = "default_true")]
    pub hard_limit: bool,
}

fn default_timezone() -> String {
    "UTC".into()
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    Daily,
    Weekly,
    Monthly,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
        }
    }
}
