//! Operational settings: the second configuration layer. Bootstrap settings (where to listen,
//! which database, the first admin) come from YAML and `GATEWAY_*`; these live in the
//! `settings` table, are seeded with defaults on first start (origin `seeded`, never
//! re-seeded), are changed by platform admins through `/admin/settings`,
//! `/api/v1/admin/settings` or `gateway settings import` (origin `explicit`, with an audit
//! row), and reach every replica within a few seconds without a restart.
//!
//! - [`registry`]: every key with its type, default, bounds and validation;
//! - [`Settings`] (here): the typed snapshot domain functions are handed;
//! - [`live`]: the snapshot a server holds (readers only clone an `Arc`), replaced whole by the
//!   poll that keeps it current;
//! - [`manage`]: seeding, listing, changing and importing, with permissions and audit;
//! - [`yaml`]: operational keys found in a config file (startup warning, import source).
//!
//! Request paths take a snapshot (`AppState.settings.current()`) and pass it to the domain
//! functions that need it; rare writes that run in a transaction anyway (issuing an invite,
//! creating a service account) read their value with [`read_in`] inside it.
//!
//! SQL lives in `store::settings`; HTTP in `admin::api::settings` and `admin::pages::settings`.

pub mod live;
pub mod manage;
pub mod registry;
pub mod yaml;

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;
use serde_json::Value;

pub use self::live::LiveSettings;
use self::registry::{DEFS, Def};
use crate::recording::capture::{CaptureMode, CapturePolicy};
use crate::store::settings::SettingRow;
use crate::store::{Exec, Store, StoreError};

/// Sign-in throttling thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failures counted within this window…
    pub window: Duration,
    /// …beyond this many lock the account or address for a growing delay…
    pub free_attempts: i64,
    /// …of at most this long.
    pub max_delay: Duration,
}

/// The budget `service_accounts.default_budget` gives every new service account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DefaultBudget {
    pub amount_usd: String,
    pub cadence: String,
    pub timezone: String,
    pub hard_limit: bool,
}

/// One consistent set of operational settings, typed. Built from stored rows (a missing or
/// unreadable row counts as its default); `Settings::default()` is every default.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The effective, normalised value of every key.
    values: BTreeMap<&'static str, Value>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub throttle: Throttle,
    pub password_min_length: usize,
    pub invite_lifetime: Duration,
    pub capture: CapturePolicy,
    /// Request logs older than this many days are purged; 0 keeps them.
    pub retention_days: i64,
    /// Overrides `server.public_url` when set.
    pub public_base_url: Option<String>,
    pub default_sa_budget: Option<DefaultBudget>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_rows(&[]).0
    }
}

impl Settings {
    /// The typed settings for these rows, and a message per stored value that is unknown or
    /// no longer valid (those count as their default).
    pub fn from_rows(rows: &[SettingRow]) -> (Settings, Vec<String>) {
        let mut problems = Vec::new();
        let mut values = BTreeMap::new();
        for def in DEFS {
            let stored = rows.iter().find(|r| r.key == def.key);
            let value = match stored.map(|r| stored_value(def, &r.value)) {
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    problems.push(format!("stored {e}; using the default"));
                    (def.default)()
                }
                None => (def.default)(),
            };
            values.insert(def.key, value);
        }
        for r in rows {
            if registry::def(&r.key).is_none() {
                problems.push(format!(
                    "unknown setting {:?} in the database; ignored",
                    r.key
                ));
            }
        }
        (Settings::typed(values), problems)
    }

    fn typed(values: BTreeMap<&'static str, Value>) -> Settings {
        use registry as k;
        let int = |key: &str| {
            values
                .get(key)
                .and_then(Value::as_i64)
                .or_else(|| registry::def(key).and_then(|d| (d.default)().as_i64()))
                .unwrap_or_default()
        };
        let mode: CaptureMode = values
            .get(k::CAPTURE)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or(CaptureMode::Off);
        let paths: Vec<String> = values
            .get(k::REDACT_PATHS)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let max_bytes = usize::try_from(int(k::MAX_PAYLOAD_BYTES)).unwrap_or(usize::MAX);
        let capture = CapturePolicy::new(mode, max_bytes, &paths).unwrap_or(CapturePolicy {
            mode: CaptureMode::Off,
            max_bytes,
            redact_paths: Vec::new(),
        });
        let public_base_url = values
            .get(k::PUBLIC_BASE_URL)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let default_sa_budget = values
            .get(k::DEFAULT_SA_BUDGET)
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        Settings {
            session_idle: Duration::minutes(int(k::SESSION_IDLE)),
            session_absolute: Duration::hours(int(k::SESSION_ABSOLUTE)),
            throttle: Throttle {
                window: Duration::minutes(int(k::THROTTLE_WINDOW)),
                free_attempts: int(k::THROTTLE_FREE_ATTEMPTS),
                max_delay: Duration::minutes(int(k::THROTTLE_MAX_LOCKOUT)),
            },
            password_min_length: usize::try_from(int(k::PASSWORD_MIN_LENGTH)).unwrap_or(12),
            invite_lifetime: Duration::hours(int(k::INVITE_LIFETIME)),
            capture,
            retention_days: int(k::RETENTION_DAYS),
            public_base_url,
            default_sa_budget,
            values,
        }
    }

    /// The effective value of `key` (its default when not stored), if `key` is a setting.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// The public URL links are built on: `server.public_base_url` when set, else
    /// `server.public_url` from the config. No trailing `/`.
    pub fn public_url<'a>(&'a self, configured: &'a str) -> &'a str {
        self.public_base_url
            .as_deref()
            .unwrap_or(configured)
            .trim_end_matches('/')
    }
}

/// A stored JSON text, checked against its definition.
fn stored_value(def: &Def, text: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{}: not JSON ({e})", def.key))?;
    def.parse(&value)
}

/// The settings as stored now (for one-shot commands and the background poll).
pub async fn load(store: &Store) -> Result<Settings, StoreError> {
    let rows = store.conn().await?.ex().setting_rows().await?;
    let (settings, problems) = Settings::from_rows(&rows);
    for p in problems {
        tracing::warn!("operational settings: {p}");
    }
    Ok(settings)
}

/// The settings as stored, read on `ex` — inside the caller's transaction, so a rare write
/// (issuing an invite, creating a service account) acts on the value committed right now.
pub async fn read_in(ex: &mut Exec<'_>) -> Result<Settings, StoreError> {
    let rows = ex.setting_rows().await?;
    Ok(Settings::from_rows(&rows).0)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
