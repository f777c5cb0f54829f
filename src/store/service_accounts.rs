//! Service-account queries (create, rename, status, listing with credential counts) on either
//! engine. Business rules (who may, slug format) live in `credentials::service_accounts`.

use chrono::{DateTime, Utc};

use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::service_accounts::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::service_accounts::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// The columns needed to create a service account.
#[derive(Debug, Clone)]
pub struct NewServiceAccountRow {
    pub id: String,
    pub team_id: String,
    pub name: String,
    /// `admin` (UI / API) or `config` (seed).
    pub origin: &'static str,
}

/// A service account with its team's name and how many credentials it holds.
#[derive(Debug, Clone)]
pub struct ServiceAccountRecord {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    pub name: String,
    pub status: String,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every credential ever issued to it, revoked and expired ones included.
    pub credentials_total: i64,
    /// Credentials neither revoked nor expired at the `now` the query was given.
    pub credentials_live: i64,
}

impl Exec<'_> {
    /// Inserts a service account; a duplicate id is a `StoreError::Conflict`.
    pub async fn insert_service_account(
        &mut self,
        sa: &NewServiceAccountRow,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, insert_service_account(sa, now))
    }

    /// One service account with its counts (live as of `now`).
    pub async fn service_account_record(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ServiceAccountRecord>> {
        dispatch!(self, service_account_record(id, now))
    }

    /// Service accounts of one team, or of every team, ordered by team then id.
    pub async fn list_service_account_records(
        &mut self,
        team: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ServiceAccountRecord>> {
        dispatch!(self, list_service_account_records(team, now))
    }

    /// Returns rows changed.
    pub async fn rename_service_account(
        &mut self,
        id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, rename_service_account(id, name, now))
    }

    /// Sets `active` / `disabled`; returns rows changed (zero when it already had that status).
    pub async fn set_service_account_status(
        &mut self,
        id: &str,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, set_service_account_status(id, status, now))
    }

    pub async fn team_exists(&mut self, id: &str) -> Result<bool> {
        dispatch!(self, team_exists(id))
    }
}
