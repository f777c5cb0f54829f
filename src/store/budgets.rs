//! Budget queries on either engine: definitions, window usage and leases, the usage ledger.
//! Lease arithmetic lives in `budgets::lease`; these are single statements.

use chrono::{DateTime, Utc};

use super::rows::{BudgetRow, LedgerRow, WindowTotals};
use super::{Exec, Result, postgres, sqlite};

macro_rules! dispatch {
    ($ex:expr, $f:ident ( $($arg:expr),* )) => {
        match $ex {
            Exec::Sqlite(c) => sqlite::budgets::$f(c, $($arg),*).await,
            Exec::Postgres(c) => postgres::budgets::$f(&mut **c, $($arg),*).await,
        }
    };
}

/// Identifies one budget window.
#[derive(Debug, Clone, Copy)]
pub struct WindowKey<'a> {
    pub budget_id: &'a str,
    pub window_start: DateTime<Utc>,
}

impl Exec<'_> {
    pub async fn list_budgets(&mut self) -> Result<Vec<BudgetRow>> {
        dispatch!(self, list_budgets())
    }

    /// Creates the usage row if missing and locks it for the rest of the transaction;
    /// returns the current totals.
    pub async fn lock_window(&mut self, w: WindowKey<'_>, me: &str) -> Result<WindowTotals> {
        dispatch!(self, lock_window(w, me))
    }

    /// Converts other replicas' leases whose heartbeat is older than `stale_before` into
    /// spend (conservative: a dead replica may have spent all of it). Returns the amount.
    pub async fn reclaim_stale_leases(
        &mut self,
        w: WindowKey<'_>,
        me: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<i64> {
        dispatch!(self, reclaim_stale_leases(w, me, stale_before))
    }

    /// Adds `delta` to this replica's lease (creating it).
    pub async fn grow_lease(
        &mut self,
        w: WindowKey<'_>,
        me: &str,
        delta: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self, grow_lease(w, me, delta, now))
    }

    /// Moves `spent` from this replica's lease into settled spend and gives `returned` back;
    /// returns the window's settled spend afterwards.
    pub async fn settle_lease(
        &mut self,
        w: WindowKey<'_>,
        me: &str,
        spent: i64,
        returned: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        dispatch!(self, settle_lease(w, me, spent, returned, now))
    }

    /// Marks every lease of this replica alive.
    pub async fn heartbeat_leases(&mut self, me: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self, heartbeat_leases(me, now))
    }

    /// Inserts ledger rows; a replayed request id is ignored (never double-counts).
    pub async fn insert_ledger(&mut self, rows: &[LedgerRow]) -> Result<()> {
        dispatch!(self, insert_ledger(rows))
    }

    /// Total cost recorded in the ledger (priced rows).
    pub async fn ledger_total(&mut self) -> Result<i64> {
        dispatch!(self, ledger_total())
    }

    /// Settled spend plus all leases of one window (what the budget counts as used).
    pub async fn window_used(&mut self, w: WindowKey<'_>) -> Result<i64> {
        dispatch!(self, window_used(w))
    }
}
