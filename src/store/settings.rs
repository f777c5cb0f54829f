//! The `settings` table (operational settings, the second configuration layer): read every
//! row, insert a seeded default only where the key is absent, and write an explicit value.
//! Which keys exist and what their values may be lives in `settings::registry`.

use chrono::{DateTime, Utc};

use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::settings::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::settings::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// One stored setting. `value` is JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRow {
    pub key: String,
    pub value: String,
    /// `seeded` (a default written at first start) or `explicit` (set by a person or import).
    pub origin: String,
    pub updated_at: DateTime<Utc>,
    /// The user id, or `system:<what>`, that wrote the value.
    pub updated_by: Option<String>,
}

impl Exec<'_> {
    /// Every stored setting, by key.
    pub async fn setting_rows(&mut self) -> Result<Vec<SettingRow>> {
        dispatch!(self, setting_rows())
    }

    /// One stored setting.
    pub async fn setting_row(&mut self, key: &str) -> Result<Option<SettingRow>> {
        dispatch!(self, setting_row(key))
    }

    /// Inserts `key` with origin `seeded` unless it exists (never overwrites); answers
    /// whether a row was inserted.
    pub async fn seed_setting(
        &mut self,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        dispatch!(self, seed_setting(key, value, at))
    }

    /// Inserts or replaces `key` with origin `explicit`.
    pub async fn put_setting(
        &mut self,
        key: &str,
        value: &str,
        updated_by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, put_setting(key, value, updated_by, at))
    }
}
