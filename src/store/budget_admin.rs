//! Budget definitions as the admin UI and API manage them: listing with the scope's display
//! name and team, insert, update and delete, on either engine. Who may change which budget,
//! and input parsing, live in `budgets::manage`; the hot-path queries (windows, leases, the
//! ledger) stay in [`super::budgets`].

use chrono::{DateTime, Utc};

use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::budget_admin::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::budget_admin::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// A budget row with what the admin pages show next to it.
#[derive(Debug, Clone)]
pub struct BudgetRecord {
    pub id: String,
    /// `team`, `user` or `service_account`.
    pub scope_kind: String,
    pub scope_id: String,
    pub cadence: String,
    pub timezone: String,
    pub amount_micros: i64,
    pub hard_limit: bool,
    /// `config` (seed-config) or `admin`.
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The team's name, the user's e-mail or the service account's name; `None` when the
    /// scope no longer exists.
    pub scope_name: Option<String>,
    /// The team a team or service-account budget belongs to (`None` for user budgets, whose
    /// teams are the user's memberships).
    pub scope_team: Option<String>,
}

/// The columns of a new budget.
#[derive(Debug, Clone)]
pub struct NewBudgetRow {
    pub id: String,
    pub scope_kind: &'static str,
    pub scope_id: String,
    pub cadence: &'static str,
    pub timezone: String,
    pub amount_micros: i64,
    pub hard_limit: bool,
    pub origin: &'static str,
}

/// The editable columns of a budget (its scope never changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetChange {
    pub cadence: &'static str,
    pub timezone: String,
    pub amount_micros: i64,
    pub hard_limit: bool,
}

impl Exec<'_> {
    /// Every budget, by id.
    pub async fn budget_records(&mut self) -> Result<Vec<BudgetRecord>> {
        dispatch!(self, budget_records())
    }

    pub async fn budget_record(&mut self, id: &str) -> Result<Option<BudgetRecord>> {
        dispatch!(self, budget_record(id))
    }

    /// Fails with `Conflict` when the id is taken.
    pub async fn insert_budget(&mut self, row: &NewBudgetRow, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, insert_budget(row, now))
    }

    /// Returns rows changed (0 = no such budget).
    pub async fn update_budget(
        &mut self,
        id: &str,
        change: &BudgetChange,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(self, update_budget(id, change, now))
    }

    /// Deletes the budget with its window usage and leases; returns rows changed.
    pub async fn delete_budget(&mut self, id: &str) -> Result<u64> {
        dispatch!(self, delete_budget(id))
    }
}
