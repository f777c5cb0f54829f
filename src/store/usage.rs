//! Usage and retention queries: spend by team / user / service account / model and day (from
//! the ledger), and batched purging of old request logs (the ledger is never purged).

use chrono::{DateTime, Utc};

use super::rows::SpendRow;
use super::{Exec, Result, postgres, sqlite};

/// What to group spend by. Each maps to a fixed ledger column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendBy {
    Team,
    User,
    ServiceAccount,
    Model,
}

impl SpendBy {
    pub fn column(self) -> &'static str {
        match self {
            SpendBy::Team => "team_id",
            SpendBy::User => "user_id",
            SpendBy::ServiceAccount => "service_account_id",
            SpendBy::Model => "model",
        }
    }
}

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::usage::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::usage::$f(&mut **c, $($arg),*).await,
        }
    };
}

impl Exec<'_> {
    /// Ledger spend grouped by `by` and UTC day, for `from <= at < to`.
    pub async fn spend_by(
        &mut self,
        by: SpendBy,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SpendRow>> {
        dispatch!(self, spend_by(by, from, to))
    }

    pub async fn count_request_logs_before(&mut self, before: DateTime<Utc>) -> Result<i64> {
        dispatch!(self, count_request_logs_before(before))
    }

    /// Deletes at most `limit` request logs older than `before`; returns how many.
    pub async fn delete_request_logs_before(
        &mut self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<u64> {
        dispatch!(self, delete_request_logs_before(before, limit))
    }
}
