//! Removing the local demo dataset (`crate::demo`) on either engine, and nothing else.
//!
//! Demo objects are the rows whose `origin` is [`DEMO_ORIGIN`] (teams, users, service
//! accounts, budgets), everything that lives inside a demo team or belongs to a demo user
//! (service accounts, credentials, budgets, memberships, sessions), and request-log and ledger
//! rows that are demo samples (request id starting with [`DEMO_REQUEST_PREFIX`]) or were made
//! by or for a demo principal. Audit rows stay: they are history. Seeding the demo dataset is
//! domain work in `crate::demo`, done with the ordinary capability queries.

use super::{Exec, Result, postgres, sqlite};

/// `origin` of every row the demo seed creates.
pub const DEMO_ORIGIN: &str = "demo";
/// Request ids of sample request-log and ledger rows start with this.
pub const DEMO_REQUEST_PREFIX: &str = "demo-";

/// How many rows of each kind a removal deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DemoRemoved {
    pub teams: u64,
    pub users: u64,
    pub service_accounts: u64,
    pub credentials: u64,
    pub budgets: u64,
    pub request_logs: u64,
    pub ledger_rows: u64,
}

impl DemoRemoved {
    /// Whether anything was deleted at all.
    pub fn is_empty(&self) -> bool {
        *self == DemoRemoved::default()
    }
}

impl Exec<'_> {
    /// Deletes every demo object and demo row (see the module docs), children first. Run it
    /// inside a transaction so a failure leaves the previous dataset whole.
    pub async fn delete_demo_data(&mut self) -> Result<DemoRemoved> {
        let like = format!("{DEMO_REQUEST_PREFIX}%");
        match self {
            Exec::Sqlite(c) => sqlite::demo::delete_demo_data(c, DEMO_ORIGIN, &like).await,
            Exec::Postgres(c) => postgres::demo::delete_demo_data(c, DEMO_ORIGIN, &like).await,
        }
    }
}
