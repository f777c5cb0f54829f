//! Usage and retention queries: spend by team / user / service account / model and day (from
//! the ledger), and batched purging of old request logs (the ledger is never purged).

use chrono::{DateTime, Utc};

use super::rows::{SpendRow, UsageScope, UsageSummary};
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

    /// Requests, errors (status ≥ 400) and ledger spend since `since`, within `scope`.
    pub async fn usage_summary(
        &mut self,
        scope: &UsageScope,
        since: DateTime<Utc>,
    ) -> Result<UsageSummary> {
        dispatch!(self, usage_summary(scope, since))
    }

    /// The most requested models since `since`, within `scope`: (model, requests).
    pub async fn top_models(
        &mut self,
        scope: &UsageScope,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        dispatch!(self, top_models(scope, since, limit))
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

/// `AND (team_id IN (…) OR user_id = …)` for a scope, with placeholders from `ph`, starting at
/// `next`; returns the clause and the values to bind in order.
pub(crate) fn scope_clause(
    scope: &UsageScope,
    next: usize,
    ph: fn(usize) -> String,
) -> (String, Vec<String>) {
    match scope {
        UsageScope::All => (String::new(), Vec::new()),
        UsageScope::Some { teams, user_id } => {
            let mut values: Vec<String> = teams.clone();
            let teams_sql = if teams.is_empty() {
                "FALSE".to_string()
            } else {
                let list: Vec<String> = (0..teams.len()).map(|i| ph(next + i)).collect();
                format!("team_id IN ({})", list.join(", "))
            };
            values.push(user_id.clone());
            let clause = format!(" AND ({teams_sql} OR user_id = {})", ph(next + teams.len()));
            (clause, values)
        }
    }
}
